// Deadlines for libgit2's network I/O. libgit2 1.5 has no server timeout: a remote that
// accepts a connection and never answers would block a read or push forever. gitdest
// registers its own socket stream (git_stream_register) that connects, reads and writes
// only until the deadline of the operation running on the calling thread, and a
// watchdog that shuts a socket down at that deadline (libssh2 reads the socket itself).
#pragma once

#include "absl/time/time.h"

namespace gitdest::git {

// Registers the stream with libgit2; once per process, after git_libgit2_init.
void RegisterDeadlineStream();

// While alive, every connection libgit2 opens on this thread ends at `deadline`: past
// it, reads, writes and connects fail and the operation returns an error.
class ScopedNetworkDeadline {
 public:
  explicit ScopedNetworkDeadline(absl::Time deadline);
  ~ScopedNetworkDeadline();
  ScopedNetworkDeadline(const ScopedNetworkDeadline&) = delete;
  ScopedNetworkDeadline& operator=(const ScopedNetworkDeadline&) = delete;
};

// Whether a connection of the operation running on this thread hit its deadline.
bool NetworkDeadlineExpired();

}  // namespace gitdest::git
