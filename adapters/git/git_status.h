// libgit2's error codes and messages as the port's absl::Status (core/ports.h): auth →
// Unauthenticated, network/TLS/server → Unavailable, past the deadline →
// DeadlineExceeded, a missing repository → NotFound, a local object that does not read
// back → Internal (the cache is then rebuilt). Messages say what failed and what
// to check; they never carry a credential (libgit2's own messages are redacted too).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gitdest::git {

// The status for libgit2's return code `rc` (< 0) of the step `what` ("connecting to
// https://host/repo"), from libgit2's last error of this thread.
absl::Status FromLibgit2(int rc, absl::string_view what);

// OK for rc >= 0, else FromLibgit2.
inline absl::Status Check(int rc, absl::string_view what) {
  return rc >= 0 ? absl::OkStatus() : FromLibgit2(rc, what);
}

// `text` with every `scheme://user:secret@` and `scheme://token@` userinfo removed.
std::string RedactMessage(absl::string_view text);

}  // namespace gitdest::git
