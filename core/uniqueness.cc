#include "core/uniqueness.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/check.h"
#include "core/naming/base_folder.h"
#include "core/naming/branch_name.h"
#include "core/naming/identity.h"
#include "core/naming/repo_url.h"

namespace gitdest::core {
namespace {

bool BranchAllowed(const std::string& branch, const std::vector<std::string>& patterns) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return BranchMatchesGlob(branch, p); });
}

}  // namespace

absl::Status ValidateConfigRepoUrl(const RepoConfig& config) {
  if (config.spec.repo_url_had_credentials) {
    // Redacted where it entered; the adapter saw the password, the core never does.
    return absl::InvalidArgumentError(absl::StrCat(
        "GitRepoConfig ", config.key.ToString(), ": spec.repoUrl ", RedactUrl(config.spec.repo_url),
        " carried credentials, which are refused; put them in the Secret that "
        "spec.secretRef names and remove them from the URL"));
  }
  if (absl::Status s = ValidateRepoUrl(config.spec.repo_url); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("GitRepoConfig ", config.key.ToString(), ": ", s.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<ResolvedRepo> ResolveRepo(const RepoConfig& config) {
  if (absl::Status s = ValidateConfigRepoUrl(config); !s.ok()) return s;
  absl::StatusOr<std::string> url = NormalizeRepoUrl(config.spec.repo_url);
  GITDEST_ASSERT(url.ok());  // ValidateRepoUrl accepts only what it accepts
  absl::StatusOr<std::string> repository = RepoIdentity(config.spec.repo_url);
  GITDEST_ASSERT(repository.ok());  // it accepts every URL that NormalizeRepoUrl accepts
  return ResolvedRepo{*std::move(url), *std::move(repository)};
}

absl::StatusOr<WriteTarget> ResolveTarget(const DestinationSpec& spec, const RepoConfig* config) {
  if (config == nullptr) {
    return absl::NotFoundError(absl::StrCat("spec.repoRef: GitRepoConfig ",
                                            spec.repo_ref.ToString(),
                                            " not found; create it or fix spec.repoRef.name"));
  }
  return ResolveTarget(spec, *config, ResolveRepo(*config));
}

absl::StatusOr<WriteTarget> ResolveTarget(const DestinationSpec& spec, const RepoConfig& config,
                                          const absl::StatusOr<ResolvedRepo>& repo) {
  if (!repo.ok()) return repo.status();
  if (absl::Status s = ValidateBranchName(spec.branch); !s.ok()) return s;
  if (!BranchAllowed(spec.branch, config.spec.allowed_branches)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "spec.branch \"", spec.branch, "\" is not allowed by GitRepoConfig ", config.key.ToString(),
        " (spec.allowedBranches: [", absl::StrJoin(config.spec.allowed_branches, ", "),
        "]); use an allowed branch or add a matching pattern"));
  }
  absl::StatusOr<std::string> folder = NormalizeBaseFolder(spec.base_folder);
  if (!folder.ok()) return folder.status();
  WriteTarget target{repo->url, repo->repository, spec.branch, *std::move(folder), ""};
  target.identity = DestinationIdentity(target.repository, target.branch, target.base_folder);
  return target;
}

bool ClaimPrecedes(const ClaimRef& a, const ClaimRef& b) {
  if (a.creation_time != b.creation_time) return a.creation_time < b.creation_time;
  return *a.destination < *b.destination;
}

bool ClaimPrecedes(const Claim& a, const Claim& b) {
  return ClaimPrecedes(ClaimRef{&a.destination, a.creation_time, &a.target},
                       ClaimRef{&b.destination, b.creation_time, &b.target});
}

bool TargetsConflict(const WriteTarget& a, const WriteTarget& b) {
  return a.repository == b.repository && a.branch == b.branch &&
         FoldersOverlap(a.base_folder, b.base_folder);
}

absl::Status CheckAdmission(const Claim& candidate, std::span<const Claim> existing) {
  // Report the oldest conflicting claim: the one that would win in the controller.
  const Claim* blocker = nullptr;
  for (const Claim& other : existing) {
    if (other.destination == candidate.destination) continue;
    if (!TargetsConflict(candidate.target, other.target)) continue;
    if (blocker == nullptr || ClaimPrecedes(other, *blocker)) blocker = &other;
  }
  if (blocker == nullptr) return absl::OkStatus();
  const bool same = blocker->target.identity == candidate.target.identity;
  return absl::AlreadyExistsError(absl::StrCat(
      "spec.baseFolder \"", candidate.target.base_folder, "\" ",
      same ? "is already written" : "overlaps \"" + blocker->target.base_folder + "\", written",
      " by GitDestination ", blocker->destination.ToString(), " on branch \"",
      candidate.target.branch, "\" of ", candidate.target.repo_url,
      "; choose a baseFolder that neither contains nor is inside another destination's"));
}

std::map<ObjectKey, std::optional<ObjectKey>> ResolveConflicts(std::vector<Claim> claims) {
  std::vector<ClaimRef> refs;
  refs.reserve(claims.size());
  for (const Claim& c : claims) refs.push_back({&c.destination, c.creation_time, &c.target});
  return ResolveConflicts(std::move(refs));
}

std::map<ObjectKey, std::optional<ObjectKey>> ResolveConflicts(std::vector<ClaimRef> claims) {
  std::sort(claims.begin(), claims.end(),
            [](const ClaimRef& a, const ClaimRef& b) { return ClaimPrecedes(a, b); });
  std::map<ObjectKey, std::optional<ObjectKey>> verdicts;
  std::vector<const ClaimRef*> admitted;
  for (const ClaimRef& claim : claims) {
    const ClaimRef* winner = nullptr;
    for (const ClaimRef* w : admitted) {
      if (TargetsConflict(*claim.target, *w->target)) {
        winner = w;
        break;
      }
    }
    if (winner == nullptr) admitted.push_back(&claim);
    verdicts.emplace_hint(verdicts.end(), *claim.destination,
                          winner ? std::optional(*winner->destination) : std::nullopt);
  }
  return verdicts;
}

std::string ConflictMessage(const WriteTarget& target, const ObjectKey& winner) {
  return absl::StrCat("baseFolder \"", target.base_folder, "\" on branch \"", target.branch,
                      "\" of ", target.repo_url, " conflicts with GitDestination ",
                      winner.ToString(),
                      ", which was created first; choose a baseFolder that neither contains "
                      "nor is inside another destination's");
}

}  // namespace gitdest::core
