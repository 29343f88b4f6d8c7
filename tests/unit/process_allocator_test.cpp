// The app's main() tunes glibc's malloc (cmd/process_allocator.cpp): one
// arena, large blocks from a heap grown 32 MiB at a time; a large module set
// then marks that reserve for transparent huge pages, and a large migration's
// run faults part of it in beforehand. The tuning is
// process-wide, so the cases run in order in this one process: the operator's
// opt-out first.
#include <gtest/gtest.h>

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "process_allocator.h"

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool glibc_malloc = false;  // the sanitizer's allocator takes no mallopt
#else
constexpr bool glibc_malloc = true;
#endif

// Whether the kernel gives huge pages to memory marked for them.
bool kernel_has_madvise_thp() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  std::getline(f, modes);
  return modes.find("[madvise]") != std::string::npos || modes.find("[always]") != std::string::npos;
}

bool kernel_thp_always() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  std::getline(f, modes);
  return modes.find("[always]") != std::string::npos;
}

// The VmFlags of the mapping that holds `address`, from /proc/self/smaps.
std::string vm_flags_at(std::uintptr_t address) {
  std::ifstream smaps("/proc/self/smaps");
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t from = 0, to = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> from >> dash >> to && dash == '-') {
      inside = from <= address && address < to;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

TEST(process_allocator, malloc_tunables_of_the_operator_are_left_alone) {
  ASSERT_EQ(setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2", 1), 0);
  const auto tuning = app::tune_process_allocator();
  unsetenv("GLIBC_TUNABLES");
  EXPECT_FALSE(tuning.tuned);
  // Nothing was tuned, so there is no reserve to mark or fault in.
  EXPECT_FALSE(app::advise_huge_pages());
  EXPECT_FALSE(app::prefault_heap_reserve(std::size_t{1} << 20));
}

// Whether every page of [from, from + bytes) is in memory (mincore). No block
// is allocated here: one placed after a block the test frees would keep that
// block from going back to the heap's top, and the next case's layout with it.
bool resident(std::uintptr_t from, std::size_t bytes) {
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const std::uintptr_t start = from & ~(page - 1);
  const std::size_t pages = (from + bytes - start + page - 1) / page;
  static std::array<unsigned char, 4096> in;
  if (pages > in.size() || mincore(reinterpret_cast<void*>(start), pages * page, in.data()) != 0) return false;
  for (std::size_t i = 0; i < pages; ++i)
    if (!(in[i] & 1)) return false;
  return true;
}

TEST(process_allocator, large_blocks_come_from_the_heap_and_huge_pages_only_when_advised) {
  // Asked before any block of the case: a block the question leaves behind
  // would keep the case's freed blocks from going back to the heap's top.
  const bool thp_always = kernel_thp_always();
  const bool thp_madvise = kernel_has_madvise_thp();
  const auto tuning = app::tune_process_allocator();
  if (!glibc_malloc) {
    EXPECT_FALSE(tuning.tuned);
    return;
  }
  ASSERT_TRUE(tuning.tuned);
  // A 4 MiB block (glibc maps anything over 128 KiB on its own by default) now
  // comes from the heap: no new mapped block.
  const std::size_t mapped_before = mallinfo2().hblks;
  void* small_set_block = std::malloc(std::size_t{4} << 20);
  ASSERT_NE(small_set_block, nullptr);
  EXPECT_EQ(mallinfo2().hblks, mapped_before);
  EXPECT_LT(reinterpret_cast<std::uintptr_t>(small_set_block), reinterpret_cast<std::uintptr_t>(sbrk(0)));
  // The reserve is address space until it is used: the next block's pages are
  // not in memory until they are faulted in beforehand, from another thread.
  void* untouched = std::malloc(std::size_t{2} << 20);
  ASSERT_NE(untouched, nullptr);
  const auto untouched_middle = reinterpret_cast<std::uintptr_t>(untouched) + (std::uintptr_t{1} << 20);
  // (With THP "always" the block's first write may bring in a whole huge page.)
  if (!thp_always) {
    EXPECT_FALSE(resident(untouched_middle, std::size_t{512} << 10));
  }
  std::free(untouched);
  bool prefaulted = false;
  std::thread([&] { prefaulted = app::prefault_heap_reserve(std::size_t{3} << 20); }).join();
  ASSERT_TRUE(prefaulted);
  void* request = std::malloc(std::size_t{2} << 20);
  ASSERT_NE(request, nullptr);
  EXPECT_TRUE(resident(reinterpret_cast<std::uintptr_t>(request), std::size_t{2} << 20));
  std::free(request);

  // Not advised yet (a small set's run): no huge-page advice on the heap.
  const auto small_inside = reinterpret_cast<std::uintptr_t>(small_set_block) + (std::uintptr_t{3} << 20);
  EXPECT_EQ(vm_flags_at(small_inside).find(" hg"), std::string::npos) << vm_flags_at(small_inside);

  if (!thp_madvise) return;
  // A freed block large enough for any gap below the advised range, kept from
  // the heap's top by a block after it: the gap's block is first served from
  // it (as on a machine whose process freed a few large blocks before the
  // advice), not from the top.
  void* freed_before_advice = std::malloc((std::size_t{2} << 20) + (std::size_t{64} << 10));
  void* keeps_it_off_the_top = std::malloc(std::size_t{256} << 10);  // too large for a cached small block
  ASSERT_NE(freed_before_advice, nullptr);
  ASSERT_NE(keeps_it_off_the_top, nullptr);
  ASSERT_GT(keeps_it_off_the_top, freed_before_advice);
  std::free(freed_before_advice);
  ASSERT_TRUE(app::advise_huge_pages());
  EXPECT_FALSE(app::advise_huge_pages()) << "advised once";
  // A block made after the advice lies in the marked part of the reserve
  // ("hg"), and so does its first byte: the heap's next block starts past the
  // pages that share a page table with the blocks in use before the advice.
  void* large_set_block = std::malloc(std::size_t{4} << 20);
  ASSERT_NE(large_set_block, nullptr);
  const auto start = reinterpret_cast<std::uintptr_t>(large_set_block);
  EXPECT_NE(vm_flags_at(start).find(" hg"), std::string::npos) << std::hex << start << ": " << vm_flags_at(start);
  EXPECT_NE(vm_flags_at(start + (std::uintptr_t{3} << 20)).find(" hg"), std::string::npos);
  // What was in use before the advice keeps its small pages.
  EXPECT_EQ(vm_flags_at(small_inside).find(" hg"), std::string::npos) << vm_flags_at(small_inside);
  std::free(large_set_block);
  std::free(keeps_it_off_the_top);
  std::free(small_set_block);
}

}  // namespace
