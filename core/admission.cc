#include "core/admission.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/naming/base_folder.h"
#include "core/naming/branch_name.h"

namespace gitdest::core {

absl::StatusOr<Claim> ResolveClaim(const Destination& destination, const RepoConfig* config) {
  absl::StatusOr<WriteTarget> target = ResolveTarget(destination.spec, config);
  if (!target.ok()) return target.status();
  return Claim{destination.key, destination.creation_time, *std::move(target)};
}

AdmissionDecision AdmitDestination(const Destination& candidate, const RepoConfig* config,
                                   ClaimsOnBranch claims_on) {
  if (absl::Status s = ValidateBranchName(candidate.spec.branch); !s.ok()) return {s, ""};
  if (absl::StatusOr<std::string> folder = NormalizeBaseFolder(candidate.spec.base_folder);
      !folder.ok()) {
    return {folder.status(), ""};
  }
  if (config == nullptr) {
    return {absl::OkStatus(),
            absl::StrCat("GitRepoConfig ", candidate.spec.repo_ref.ToString(),
                         " (spec.repoRef) is not known yet, so uniqueness was not checked; "
                         "the controller reports it in this GitDestination's status")};
  }
  if (absl::Status s = ValidateConfigRepoUrl(*config); !s.ok()) {
    return {absl::OkStatus(), absl::StrCat(s.message(),
                                           " (uniqueness was not checked; the controller "
                                           "reports it in this GitDestination's status)")};
  }
  absl::StatusOr<Claim> claim = ResolveClaim(candidate, config);
  if (!claim.ok()) return {claim.status(), ""};
  const std::vector<Claim> existing = claims_on(claim->target.repository, claim->target.branch);
  return {CheckAdmission(*claim, existing), ""};
}

}  // namespace gitdest::core
