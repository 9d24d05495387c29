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

bool IsAuthError(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnauthenticated ||
         s.code() == absl::StatusCode::kPermissionDenied;
}

}  // namespace

absl::Duration Controller::JitteredRequeue(const ObjectKey& key) const {
  // Spread over [1 - f, 1 + f] · interval in whole milliseconds.
  const double f = options_.requeue_jitter_fraction;
  const double unit = static_cast<double>(StableHash(key) % 1'000'000) / 1'000'000.0;
  return absl::Milliseconds(static_cast<int64_t>(
      absl::ToDoubleMilliseconds(options_.requeue_interval) * (1.0 - f + 2.0 * f * unit)));
}

void Controller::Reconcile(const ObjectKey& key, absl::Time now) {
  auto it = destinations_.find(key);
  if (it == destinations_.end()) return;
  DestinationRecord& rec = it->second;
  rec.reconcile_started_at = now;
  if (!Admit(rec, now)) return;
  BranchWorker* worker = workers_.Find(*rec.worker);
  GITDEST_ASSERT(worker != nullptr);
  if (rec.resync_needed &&
      (!rec.resync_in_flight || now - rec.resync_since >= options_.api_timeout)) {
    rec.resync_in_flight = true;
    rec.resync_since = now;
    rec.changed_since_resync.clear();
    rec.resync_request = ids_.Next();
    Emit(ResyncDestination{key, rec.resync_request});
  }
  Complete(rec, worker->SyncAndGetMetadata(key, now, ids_), *worker, now);
}

// Finishes a reconcile with what the worker answered (from its cache or a read).
void Controller::Complete(DestinationRecord& rec, MetadataAnswer answer, const BranchWorker& worker,
                          absl::Time now) {
  rec.awaiting_metadata = false;
  if (auto* ready = std::get_if<MetadataReady>(&answer)) {
    FinishSynced(rec, ready->info, worker, now);
  } else if (auto* failed = std::get_if<MetadataFailed>(&answer)) {
    FinishFetchFailed(rec, failed->error, failed->retry_at, now);
  } else {
    auto& pending = std::get<MetadataPending>(answer);
    if (pending.start) {
      requests_[pending.start->request] = *rec.worker;
      Emit(*std::move(pending.start));
      ScheduleWorker(worker, now);  // the read's deadline
    }
    if (pending.ready_at != absl::InfinitePast()) {
      timers_.Set(rec.destination.key, pending.ready_at);  // the next read is allowed then
    } else {
      rec.awaiting_metadata = true;  // completed by the read's result
      timers_.Cancel(rec.destination.key);
    }
  }
}

// Validation and uniqueness. True when the destination is admitted and attached.
bool Controller::Admit(DestinationRecord& rec, absl::Time now) {
  const Destination& d = rec.destination;
  const ObjectKey config_key = RepoConfigKeyOf(d);
  const std::optional<WriteTarget> previous = rec.target;
  auto config = repo_configs_.find(config_key);
  absl::StatusOr<WriteTarget> target =
      ResolveTarget(d.spec, config == repo_configs_.end() ? nullptr : &config->second);
  if (!target.ok()) {
    SetTarget(rec, std::nullopt);
    Detach(rec);
    FinishInvalid(rec, target.status(), now);
    return false;
  }
  SetTarget(rec, *target);
  const Group group{target->repo_url, target->branch};
  const auto verdicts = ResolveConflicts(ClaimsOf(group));
  for (const auto& [other, lost_to] : verdicts) {
    // A verdict on another member changed: let it follow at once (same Handle call),
    // so that two admitted destinations never overlap when the call returns.
    if (other == d.key) continue;
    if (destinations_.at(other).lost_to != lost_to) ReconcileSoon(other, now);
  }
  rec.lost_to = verdicts.at(d.key);
  if (rec.lost_to) {
    Detach(rec);
    FinishConflict(rec, now);
    return false;
  }
  const WorkerKey worker_key{config_key, d.spec.branch};
  // Newly admitted, or admitted to another target: its objects must be written there.
  if (!rec.worker || *rec.worker != worker_key || previous != *target) {
    rec.resync_needed = true;
    rec.resync_in_flight = false;  // a list in flight was for the old target: ask anew
    rec.changed_since_resync.clear();
  }
  if (rec.worker && *rec.worker != worker_key) Detach(rec);
  const RepoConfigSpec& spec = config->second.spec;
  workers_.GetWorkerForDestination(d.key, worker_key,
                                   Remote{spec.repo_url, spec.secret_name, spec.push});
  rec.worker = worker_key;
  return true;
}

