// Uniqueness of write targets: no two GitDestinations may write the same
// (repository, branch, baseFolder), nor nested baseFolders on one branch (one
// destination's cleanup would delete the other's files). Enforced twice: by the
// admission webhook (CheckAdmission) and by the controller (ResolveConflicts).
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/types.h"

namespace gitdest::core {

// The normalized triple a valid destination writes to: (repository, branch,
// base_folder). Spellings of one repository (https or ssh, case, `.git`) share one
// `repository`, so uniqueness compares it, never `repo_url`.
struct WriteTarget {
  std::string repo_url;     // NormalizeRepoUrl: the spelling for messages
  std::string repository;   // RepoIdentity: what uniqueness compares
  std::string branch;       // a valid branch name
  std::string base_folder;  // NormalizeBaseFolder
  std::string identity;     // DestinationIdentity of repository, branch and base_folder
  friend bool operator==(const WriteTarget&, const WriteTarget&) = default;
};

// OK iff `config`'s spec.repoUrl is one a target may be resolved from: it carried no
// credentials and ValidateRepoUrl accepts it. The error (InvalidArgument) names the
// GitRepoConfig and spec.repoUrl; ResolveTarget returns it first.
absl::Status ValidateConfigRepoUrl(const RepoConfig& config);

// What a GitRepoConfig's spec.repoUrl resolves to, the same for every destination that
// uses it: the URL as NormalizeRepoUrl spells it and the repository's identity
// (RepoIdentity). The error is ValidateConfigRepoUrl's.
struct ResolvedRepo {
  std::string url;
  std::string repository;
  friend bool operator==(const ResolvedRepo&, const ResolvedRepo&) = default;
};
absl::StatusOr<ResolvedRepo> ResolveRepo(const RepoConfig& config);

// Validates a destination's spec against its GitRepoConfig (nullptr: not found).
// Errors, each naming the field and the fix: NotFound — the GitRepoConfig is missing;
// PermissionDenied — spec.branch is valid but outside the GitRepoConfig's
// allowedBranches (the destination may not see that branch); InvalidArgument — a bad
// field (repoUrl, with credentials too; branch name; baseFolder).
absl::StatusOr<WriteTarget> ResolveTarget(const DestinationSpec& spec, const RepoConfig* config);
// The same, with ResolveRepo(config) already known (the controller keeps it per config).
absl::StatusOr<WriteTarget> ResolveTarget(const DestinationSpec& spec, const RepoConfig& config,
                                          const absl::StatusOr<ResolvedRepo>& repo);

// A destination's claim on a target, with what orders claims: the oldest wins.
struct Claim {
  ObjectKey destination;
  absl::Time creation_time;
  WriteTarget target;
};

// A claim whose parts are held elsewhere (the controller's records), which must outlive it.
struct ClaimRef {
  const ObjectKey* destination;
  absl::Time creation_time;
  const WriteTarget* target;
};

// Strict order: earlier creation first; Kubernetes timestamps have one-second
// precision, so ties are broken by namespace/name.
bool ClaimPrecedes(const Claim& a, const Claim& b);
bool ClaimPrecedes(const ClaimRef& a, const ClaimRef& b);

// Same repository (identity, not spelling) and branch, and equal or nested folders.
bool TargetsConflict(const WriteTarget& a, const WriteTarget& b);

// Admission: OK, or AlreadyExists naming the existing destination that `candidate`
// would collide with and what to change. Claims by `candidate.destination` itself
// (an update) are ignored.
absl::Status CheckAdmission(const Claim& candidate, std::span<const Claim> existing);

// Controller side: claims are admitted oldest first, each unless it conflicts with
// an already admitted one. Maps every claim to nullopt (admitted) or to the admitted
// destination it lost to. Deterministic for any input order.
std::map<ObjectKey, std::optional<ObjectKey>> ResolveConflicts(std::vector<Claim> claims);
// The same verdicts, over claims that are not copied.
std::map<ObjectKey, std::optional<ObjectKey>> ResolveConflicts(std::vector<ClaimRef> claims);

// The message a losing destination carries in its Ready=False/Conflict condition.
std::string ConflictMessage(const WriteTarget& target, const ObjectKey& winner);

}  // namespace gitdest::core
