#include "core/owned_status.h"

#include "absl/strings/str_cat.h"
#include "core/conditions.h"
#include "core/naming/repo_url.h"

namespace gitdest::core {
namespace {

// The failure a human must act on first, then the first in branch order.
const BranchReadState* WorstFailure(std::span<const BranchReadState> branches) {
  const BranchReadState* worst = nullptr;
  for (const BranchReadState& b : branches) {
    if (b.last_error.ok()) continue;
    if (worst == nullptr || (IsAuthError(b.last_error) && !IsAuthError(worst->last_error))) {
      worst = &b;
    }
  }
  return worst;
}

}  // namespace

absl::Status ValidateRepoConfig(const RepoConfig& config) {
  if (config.spec.repo_url_had_credentials) {
    return absl::InvalidArgumentError(absl::StrCat(
        "spec.repoUrl ", RedactUrl(config.spec.repo_url),
        " carried credentials, which are refused; put them in the Secret that spec.secretRef "
        "names and remove them from the URL"));
  }
  if (absl::Status s = ValidateRepoUrl(config.spec.repo_url); !s.ok()) {
    return absl::InvalidArgumentError(s.message());
  }
  if (config.spec.allowed_branches.empty()) {
    return absl::InvalidArgumentError(
        "spec.allowedBranches is empty, so no branch may be written; list at least one "
        "branch or pattern");
  }
  return absl::OkStatus();
}

std::optional<RepoConfigVerdict> JudgeRepoConfig(const RepoConfig& config,
                                                 std::span<const BranchReadState> branches) {
  RepoConfigVerdict verdict;
  ConditionSet& set = verdict.conditions;
  if (absl::Status valid = ValidateRepoConfig(config); !valid.ok()) {
    set.ready_reason = kReasonInvalidSpec;
    set.message = std::string(valid.message());
    set.stalled = true;
    return verdict;
  }
  bool in_flight = false;
  for (const BranchReadState& b : branches) {
    verdict.branches_read += b.read ? 1 : 0;
    verdict.branches_existing += b.read && b.exists ? 1 : 0;
    in_flight |= b.in_flight;
  }
  if (const BranchReadState* failed = WorstFailure(branches)) {
    set.ready_reason = kReasonConnectionFailed;
    set.message = absl::StrCat("reading branch \"", failed->branch,
                               "\" failed: ", failed->last_error.message());
    set.stalled = IsAuthError(failed->last_error);
    set.reconciling = !set.stalled;
    set.reconciling_reason = kReasonConnectionFailed;
  } else if (verdict.branches_read > 0) {
    set.ready = true;
    set.ready_reason = kReasonConnected;
    set.message = absl::StrCat("read ", verdict.branches_read, " of ", branches.size(),
                               " branches its GitDestinations use; ", verdict.branches_existing,
                               " exist on the remote");
  } else if (in_flight) {
    return std::nullopt;
  } else {
    set.ready_unknown = true;
    set.ready_reason = kReasonChecking;
    set.message = "not read yet: the repository is read when a GitDestination uses it";
    set.reconciling = true;
    set.reconciling_reason = kReasonChecking;
  }
  return verdict;
}

bool VerdictMayChange(const BranchReadState& before, const BranchReadState& after) {
  auto waiting = [](const BranchReadState& b) {
    return b.in_flight && !b.read && b.last_error.ok();
  };
  return before.read != after.read || before.exists != after.exists ||
         before.last_error != after.last_error || waiting(before) != waiting(after);
}

ConditionSet RuleConditions(const RuleVerdict& verdict) {
  ConditionSet set;
  set.ready = verdict.ready;
  set.ready_reason = verdict.reason;
  set.message = verdict.message;
  set.stalled =
      verdict.reason == kRuleReasonInvalidSpec || verdict.reason == kRuleReasonDestinationNotFound;
  set.reconciling = verdict.reason == kRuleReasonDestinationNotReady;
  set.reconciling_reason = verdict.reason;
  return set;
}

}  // namespace gitdest::core
