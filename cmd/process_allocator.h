// glibc's malloc tuned for the app's process: a command builds its module set
// and the history once, in many small blocks, then exits.
#pragma once

#include <cstddef>

namespace app {

// What tune_process_allocator did: nothing when the operator tuned malloc
// through GLIBC_TUNABLES, or when the process's malloc is not glibc's heap
// (a sanitizer's).
struct allocator_tuning {
  bool tuned = false;
};

// Call first in main(), before any thread starts:
// - one arena: the loader threads' file texts come from the same heap;
// - blocks under 32 MiB from the heap, which grows 32 MiB at a time, instead
//   of a fresh mapping per large block (growing vectors, libpq's results).
// The reserve is address space; only the pages touched count in the resident size.
allocator_tuning tune_process_allocator();

// Marks the tuned heap's reserve, above the blocks in use, for transparent huge
// pages (the kernel's "madvise" THP mode): its first touch then costs a fault
// per 2 MiB, not per 4 KiB page. For a large module set only (large_module_set):
// page faults of fresh memory were about a fifth of `status` on 10,000
// migrations (BENCHMARKS.md, W5), but a huge page whose memory the hypervisor
// has taken back costs about 2 ms to fault in, four times its 512 small pages
// (8 MiB touched on this machine's VM after a few idle seconds: 15-18 ms in huge
// pages, 3-5 ms in 4 KiB pages): a small set's run, which touches a few MiB
// (W2's one large file: about 11), loses.
// Once; false when nothing was marked (not tuned, no room, the kernel refused).
bool advise_huge_pages();

// Makes the first `bytes` of the tuned heap's free top present in memory, as
// if written, from any thread. A run then builds a large request (a migration
// of megabytes, and libpq's copy of it) in memory faulted in while it waited
// for the server, not a 4 KiB fault at a time on its critical path (W2: two
// copies of 1.5 MB, about 2 ms of faults on this machine's VM, against 1.5 ms
// of CPU beside the run for the same pages populated at once).
// False when the heap is not tuned or the kernel refused.
bool prefault_heap_reserve(std::size_t bytes);

// From this many migrations on, a module set is large enough for huge pages.
constexpr std::size_t large_module_set = 2000;

}  // namespace app
