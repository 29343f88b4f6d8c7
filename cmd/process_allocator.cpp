#include "process_allocator.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace app {

namespace {

#ifdef MADV_POPULATE_WRITE
constexpr int populate_write = MADV_POPULATE_WRITE;
#else
constexpr int populate_write = 23;  // <linux/mman.h>: older libc headers lack the name
#endif

// glibc's chunk header: two words.
constexpr std::uintptr_t chunk_header = 2 * sizeof(std::size_t);

// The heap's free top starts at `low` (the first block it would give), below
// the first 2 MiB boundary `from` of the advised range. The pages between them
// share a page table with the blocks in use and so never become a huge page:
// every block put there costs a 4 KiB fault (about 2 us each on this machine's
// VM). One block spanning the gap, never freed, makes the next block start at
// `from`. It is address space only: its pages are never touched.
void start_blocks_at(std::uintptr_t low, std::uintptr_t from) {
  // A block of n bytes spans n + 8 rounded up to 16 from 16 bytes before its
  // address, so a request of (from - low - 8) spans exactly [low - 16, from - 16)
  // and the free top then begins where the next block's address is `from`.
  const std::size_t gap_bytes = from - low - sizeof(std::size_t);
  [[maybe_unused]] static void* gap = nullptr;  // reachable, for leak checkers
  // A freed block below the top that fits is served before the top, a piece of
  // it at a time: the pieces are held, chained through their first word (each
  // is at least four headers long), until the gap's block comes from the top,
  // then given back. A gap of 64 bytes under a freed 2 MiB takes 32,768 pieces.
  constexpr std::size_t most_pieces = std::size_t{1} << 16;
  void* held = nullptr;
  for (std::size_t pieces = 0; pieces < most_pieces; ++pieces) {
    void* block = std::malloc(gap_bytes);
    if (!block) break;
    const auto at = reinterpret_cast<std::uintptr_t>(block);
    if (at == low) {
      gap = block;
      break;
    }
    if (at > low) {  // not the top this was measured on: leave the layout as it is
      std::free(block);
      break;
    }
    std::memcpy(block, &held, sizeof held);
    held = block;
  }
  while (held) {
    void* next = nullptr;
    std::memcpy(&next, held, sizeof next);
    std::free(held);
    held = next;
  }
}

// Whether tune_process_allocator grew the heap by its reserve: only then do
// the advice and the prefault below know where the reserve lies.
bool heap_tuned = false;
// advise_huge_pages marks the reserve once, from the first 2 MiB boundary
// above the blocks in use.
bool huge_pages_advised = false;

// The address the heap's next block from its free top would have: the break
// less what is free above the last block in use, and a chunk header.
std::uintptr_t heap_free_top() {
  const auto high = reinterpret_cast<std::uintptr_t>(sbrk(0));
  const std::size_t top = mallinfo2().keepcost;
  if (top >= high) return high;
  return high - top + chunk_header;
}

}  // namespace

allocator_tuning tune_process_allocator() {
  allocator_tuning done;
  // The operator's own malloc tunables win.
  if (const char* tunables = std::getenv("GLIBC_TUNABLES"); tunables && std::strstr(tunables, "glibc.malloc."))
    return done;
  constexpr std::size_t reserve = std::size_t{32} << 20;
  // mallopt returns 1 on success; a sanitizer's malloc does not take these.
  if (mallopt(M_ARENA_MAX, 1) != 1 || mallopt(M_MMAP_THRESHOLD, static_cast<int>(reserve)) != 1 ||
      mallopt(M_TOP_PAD, static_cast<int>(reserve)) != 1)
    return done;
  done.tuned = true;
  // A block larger than what the heap has left on top (keepcost) grows it now,
  // by the reserve; freed, it stays (the heap is trimmed only down to the reserve).
  const std::size_t left = mallinfo2().keepcost;
  if (left >= reserve / 2) return done;  // grown already: not the fresh process this is for
  void* block = std::malloc(left + (std::size_t{256} << 10));
  if (!block) return done;
  const auto low = reinterpret_cast<std::uintptr_t>(block);
  std::free(block);
  const auto high = reinterpret_cast<std::uintptr_t>(sbrk(0));
  // Only if the block lay in the heap just below the break: otherwise this is
  // not the heap that mallopt tuned.
  heap_tuned = high > low && high - low <= reserve + (std::uintptr_t{1} << 20);
  return done;
}

bool advise_huge_pages() {
  if (!heap_tuned || huge_pages_advised) return false;
  huge_pages_advised = true;
  constexpr std::uintptr_t huge_page = std::uintptr_t{2} << 20;
  const auto high = reinterpret_cast<std::uintptr_t>(sbrk(0));
  const std::uintptr_t low = heap_free_top();
  if (low >= high) return false;
  // The first boundary with room below it for the gap's block (a chunk and its header).
  const std::uintptr_t from = (low + 4 * chunk_header + huge_page - 1) & ~(huge_page - 1);
  const std::uintptr_t to = high & ~(huge_page - 1);
  if (to <= from) return false;
  if (madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE) != 0) return false;
  start_blocks_at(low, from);
  return true;
}

bool prefault_heap_reserve(std::size_t bytes) {
  if (!heap_tuned || bytes == 0) return false;
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto high = reinterpret_cast<std::uintptr_t>(sbrk(0));
  const std::uintptr_t from = heap_free_top() & ~(page - 1);
  if (from >= high) return false;
  const std::uintptr_t to = std::min<std::uintptr_t>(high, from + bytes);
  // Pages are made present, their contents (blocks another thread may be
  // writing) left as they are. Linux 5.14 and later; older kernels refuse it.
  return madvise(reinterpret_cast<void*>(from), to - from, populate_write) == 0;
}

}  // namespace app
