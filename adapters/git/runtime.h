// libgit2's process-wide state, set up once: git_libgit2_init, the deadline stream, no
// system-wide CA bundle surprises. Every entry point of the adapter calls Ensure first.
#pragma once

namespace gitdest::git {

// Initializes libgit2 once per process (thread-safe; idempotent). libgit2 stays
// initialized until the process ends.
void EnsureLibgit2();

}  // namespace gitdest::git
