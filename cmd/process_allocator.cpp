#include "process_allocator.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace app {

allocator_tuning tune_process_allocator() {
  allocator_tuning done;
  // The operator's own malloc tunables win.
  if (const char* tunables = std::getenv("GLIBC_TUNABLES"); tunables && std::strstr(tunables, "glibc.malloc."))
    return done;
  constexpr std::size_t reserve = std::size_t{32} << 20;
  constexpr std::uintptr_t huge_page = std::uintptr_t{2} << 20;
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
  if (high <= low || high - low > reserve + (std::uintptr_t{1} << 20)) return done;
  const std::uintptr_t from = (low + huge_page - 1) & ~(huge_page - 1);
  const std::uintptr_t to = high & ~(huge_page - 1);
  if (to > from) done.huge_pages = madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE) == 0;
  return done;
}

}  // namespace app
