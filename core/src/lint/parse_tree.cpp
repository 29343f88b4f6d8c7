#include "lint/parse_tree.h"

#include <memory_resource>

namespace migrator::tree_arena {

namespace {

// 256 KiB holds the tree of any ordinary migration statement; a larger one
// continues in blocks from the heap, given back when the arena rewinds.
struct arena {
  std::vector<std::byte> first_block = std::vector<std::byte>(std::size_t{256} << 10);
  std::pmr::monotonic_buffer_resource resource{first_block.data(), first_block.size()};
  std::size_t live = 0;  // blocks handed out and not yet given back
};

arena& this_threads_arena() {
  thread_local arena a;
  return a;
}

}  // namespace

void* allocate(std::size_t bytes, std::size_t alignment) {
  arena& a = this_threads_arena();
  void* block = a.resource.allocate(bytes, alignment);
  ++a.live;
  return block;
}

void deallocate() noexcept {
  arena& a = this_threads_arena();
  if (--a.live == 0) a.resource.release();
}

}  // namespace migrator::tree_arena
