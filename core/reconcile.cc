// Reconcile of one GitDestination: validate, admit (uniqueness), attach to its branch
// worker, and make the status true to the remote branch via SyncAndGetMetadata.
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/check.h"
#include "core/conditions.h"
#include "core/controller.h"

namespace gitdest::core {
namespace {

// FNV-1a: stable across processes and platforms, unlike absl::Hash, so a key's
// jitter is the same in production, in the simulator and in a replayed trace.
uint64_t StableHash(const ObjectKey& key) {
  uint64_t h = 14695981039346656037ULL;
  auto mix = [&h](const std::string& s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;  // separator: ("a","bc") ≠ ("ab","c")
  };
  mix(key.namespace_);
  mix(key.name);
  return h;
}

void ForgetBranch(DestinationStatus& status) {
  status.branch_exists = false;
  status.last_commit_sha.clear();
  status.last_sync_time = absl::InfinitePast();
}

}  // namespace

absl::Duration Controller::JitteredRequeue(const ObjectKey& key) const {
  // Spread over [1 - f, 1 + f] · interval in whole milliseconds.
  const double f = options_.requeue_jitter_fraction;
  const double unit = static_cast<double>(StableHash(key) % 1'000'000) / 1'000'000.0;
  return absl::Milliseconds(static_cast<int64_t>(
      absl::ToDoubleMilliseconds(options_.requeue_interval) * (1.0 - f + 2.0 * f * unit)));
}

void Controller::Reconcile(DestinationRecord& rec, absl::Time now) {
  if (!Admit(rec, now)) return;
  BranchWorker& worker = *rec.worker;
  if (rec.resync.needed() && ResyncDue(rec, now)) AskList(rec, now);  // now, or in its turn
  const MetadataAnswer answer = worker.SyncAndGetMetadata(rec.destination.key, now);
  if (const auto* pending = std::get_if<MetadataPending>(&answer); pending && pending->asked) {
    AskRead(worker, now);  // sent at once, or once a slot is free
  }
  Complete(rec, answer, worker, now);
}

bool Controller::ResyncDue(const DestinationRecord& rec, absl::Time now) const {
  const StatusTarget owner{ResourceKind::kGitDestination, rec.destination.key};
  return rec.resync.Due(requests_.InFlight(RequestKind::kList, owner), now, options_.api_timeout);
}

// Finishes a reconcile with what the worker answered (from its cache or a read).
void Controller::Complete(DestinationRecord& rec, const MetadataAnswer& answer,
                          const BranchWorker& worker, absl::Time now) {
  rec.awaiting_metadata = false;
  if (auto* ready = std::get_if<MetadataReady>(&answer)) {
    FinishSynced(rec, ready->info, worker, now);
  } else if (auto* failed = std::get_if<MetadataFailed>(&answer)) {
    FinishFetchFailed(rec, failed->error, failed->retry_at, now);
  } else {
    const auto& pending = std::get<MetadataPending>(answer);
    if (pending.ready_at != absl::InfinitePast()) {
      timers_.Set(DestinationTimer(rec), pending.ready_at);  // the next read is allowed then
    } else {
      rec.awaiting_metadata = true;  // completed by the read's result, once it is sent
      timers_.Cancel(DestinationTimer(rec));
    }
  }
}

// Validation and uniqueness. True when the destination is admitted and attached. The
// target is resolved again only when the spec or its GitRepoConfig changed, and a
// group's verdicts only when its claims changed: a periodic reconcile decides nothing
// anew but the branch's metadata.
bool Controller::Admit(DestinationRecord& rec, absl::Time now) {
  const Destination& d = rec.destination;
  bool target_changed = false;
  const bool resolve = rec.target_stale;
  if (resolve) {
    const ObjectKey config_key = RepoConfigKeyOf(d);
    auto config = repo_configs_.find(config_key);
    absl::StatusOr<WriteTarget> target =
        config == repo_configs_.end()
            ? ResolveTarget(d.spec, nullptr)
            : ResolveTarget(d.spec, config->second, resolved_repos_.at(config_key));
    rec.spec_error = target.status();
    const std::optional<Group> before =
        rec.target ? std::optional(GroupOf(*rec.target)) : std::nullopt;
    target_changed = SetTarget(rec, target.ok() ? std::optional(*std::move(target)) : std::nullopt);
    // What the status says of a branch was read from the old target's repository.
    if (target_changed && rec.target && before != GroupOf(*rec.target)) ForgetBranch(rec.status);
    rec.worker_key = WorkerKey{RepoConfigKeyOf(d), d.spec.branch};
    rec.target_stale = false;
  }
  if (!rec.target) {
    Detach(rec);
    FinishInvalid(rec, rec.spec_error, now);
    return false;
  }
  RefreshVerdict(rec, now);
  if (rec.lost_to) {
    Detach(rec);
    FinishConflict(rec, now);
    return false;
  }
  // Attached, and nothing it is attached by changed since: nothing to do.
  if (rec.worker && !resolve) return true;
  // Newly admitted, or admitted to another target: its objects must be written there.
  if (!rec.worker || rec.worker->key() != rec.worker_key || target_changed) {
    ResyncAnew(rec);  // a list in flight was for the old target
  }
  if (rec.worker && rec.worker->key() != rec.worker_key) Detach(rec);
  // A valid target implies its GitRepoConfig exists, and any change of it since would
  // have made the target stale.
  if (!rec.worker) {  // newly admitted: its rules write now, its GitRepoConfig reads one more
    MarkRulesOf(d.key);
    MarkStatusDue(ResourceKind::kGitRepoConfig, rec.worker_key.repo_config);
  }
  rec.worker = &workers_.GetWorkerForDestination(
      d.key, rec.worker_key, RemoteOf(repo_configs_.at(rec.worker_key.repo_config)));
  return true;
}

// Sets rec.lost_to: the destination it lost to, or nullopt when admitted. Recomputes its
// group's verdicts if its claims changed; a member whose verdict changed follows at once
// (same Handle call), so that two admitted destinations never overlap when the call
// returns. A verdict read once is kept until the group's verdicts are recomputed.
void Controller::RefreshVerdict(DestinationRecord& rec, absl::Time now) {
  GroupState& group = *rec.group;
  if (group.verdicts && rec.verdict_serial == group.verdicts_serial) return;  // still current
  if (!group.verdicts) {
    group.verdicts = ResolveConflicts(ClaimsOf(group));
    group.verdicts_serial = ++verdicts_serials_;
    group.verdicts_claims = ClaimsDigest(group);
    for (const auto& [other, lost_to] : *group.verdicts) {
      const DestinationRecord& member = RecordOf(other);
      if (&member != &rec && member.lost_to != lost_to) ReconcileSoon(member, now);
    }
  }
  rec.lost_to = group.verdicts->at(rec.destination.key);
  rec.verdict_serial = group.verdicts_serial;
}

bool Controller::SetTarget(DestinationRecord& rec, std::optional<WriteTarget> target) {
  if (rec.target == target) return false;
  if (rec.target) {
    auto it = groups_.find(GroupOf(*rec.target));
    GITDEST_ASSERT(it != groups_.end());
    GITDEST_ASSERT(&it->second == rec.group);
    it->second.members.erase(rec.destination.key);
    it->second.verdicts.reset();
    if (it->second.members.empty()) {
      groups_.erase(it);
    } else {
      ReconcileGroup(it->second, last_now_);  // one claimant fewer: a loser may win now
    }
  }
  rec.target = std::move(target);
  rec.group = nullptr;
  if (rec.target) {
    rec.group = &groups_[GroupOf(*rec.target)];
    rec.group->members.emplace(rec.destination.key, &rec);
    rec.group->verdicts.reset();
  } else {
    rec.lost_to.reset();
  }
  return true;
}

std::vector<ClaimRef> Controller::ClaimsOf(const GroupState& group) const {
  std::vector<ClaimRef> claims;
  claims.reserve(group.members.size());
  for (const auto& [key, member] : group.members) {
    claims.push_back(ClaimRef{&key, member->destination.creation_time, &*member->target});
  }
  return claims;
}

Digest Controller::ClaimsDigest(const GroupState& group) const {
  StableHasher hasher;
  for (const auto& [key, member] : group.members) AddClaim(hasher, key, *member);
  return hasher.Finish();
}

void Controller::ReconcileGroup(const GroupState& group, absl::Time now) {
  for (const auto& [key, member] : group.members) ReconcileSoon(*member, now);
}

void Controller::Detach(DestinationRecord& rec) {
  if (!rec.worker) return;
  BranchWorker& worker = *std::exchange(rec.worker, nullptr);
  MarkRulesOf(rec.destination.key);
  worker.Detach(rec.destination.key);
  RetireIfUnused(worker, last_now_);
  rec.awaiting_metadata = false;
}

// ---- Outcomes ------------------------------------------------------------------------------

void Controller::FinishInvalid(DestinationRecord& rec, const absl::Status& error, absl::Time now) {
  // No valid target, no branch: a destination that may not use one reveals nothing of it.
  ForgetBranch(rec.status);
  ConditionSet set;
  set.ready_reason =
      error.code() == absl::StatusCode::kNotFound ? kReasonRepoConfigNotFound : kReasonInvalidSpec;
  if (error.code() == absl::StatusCode::kPermissionDenied)
    set.ready_reason = kReasonBranchNotAllowed;
  set.message = std::string(error.message());
  set.stalled = true;  // a human must change a spec; retried slowly in case one did
  ApplyConditions(set, rec.destination.generation, now, rec.status);
  PublishStatus(rec);
  Requeue(rec, options_.invalid_spec_requeue, now);
}

void Controller::FinishConflict(DestinationRecord& rec, absl::Time now) {
  ForgetBranch(rec.status);  // it writes nowhere: nothing it once read still applies
  ConditionSet set;
  set.ready_reason = kReasonConflict;
  set.message = ConflictMessage(*rec.target, *rec.lost_to);
  set.stalled = true;
  ApplyConditions(set, rec.destination.generation, now, rec.status);
  PublishStatus(rec);
  Requeue(rec, options_.invalid_spec_requeue, now);
}

void Controller::FinishSynced(DestinationRecord& rec, const BranchInfo& info,
                              const BranchWorker& worker, absl::Time now) {
  DestinationStatus& status = rec.status;
  status.branch_exists = info.report.exists_on_remote;
  status.last_commit_sha = info.report.head.sha;
  status.last_sync_time = info.read_at;
  ConditionSet set;
  set.ready = true;
  set.ready_reason = kReasonSynced;
  set.message =
      info.report.exists_on_remote
          ? absl::StrCat("branch \"", rec.target->branch, "\" is at ", info.report.head.sha)
          : absl::StrCat("branch \"", rec.target->branch,
                         "\" does not exist yet; the first push creates it");
  if (const absl::Status& push = worker.last_push_error(); !push.ok()) {
    set.message = absl::StrCat("push failed: ", push.message());
    if (IsAuthError(push)) {
      set.ready = false;  // nothing reaches the branch until a human fixes credentials
      set.ready_reason = kReasonPushFailed;
      set.stalled = true;
    } else {
      set.reconciling = true;
      set.reconciling_reason = kReasonPushRetrying;
    }
  }
  ApplyConditions(set, rec.destination.generation, now, status);
  PublishStatus(rec);
  Requeue(rec, rec.requeue_interval, now);
}

void Controller::FinishFetchFailed(DestinationRecord& rec, const absl::Status& error,
                                   absl::Time retry_at, absl::Time now) {
  // The previous branchExists/lastCommitSHA/lastSyncTime stay: an error is never read
  // as an empty remote.
  ConditionSet set;
  set.ready_reason = kReasonFetchFailed;
  set.message = absl::StrCat("reading branch \"", rec.destination.spec.branch,
                             "\" failed: ", error.message());
  set.stalled = IsAuthError(error);
  set.reconciling = !set.stalled;
  set.reconciling_reason = kReasonFetchFailed;
  ApplyConditions(set, rec.destination.generation, now, rec.status);
  PublishStatus(rec);
  Requeue(rec, retry_at - now, now);
}

void Controller::PublishStatus(DestinationRecord& rec) {
  rec.status.observed_generation = rec.destination.generation;
  // Waiting for a slot: its turn sends the status as it is then, changed however often.
  if (rec.status_write.waiting()) return;
  // Nothing changed: no API call. One write in flight: the next goes out when it lands —
  // or when its answer is overdue.
  const StatusTarget target{ResourceKind::kGitDestination, rec.destination.key};
  const Request* in_flight = requests_.InFlight(RequestKind::kStatusWrite, target);
  if (!rec.status_write.Ask(rec.status, in_flight, last_now_, options_.api_timeout)) return;
  AskStatusWrite(target,
                 StatusWriteOf<DestinationStatus>{rec.status_write, rec.status,
                                                  rec.destination.resource_version, rec.slot},
                 in_flight, last_now_);
}

void Controller::Requeue(DestinationRecord& rec, absl::Duration delay, absl::Time now) {
  delay = std::max(delay, absl::ZeroDuration());
  timers_.Set(DestinationTimer(rec), now + std::max(delay, absl::Milliseconds(1)));
  Emit(RequeueAfter{rec.destination.key, delay});
}

}  // namespace gitdest::core
