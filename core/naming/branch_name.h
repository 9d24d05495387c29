// Branch names: git's check-ref-format rules for `refs/heads/<name>`, and the
// allowedBranches glob match of GitRepoConfig.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gitdest::core {

// OK iff `git check-ref-format --branch <branch>` accepts it: no empty component
// (so no leading/trailing `/`, no `//`), no component starting with `.` or ending
// with `.lock`, no `..`, no ASCII control character, space or any of `~ ^ : ? * [ \`,
// not ending in `.`, no `@{`, not exactly `@`; and, as `git branch` demands, not
// starting with `-` and not exactly `HEAD`. Beyond git, as a bound: each component
// at most 255 bytes (one file name on disk for a loose ref), the whole at most 1024.
// The error (InvalidArgument) names `spec.branch`, quotes the name and says which
// rule broke and how to fix it.
absl::Status ValidateBranchName(absl::string_view branch);

// fnmatch-style match of `branch` against one allowedBranches pattern: `*` matches
// any run of characters except `/`, `**` any run including `/` (and `**/` also
// matches nothing, so `a/**/b` matches `a/b`), `?` one character except `/`,
// `[...]` a character class with ranges (`[!...]` or `[^...]` negated; `]` first is
// literal; never matches `/`). A `[` without its `]` is a literal `[`, and `\` is
// always literal (no escapes); no valid branch name contains either, so such a
// pattern matches nothing. A literal pattern matches only itself; matching is
// case-sensitive. Pure, no allocation beyond the call, O(|pattern| × |branch|) time
// whatever the pattern (no exponential backtracking).
//
// Against the reference controller (gitops-reverser matches with Go's filepath.Match),
// where the two differ we chose what an administrator who writes the pattern expects,
// because an allow-list that reads narrower than it is, is the unsafe kind:
//   - `*`, `?` and classes stay within one `/`-segment, as there (`release-*` does not
//     admit `release-1/x`, `feature/*` not `feature/a/b`); a negated class never
//     matches `/` either (filepath.Match lets `x[^a]y` match `x/y`): narrower, safe;
//   - `**` crosses `/` (there it is just `*`): nobody writes `**` to mean `*`, and
//     `feature/**` for "any depth under feature/" is what .gitignore, git's wildmatch
//     and GitHub rulesets taught users. Crossing needs the explicit `**`, so no pattern
//     is wider than its author wrote;
//   - `[!a]` negates like `[^a]` (filepath.Match reads `!` as a member, so `[!a]*`
//     would admit exactly the branches starting with `a` — or `!` — that its author
//     meant to exclude);
//   - `\` escapes nothing (there `ma\in` admits `main`): narrower, safe.
// An unclosed `[` matches nothing in both (there the pattern is skipped as malformed).
bool BranchMatchesGlob(absl::string_view branch, absl::string_view pattern);

// OK iff the pattern is non-empty, at most 1024 bytes and well-formed: every `[`
// has its `]`, and no range runs backwards (`[z-a]`). The error names
// `spec.allowedBranches[index]`.
absl::Status ValidateBranchGlob(absl::string_view pattern, int index);

}  // namespace gitdest::core
