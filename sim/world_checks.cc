// The checks of the simulated world: the design's invariants after every step (safety)
// and convergence once the faults have healed (liveness).
#include <algorithm>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/conditions.h"
#include "core/naming/branch_name.h"
#include "core/naming/repo_url.h"
#include "core/naming/resource_path.h"
#include "core/owned_status.h"
#include "core/uniqueness.h"
#include "sim/world.h"

namespace gitdest::sim::internal {
namespace {

std::string Join(const std::set<core::GroupVersionResource>& types) {
  return absl::StrCat("{",
                      absl::StrJoin(types, ", ",
                                    [](std::string* out, const auto& gvr) {
                                      absl::StrAppend(out, gvr.ToString());
                                    }),
                      "}");
}

}  // namespace

void World::Fail(Outcome outcome, std::string message) {
  if (result_.outcome != Outcome::kOk) return;
  result_.outcome = outcome;
  result_.message = std::move(message);
  result_.failed_step = result_.steps - 1;
  result_.failed_at = now_;
}

void World::RecordTips() {
  for (auto& [url, tips] : tips_) tips.Record(remote_, url, now_);
}

// The step invariants (each replica's StateChecker), and invariant 8 as the world granted
// the Lease: only its holder writes, and at most one replica holds it.
void World::CheckStep(int replica, const core::Input& input, const core::Output& out) {
  Replica& it = replicas_[replica];
  const auto writes = std::count_if(out.effects.begin(), out.effects.end(), [](const auto& e) {
    return !std::holds_alternative<core::EnsureWatches>(e);  // watching is not writing
  });
  if (!it.leader && writes > 0) {
    return Fail(Outcome::kSafetyViolation,
                absl::StrCat("replica ", replica, ": invariant 8 (only the leader writes): ",
                             writes, " effects emitted without the lease the world granted"));
  }
  if (absl::Status s = it.checker.Step(now_, input, *it.controller, out); !s.ok()) {
    return Fail(Outcome::kSafetyViolation, absl::StrCat("replica ", replica, ": ", s.message()));
  }
  controllers_.clear();  // its capacity kept: a step allocates nothing here
  for (const Replica& r : replicas_) controllers_.push_back(r.controller.get());
  if (absl::Status s = StateChecker::AtMostOneLeader(controllers_); !s.ok()) {
    Fail(Outcome::kSafetyViolation, std::string(s.message()));
  }
}

void World::WalkBeforeEnd(int replica) {
  if (!options_.check_invariants || result_.outcome != Outcome::kOk) return;
  if (absl::Status s = replicas_[replica].controller->CheckInvariants(); !s.ok()) {
    Fail(Outcome::kSafetyViolation, absl::StrCat("replica ", replica, ": ", s.message()));
  }
}

const TipHistory& World::Tips::Of(const std::string& url) const {
  static const TipHistory kNoHistory;
  auto [memo, inserted] = by_spelling_.try_emplace(url, &kNoHistory);
  if (inserted) {
    absl::StatusOr<std::string> normalized = core::NormalizeRepoUrl(url);
    auto it = tips_->find(normalized.ok() ? *normalized : url);
    if (it != tips_->end()) memo->second = &it->second;
  }
  return *memo->second;
}

bool World::Tips::SeenBetween(const std::string& url, const std::string& branch,
                              const std::string& sha, absl::Time from, absl::Time to) const {
  return Of(url).SeenBetween(branch, sha, from, to);
}

bool World::Tips::EverHad(const std::string& url, const std::string& sha) const {
  return Of(url).EverHad(sha);
}

// ---- liveness ----------------------------------------------------------------------------

// After the healed phase every destination that has a GitRepoConfig and a valid spec and
// wins uniqueness holds what its rules capture, and its status matches the remote; the
// controller watches exactly what its rules capture.
void World::CheckConvergence() {
  if (Leader() == nullptr) {
    return Fail(Outcome::kLivenessFailure,
                "liveness: no replica holds the lease after the healed phase");
  }
  std::vector<core::Claim> claims;
  std::map<core::ObjectKey, core::WriteTarget> targets;
  for (const auto& [key, d] : api_) {
    absl::StatusOr<core::WriteTarget> target = TargetOf(key, d);
    if (!target.ok()) continue;  // no GitRepoConfig, or invalid: not expected to converge
    claims.push_back(core::Claim{key, d.created, *target});
    targets.emplace(key, *std::move(target));
  }
  const core::RuleIndex rules = ApiRuleIndex();
  std::set<core::ObjectKey> admitted;
  for (const auto& [key, lost_to] : core::ResolveConflicts(claims)) {
    if (lost_to) continue;
    admitted.insert(key);
    CheckFolderConverged(key, targets.at(key), rules);
    if (result_.outcome != Outcome::kOk) return;
    CheckStatusConverged(key, targets.at(key));
    if (result_.outcome != Outcome::kOk) return;
  }
  for (const Replica& replica : replicas_) {  // a standby watches too
    if (result_.outcome == Outcome::kOk) CheckWatchesConverged(replica);
  }
  if (result_.outcome == Outcome::kOk) CheckOwnedStatusesConverged(admitted);
}

// Every GitRepoConfig's and WatchRule's status is what the world says, the API holds what
// the controller computed (nothing lost, nothing left to write).
void World::CheckOwnedStatusesConverged(const std::set<core::ObjectKey>& admitted) {
  for (const auto& [key, config] : configs_) {
    CheckConfigStatusConverged(key, admitted);
    if (result_.outcome != Outcome::kOk) return;
  }
  for (const auto& [key, rule] : rules_) {
    CheckRuleStatusConverged(rule, admitted);
    if (result_.outcome != Outcome::kOk) return;
  }
}

// Invalid (a URL with credentials): Stalled, InvalidSpec. Used by an admitted destination:
// Ready, Connected. Used by none: Checking, Ready Unknown (nothing reads it).
void World::CheckConfigStatusConverged(const core::ObjectKey& key,
                                       const std::set<core::ObjectKey>& admitted) {
  const core::RepoConfig config = *RepoConfig(key);
  auto owned = Leader()->config_statuses().find(key);
  const auto* api = cluster_.StatusOf<core::RepoConfigStatus>(
      core::StatusTarget{core::ResourceKind::kGitRepoConfig, key});
  if (owned == Leader()->config_statuses().end() || api == nullptr ||
      *api != owned->second.status) {
    return Fail(Outcome::kLivenessFailure,
                absl::StrCat("liveness: the API's status of GitRepoConfig ", key.ToString(),
                             " is missing or differs from the controller's"));
  }
  bool used = false;
  for (const core::ObjectKey& d : admitted) {
    used |= core::Controller::RepoConfigKeyOf(ToDestination(d, api_.at(d))) == key;
  }
  const char* expected = !core::ValidateRepoConfig(config).ok() ? core::kReasonInvalidSpec
                         : used                                 ? core::kReasonConnected
                                                                : core::kReasonChecking;
  const core::Condition* ready = core::FindCondition(api->conditions, core::kConditionReady);
  const core::Condition* stalled = core::FindCondition(api->conditions, core::kConditionStalled);
  const bool stalled_ok = (expected == core::kReasonInvalidSpec) ==
                          (stalled != nullptr && stalled->status == core::ConditionStatus::kTrue);
  if (ready == nullptr || ready->reason != expected || !stalled_ok ||
      (ready->status == core::ConditionStatus::kTrue) != (expected == core::kReasonConnected)) {
    return Fail(Outcome::kLivenessFailure,
                absl::StrCat("liveness: GitRepoConfig ", key.ToString(), " says ",
                             ready == nullptr ? "nothing" : ready->reason, ", expected ", expected,
                             " after the healed phase"));
  }
}

// Ready exactly when valid and its destination exists and is admitted; else the reason.
void World::CheckRuleStatusConverged(const core::WatchRule& rule,
                                     const std::set<core::ObjectKey>& admitted) {
  auto owned = Leader()->rule_statuses().find(rule.key);
  const core::ResourceKind kind =
      rule.IsClusterRule() ? core::ResourceKind::kClusterWatchRule : core::ResourceKind::kWatchRule;
  const auto* api = cluster_.StatusOf<core::WatchRuleStatus>(core::StatusTarget{kind, rule.key});
  if (owned == Leader()->rule_statuses().end() || api == nullptr || *api != owned->second.status) {
    return Fail(Outcome::kLivenessFailure,
                absl::StrCat("liveness: the API's status of rule ", rule.key.ToString(),
                             " is missing or differs from the controller's"));
  }
  const core::ObjectKey destination = core::DestinationOf(rule);
  const core::RuleVerdict expected =
      core::Classify(rule, api_.contains(destination), admitted.contains(destination));
  const core::Condition* ready = core::FindCondition(api->conditions, core::kConditionReady);
  if (ready == nullptr || ready->reason != expected.reason ||
      (ready->status == core::ConditionStatus::kTrue) != expected.ready ||
      api->observed_generation != rule.generation) {
    return Fail(Outcome::kLivenessFailure,
                absl::StrCat("liveness: rule ", rule.key.ToString(), " says ",
                             ready == nullptr ? "nothing" : ready->reason, ", expected ",
                             expected.reason, " after the healed phase"));
  }
}

// Invariant 9: every object its rules capture is in its folder with its latest content,
// and no file there names a captured object the cluster no longer has. Files of objects
// its rules no longer capture stay as they were (narrowing a rule writes nothing).
void World::CheckFolderConverged(const core::ObjectKey& key, const core::WriteTarget& target,
                                 const core::RuleIndex& rules) {
  const Tree tree = remote_.TreeAt(target.repo_url, target.branch);
  const std::string& folder = target.base_folder;
  auto captures = [&](const core::ResourceId& id, core::ChangeOp op) {
    return rules.DestinationsCapturing(TypeOf(id), id.namespace_, op).contains(key);
  };
  std::set<std::string> live;
  for (const auto& [id, object] : cluster_.objects()) {
    if (!captures(id, core::ChangeOp::kUpdate)) continue;
    absl::StatusOr<std::string> path = core::ResourcePath(folder, id);
    auto file = tree.find(*path);
    if (file == tree.end() || file->second != object.content) {
      return Fail(
          Outcome::kLivenessFailure,
          absl::StrCat("liveness: ", *path, " of ", key.ToString(), " in ", target.repo_url, "@",
                       target.branch, file == tree.end() ? " is missing" : " has stale content",
                       " after the healed phase"));
    }
    live.insert(*std::move(path));
  }
  for (auto file = tree.lower_bound(folder + "/");
       file != tree.end() && file->first.starts_with(folder + "/"); ++file) {
    std::optional<core::ResourceId> id = core::ParseResourcePath(folder, file->first);
    if (!id || !captures(*id, core::ChangeOp::kDelete)) continue;
    if (!live.contains(*core::ResourcePath(folder, *id))) {
      return Fail(Outcome::kLivenessFailure,
                  absl::StrCat("liveness: ", file->first, " in the folder of ", key.ToString(),
                               " names no object of the cluster after the healed phase"));
    }
  }
}

void World::CheckStatusConverged(const core::ObjectKey& key, const core::WriteTarget& target) {
  auto rec = Leader()->destinations().find(key);
  const core::Condition* ready =
      rec == Leader()->destinations().end()
          ? nullptr
          : core::FindCondition(rec->second.status, core::kConditionReady);
  if (ready == nullptr || ready->status != core::ConditionStatus::kTrue ||
      rec->second.status.last_commit_sha != remote_.Tip(target.repo_url, target.branch)) {
    return Fail(Outcome::kLivenessFailure, absl::StrCat("liveness: the status of ", key.ToString(),
                                                        " did not converge to the remote branch ",
                                                        target.repo_url, "@", target.branch));
  }
  auto written = cluster_.statuses().find(key);
  if (written == cluster_.statuses().end() || written->second != rec->second.status) {
    return Fail(Outcome::kLivenessFailure,
                absl::StrCat("liveness: the API's status of ", key.ToString(),
                             " differs from the controller's"));
  }
}

// The controller's last EnsureWatches names every discovered type a rule captures (here:
// configmaps whenever some rule exists) and nothing else.
void World::CheckWatchesConverged(const Replica& replica) {
  std::vector<const core::WatchRule*> rules;
  for (const auto& [key, rule] : rules_) rules.push_back(&rule);
  const std::set<core::GroupVersionResource> expected =
      core::WatchedTypes(rules, DiscoveredTypes());
  if (replica.watched != expected) {
    Fail(Outcome::kLivenessFailure,
         absl::StrCat("liveness: replica epoch ", replica.epoch, " watches ", Join(replica.watched),
                      " but its ", rules.size(), " rules capture ", Join(expected)));
  }
}

}  // namespace gitdest::sim::internal
