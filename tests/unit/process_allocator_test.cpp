// The app's main() tunes glibc's malloc (cmd/process_allocator.cpp): one
// arena, large blocks from a heap grown 32 MiB at a time, that reserve marked
// for transparent huge pages. The tuning is process-wide, so the cases run in
// order in this one process: the operator's opt-out first.
#include <gtest/gtest.h>

#include <malloc.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

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
  EXPECT_FALSE(tuning.huge_pages);
}

TEST(process_allocator, large_blocks_come_from_a_heap_marked_for_huge_pages) {
  const auto tuning = app::tune_process_allocator();
  if (!glibc_malloc) {
    EXPECT_FALSE(tuning.tuned);
    return;
  }
  ASSERT_TRUE(tuning.tuned);
  // A 4 MiB block (glibc maps anything over 128 KiB on its own by default) now
  // comes from the heap: no new mapped block.
  const std::size_t mapped_before = mallinfo2().hblks;
  void* block = std::malloc(std::size_t{4} << 20);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(mallinfo2().hblks, mapped_before);
  EXPECT_LT(reinterpret_cast<std::uintptr_t>(block), reinterpret_cast<std::uintptr_t>(sbrk(0)));
  if (kernel_has_madvise_thp()) {
    EXPECT_TRUE(tuning.huge_pages);
    // The block lies in the reserve, which carries the huge-page advice ("hg")
    // from its first 2 MiB boundary on.
    const auto inside = reinterpret_cast<std::uintptr_t>(block) + (std::uintptr_t{3} << 20);
    EXPECT_NE(vm_flags_at(inside).find(" hg"), std::string::npos) << vm_flags_at(inside);
    // And so does its first byte: the heap's next block starts past the pages
    // that share a page table with the blocks made before the tuning.
    const auto start = reinterpret_cast<std::uintptr_t>(block);
    EXPECT_NE(vm_flags_at(start).find(" hg"), std::string::npos) << std::hex << start << ": " << vm_flags_at(start);
  }
  std::free(block);
}

}  // namespace
