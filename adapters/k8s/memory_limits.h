// The process's memory settings, chosen for a controller that holds little and whose
// peak RSS is what a Pod's memory limit is set from: glibc's allocator and libgit2's
// caches. Set by the binary itself, so that no environment is needed for them.
#pragma once

namespace gitdest::k8s {

// Call first in main, before any thread starts (the arena limit applies to threads made
// afterwards). glibc: at most two malloc arenas however many threads run (by default
// each thread that allocates may get one of up to 8 per core, each keeping the memory
// freed into it), large blocks mmap'd so that freeing them returns them at once, and
// free memory at the top of a heap returned above 1 MiB. An operator's MALLOC_ARENA_MAX,
// MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ wins. libgit2: an object cache of
// 16 MiB and pack files mapped up to 64 MiB (its defaults are 256 MiB and 8 GiB).
void LimitProcessMemory();

}  // namespace gitdest::k8s
