// baseFolder: the folder of the repository that one GitDestination owns. A bad value
// is an error, never silently mapped to the repository root.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gitdest::core {

// Canonical form of a baseFolder: `.` segments go and one trailing `/` is dropped, so
// `./clusters/./prod/` becomes `clusters/prod`; case is kept (Git paths are
// case-sensitive). Rejected with InvalidArgument naming `spec.baseFolder` and the
// fix: empty, `.` or `./` alone (would be the repository root), absolute paths,
// any `..` segment (but `foo..bar` is a valid name), empty segments (`a//b`, `a//`),
// backslashes, NUL and control characters, a segment with leading or trailing ASCII
// whitespace (`" clusters/prod"`, `"a/ /b"`; a space inside a name is kept), a `.git`
// segment (any case), segments longer than 255 bytes, input longer than 1024 bytes.
// The result is a fixed point.
absl::StatusOr<std::string> NormalizeBaseFolder(absl::string_view base_folder);

// True exactly when NormalizeBaseFolder(path) accepts `path` and returns it unchanged: a
// safe folder or file path already in canonical form. Allocates nothing when it holds,
// so checks may run it on every queued path after every step.
bool IsNormalFolder(absl::string_view path);

// True when two *normalized* folders are equal or one contains the other by whole
// segments (`a/b` contains `a/b/c`, but not `a/bc`). Symmetric. An empty folder
// stands for the repository root and overlaps everything.
bool FoldersOverlap(absl::string_view a, absl::string_view b);

}  // namespace gitdest::core
