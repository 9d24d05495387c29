// Admission of a GitDestination: what the validating webhook decides when one is created
// or its spec changes. Pure: the webhook adapter supplies the object as the API server
// sent it, its GitRepoConfig as the adapter's index knows it, and the index's claims on
// one (repository, branch). The same functions build the claims of that index, so the
// webhook and the controller (core/uniqueness.h) compare exactly the same triples.
#pragma once

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/types.h"
#include "core/uniqueness.h"

namespace gitdest::core {

// The claim `destination` makes on its write target, resolved as the controller resolves
// it (ResolveTarget, same errors), ordered by its creation time.
absl::StatusOr<Claim> ResolveClaim(const Destination& destination, const RepoConfig* config);

struct AdmissionDecision {
  // OK = admit. Otherwise the refusal, its message naming the field and the fix:
  // InvalidArgument (a bad spec.branch or spec.baseFolder), PermissionDenied
  // (spec.branch outside the GitRepoConfig's allowedBranches), AlreadyExists (the
  // target is written by another GitDestination, which the message names).
  absl::Status status;
  // When admitted without comparing with other destinations: why, for the user.
  std::string warning;
};

// The claims an index holds on one (repository identity, branch).
using ClaimsOnBranch =
    absl::FunctionRef<std::vector<Claim>(const std::string& repository, const std::string& branch)>;

// Decides a create or spec change of `candidate`; `config` is its GitRepoConfig
// (spec.repoRef) as known, nullptr when unknown. In order:
//  1. spec.branch and spec.baseFolder must be valid whatever the config: refused if not;
//  2. an unknown config, or one whose repoUrl is invalid, admits with a warning: the
//     fault (or the missing object) is elsewhere, objects are often applied in any
//     order, and the controller reports it in the destination's status and
//     re-resolves, oldest first, once the config exists or is fixed;
//  3. a branch the config does not allow is refused;
//  4. a target that another claim on the same branch holds, or nests with, is refused
//     naming the oldest such destination (CheckAdmission); the candidate's own claim
//     (an update) never blocks it.
AdmissionDecision AdmitDestination(const Destination& candidate, const RepoConfig* config,
                                   ClaimsOnBranch claims_on);

}  // namespace gitdest::core
