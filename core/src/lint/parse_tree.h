// The JSON tree lint reads libpg_query's parse into. Its nodes come from a
// per-thread arena instead of malloc: lint parses one statement at a time and
// drops its tree before the next, and a tree is thousands of small map nodes,
// so malloc and free were a fifth of lint's instructions. The arena is
// rewound once nothing allocated from it is alive, so the next statement reuses
// the same (already touched) memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace migrator {

namespace tree_arena {
void* allocate(std::size_t bytes, std::size_t alignment);
void deallocate() noexcept;  // the arena rewinds when the last live block goes
}  // namespace tree_arena

// Stateless: every instance draws on the calling thread's arena.
template <typename T>
struct tree_allocator {
  using value_type = T;
  tree_allocator() = default;
  template <typename U>
  tree_allocator(const tree_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(tree_arena::allocate(n * sizeof(T), alignof(T))); }
  void deallocate(T*, std::size_t) noexcept { tree_arena::deallocate(); }
  template <typename U>
  bool operator==(const tree_allocator<U>&) const noexcept { return true; }
  template <typename U>
  bool operator!=(const tree_allocator<U>&) const noexcept { return false; }
};

using parse_tree = nlohmann::basic_json<std::map, std::vector, std::string, bool, std::int64_t, std::uint64_t, double,
                                        tree_allocator>;

}  // namespace migrator
