// Commits without a working tree: each change becomes one commit whose tree is the
// parent's tree with that one path updated (git_tree_create_updated), written straight
// into the object cache. A change that changes no bytes (identical content, or a delete
// of a missing file) makes no commit.
#pragma once

#include <git2.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/types.h"

namespace gitdest::git {

struct Identity {
  std::string name;
  std::string email;
};

// The author of a change made by the Kubernetes user `user`: the user as name (angle
// brackets and line breaks dropped; a placeholder when empty) and a valid e-mail that is
// distinct per user (`<user>@users.gitdest.invalid`, with a hash suffix when characters
// had to be replaced).
Identity AuthorOf(const std::string& user);

// Whether `path` may be written: relative, no empty, `.` or `..` segment, no `.git`
// segment (any case), no NUL. A second line of defence behind the core's own checks.
absl::Status ValidatePath(const std::string& path);

// Commits `changes` in order on `parent` (nullopt: a root commit on an empty tree).
// Returns the last commit made, or `parent` when no change changed bytes.
absl::StatusOr<std::optional<git_oid>> CommitChanges(git_repository* repo,
                                                     std::optional<git_oid> parent,
                                                     const std::vector<core::FileChange>& changes,
                                                     const Identity& committer, absl::Time now);

}  // namespace gitdest::git
