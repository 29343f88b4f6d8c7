// glibc's malloc tuned for the app's process: a command builds its module set
// and the history once, in many small blocks, then exits.
#pragma once

namespace app {

// What tune_process_allocator did: nothing when the operator tuned malloc
// through GLIBC_TUNABLES, or when the process's malloc is not glibc's heap
// (a sanitizer's); `huge_pages` when the heap's reserve was also marked for
// transparent huge pages (the kernel may still refuse them).
struct allocator_tuning {
  bool tuned = false;
  bool huge_pages = false;
};

// Call first in main(), before any thread starts:
// - one arena: the loader threads' file texts come from the same heap;
// - blocks under 32 MiB from the heap, which grows 32 MiB at a time, instead
//   of a fresh mapping per large block (growing vectors, libpq's results);
// - that reserve marked MADV_HUGEPAGE: in the kernel's "madvise" THP mode its
//   first touch then costs a fault per 2 MiB, not per 4 KiB page.
// Page faults of fresh memory were about a fifth of `status` on 10,000
// migrations (BENCHMARKS.md, W5). The reserve is address space; only the
// pages touched count in the resident size.
allocator_tuning tune_process_allocator();

}  // namespace app
