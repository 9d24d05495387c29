// The statuses of GitRepoConfigs, WatchRules and ClusterWatchRules. Level-based: whatever
// changes something a status summarizes marks it due, and at the end of each Handle call
// every due status is computed from the controller's state and written if it differs
// from what the API holds (StatusWrite). Only the leader writes; a new leader computes
// every one anew.
#include <algorithm>
#include <vector>

#include "core/check.h"
#include "core/controller.h"
#include "core/owned_status.h"
#include "core/resource_version.h"

namespace gitdest::core {
namespace {

ResourceKind RuleKind(const ObjectKey& rule) {
  return rule.namespace_.empty() ? ResourceKind::kClusterWatchRule : ResourceKind::kWatchRule;
}

BranchReadState ReadStateOf(const BranchWorker& worker) {
  const std::optional<BranchInfo>& cache = worker.GetBranchMetadata();
  return BranchReadState{worker.key().branch, cache.has_value(),
                         cache && cache->report.exists_on_remote, worker.last_read_error(),
                         worker.read_pending()};
}

template <class Status>
void ObserveVersion(OwnedStatus<Status>& owned, int64_t generation,
                    const std::string& resource_version) {
  owned.generation = generation;
  if (!ResourceVersionOlder(resource_version, owned.resource_version)) {
    owned.resource_version = resource_version;
  }
}

}  // namespace

void Controller::MarkStatusDue(ResourceKind kind, const ObjectKey& key) {
  if (!active()) return;  // a new leader marks every one
  statuses_due_.insert(StatusTarget{kind, key});
}

void Controller::AnsweredOn(BranchWorker& worker, absl::FunctionRef<void()> apply) {
  const BranchReadState before = ReadStateOf(worker);
  apply();
  if (VerdictMayChange(before, ReadStateOf(worker))) {
    MarkStatusDue(ResourceKind::kGitRepoConfig, worker.key().repo_config);
  }
}

void Controller::MarkRulesOf(const ObjectKey& destination) {
  if (!active()) return;
  for (const ObjectKey& rule : rules_.RulesFeeding(destination)) {
    MarkStatusDue(RuleKind(rule), rule);
  }
}

void Controller::MarkAllOwnedStatuses() {
  for (const auto& [key, owned] : config_statuses_) {
    MarkStatusDue(ResourceKind::kGitRepoConfig, key);
  }
  for (const auto& [key, owned] : rule_statuses_) MarkStatusDue(RuleKind(key), key);
}

void Controller::ObserveConfigStatus(const RepoConfig& config, bool changed) {
  auto [it, inserted] = config_statuses_.try_emplace(config.key);
  ObserveVersion(it->second, config.generation, config.resource_version);
  if (inserted || changed) MarkStatusDue(ResourceKind::kGitRepoConfig, config.key);
}

void Controller::ObserveRuleStatus(const WatchRule& rule, bool changed) {
  auto [it, inserted] = rule_statuses_.try_emplace(rule.key);
  ObserveVersion(it->second, rule.generation, rule.resource_version);
  if (inserted || changed) MarkStatusDue(RuleKind(rule.key), rule.key);
}

void Controller::EraseOwnedStatus(ResourceKind kind, const ObjectKey& key) {
  if (kind == ResourceKind::kGitRepoConfig) {
    config_statuses_.erase(key);
  } else {
    rule_statuses_.erase(key);
  }
  statuses_due_.erase(StatusTarget{kind, key});
  requests_.Forget(RequestKind::kStatusWrite, StatusTarget{kind, key});  // its answer: ignored
  std::erase(status_writes_waiting_, StatusTarget{kind, key});           // and none is sent
  Settled(StatusTarget{kind, key});
}

void Controller::Settled(const StatusTarget& target) {
  statuses_unsettled_.erase(target);
  if (statuses_unsettled_.empty()) timers_.Cancel(kOwnedStatusTimer);
}

void Controller::PublishOwnedStatuses(absl::Time now) {
  if (!active()) return;
  for (const StatusTarget& target : statuses_due_) {
    if (target.kind == ResourceKind::kGitRepoConfig) {
      auto it = config_statuses_.find(target.key);
      if (it != config_statuses_.end()) PublishConfigStatus(target.key, it->second, now);
    } else {
      auto it = rule_statuses_.find(target.key);
      if (it != rule_statuses_.end()) PublishRuleStatus(target.key, it->second, now);
    }
  }
  statuses_due_.clear();
}

void Controller::PublishConfigStatus(const ObjectKey& key, OwnedStatus<RepoConfigStatus>& owned,
                                     absl::Time now) {
  std::vector<BranchReadState> branches;
  branches.reserve(workers_.size());  // a bound: one allocation
  workers_.ForEachWorkerOf(
      key, [&](const BranchWorker& worker) { branches.push_back(ReadStateOf(worker)); });
  std::optional<RepoConfigVerdict> verdict = JudgeRepoConfig(repo_configs_.at(key), branches);
  if (!verdict) return;  // the read in flight marks it due again when it answers
  ApplyConditions(verdict->conditions, owned.generation, now, owned.status.conditions);
  owned.status.branches_read = verdict->branches_read;
  owned.status.branches_existing = verdict->branches_existing;
  WriteOwned(StatusTarget{ResourceKind::kGitRepoConfig, key}, owned, now);
}

void Controller::PublishRuleStatus(const ObjectKey& key, OwnedStatus<WatchRuleStatus>& owned,
                                   absl::Time now) {
  const WatchRule* rule = rules_.Find(key);
  GITDEST_ASSERT(rule != nullptr);  // its record is erased with it
  const DestinationRecord* destination = FindRecord(DestinationOf(*rule));
  const RuleVerdict verdict =
      Classify(*rule, destination != nullptr, destination != nullptr && destination->worker);
  ApplyConditions(RuleConditions(verdict), owned.generation, now, owned.status.conditions);
  WriteOwned(StatusTarget{RuleKind(key), key}, owned, now);
}

template <class Status>
void Controller::WriteOwned(const StatusTarget& target, OwnedStatus<Status>& owned,
                            absl::Time now) {
  owned.status.observed_generation = owned.generation;
  // Waiting for a slot: its turn sends the status as it is then.
  if (owned.write.waiting()) return;
  // One write in flight: the next goes out when it lands — or when it is overdue.
  const Request* in_flight = requests_.InFlight(RequestKind::kStatusWrite, target);
  if (!owned.write.Ask(owned.status, in_flight, now, options_.api_timeout)) return;
  AskStatusWrite(target, StatusWriteOf<Status>{owned.write, owned.status, owned.resource_version},
                 in_flight, now);
}

void Controller::OnOwnedStatusWritten(const StatusWritten& in, absl::Time now) {
  auto apply = [&](auto& owned) {
    switch (owned.write.OnWritten(in.resource_version, owned.resource_version)) {
      case WriteAnswer::kFailed:
        // Unknown now: written again after a pause, on a 409 against the version the
        // watch reports meanwhile.
        timers_.SetNoLaterThan(kOwnedStatusTimer, now + options_.status_write_retry_delay);
        return;
      case WriteAnswer::kConfirmed:
        Settled(in.target);
        return;
      case WriteAnswer::kConfirmedAskedSince:
        Settled(in.target);
        MarkStatusDue(in.target.kind, in.target.key);  // written again if it changed meanwhile
        return;
    }
  };
  // Not the write in flight (late, given up on, of another term, or of an object since
  // deleted): ignored.
  if (!requests_.Answer(in.request, RequestKind::kStatusWrite, &in.target)) return;
  if (in.target.kind == ResourceKind::kGitRepoConfig) {
    apply(config_statuses_.at(in.target.key));  // its requests are forgotten with it
  } else {
    apply(rule_statuses_.at(in.target.key));
  }
}

// The timer: statuses whose write failed (or was given up on) are written again. Writes
// in flight are given up on at their deadline by kStatusWriteTimer.
void Controller::RetryOwnedStatuses() {
  for (const StatusTarget& target : statuses_unsettled_) {
    if (requests_.InFlight(RequestKind::kStatusWrite, target) == nullptr) {
      MarkStatusDue(target.kind, target.key);
    }
  }
}

void Controller::ForgetOwnedWrites() {
  for (auto& [key, owned] : config_statuses_) owned.write.Forget();
  for (auto& [key, owned] : rule_statuses_) owned.write.Forget();
  statuses_due_.clear();
  statuses_unsettled_.clear();
}

}  // namespace gitdest::core