void Controller::SetTarget(DestinationRecord& rec, std::optional<WriteTarget> target) {
  if (rec.target == target) return;
  if (rec.target) {
    const Group old{rec.target->repo_url, rec.target->branch};
    auto it = groups_.find(old);
    GITDEST_ASSERT(it != groups_.end());
    it->second.erase(rec.destination.key);
    if (it->second.empty()) {
      groups_.erase(it);
    } else {
      ReconcileGroup(old, last_now_);  // one claimant fewer: a loser may win now
    }
  }
  rec.target = std::move(target);
  if (rec.target) groups_[{rec.target->repo_url, rec.target->branch}].insert(rec.destination.key);
  if (!rec.target) rec.lost_to.reset();
}

std::vector<Claim> Controller::ClaimsOf(const Group& group) const {
  std::vector<Claim> claims;
  auto it = groups_.find(group);
  if (it == groups_.end()) return claims;
  for (const ObjectKey& key : it->second) {
    const DestinationRecord& rec = destinations_.at(key);
    claims.push_back(Claim{key, rec.destination.creation_time, *rec.target});
  }
  return claims;
}

void Controller::ReconcileGroup(const Group& group, absl::Time now) {
  auto it = groups_.find(group);
  if (it == groups_.end()) return;
  for (const ObjectKey& key : it->second) ReconcileSoon(key, now);
}

void Controller::Detach(DestinationRecord& rec) {
  if (!rec.worker) return;
  if (BranchWorker* worker = workers_.Find(*rec.worker)) worker->Detach(rec.destination.key);
  RetireIfUnused(*rec.worker, last_now_);
  rec.worker.reset();
  rec.awaiting_metadata = false;
}

// ---- Outcomes ------------------------------------------------------------------------------

void Controller::FinishInvalid(DestinationRecord& rec, const absl::Status& error, absl::Time now) {
  ConditionSet set;
  set.ready_reason =
      error.code() == absl::StatusCode::kNotFound ? kReasonRepoConfigNotFound : kReasonInvalidSpec;
  set.message = std::string(error.message());
  set.stalled = true;  // a human must change a spec; retried slowly in case one did
  DestinationStatus status = rec.status;
  ApplyConditions(set, rec.destination.generation, now, status);
  PublishStatus(rec, std::move(status));
  Requeue(rec, options_.invalid_spec_requeue, now);
}

void Controller::FinishConflict(DestinationRecord& rec, absl::Time now) {
  ConditionSet set;
  set.ready_reason = kReasonConflict;
  set.message = ConflictMessage(*rec.target, *rec.lost_to);
  set.stalled = true;
  DestinationStatus status = rec.status;
  ApplyConditions(set, rec.destination.generation, now, status);
  PublishStatus(rec, std::move(status));
  Requeue(rec, options_.invalid_spec_requeue, now);
}

void Controller::FinishSynced(DestinationRecord& rec, const BranchInfo& info,
                              const BranchWorker& worker, absl::Time now) {
  DestinationStatus status = rec.status;
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
  PublishStatus(rec, std::move(status));
  Requeue(rec, JitteredRequeue(rec.destination.key), now);
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
  DestinationStatus status = rec.status;
  ApplyConditions(set, rec.destination.generation, now, status);
  PublishStatus(rec, std::move(status));
  Requeue(rec, retry_at - now, now);
}

void Controller::PublishStatus(DestinationRecord& rec, DestinationStatus status) {
  status.observed_generation = rec.destination.generation;
  rec.status = std::move(status);
  // One write in flight: the next goes out when it lands — or when its answer is overdue.
  if (rec.writing && last_now_ - rec.writing_since < options_.api_timeout) return;
  if (!rec.writing && rec.written == rec.status) return;  // nothing changed: no API call
  rec.writing = rec.status;
  rec.writing_since = last_now_;
  rec.status_request = ids_.Next();
  Emit(WriteStatus{rec.destination.key, rec.status, rec.status_request});
}

void Controller::Requeue(DestinationRecord& rec, absl::Duration delay, absl::Time now) {
  delay = std::max(delay, absl::ZeroDuration());
  timers_.Set(rec.destination.key, now + std::max(delay, absl::Milliseconds(1)));
  Emit(RequeueAfter{rec.destination.key, delay});
}

}  // namespace gitdest::core
