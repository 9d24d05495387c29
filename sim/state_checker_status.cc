// StateChecker: what a destination's status may say when a reconcile finishes —
// invariants 3, 4 and 10, and the meaning kstatus gives its conditions.
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/conditions.h"
#include "core/naming/branch_name.h"
#include "sim/state_checker.h"

namespace gitdest::sim {
namespace {

using core::ConditionStatus;

bool IsTrue(const core::DestinationStatus& st, const char* type) {
  const core::Condition* c = core::FindCondition(st, type);
  return c != nullptr && c->status == ConditionStatus::kTrue;
}

// Stalled means a human must act: an invalid or conflicting spec, a refused branch, a
// missing GitRepoConfig, or credentials the remote refuses.
bool HumanMustAct(const std::string& reason) {
  return reason == core::kReasonInvalidSpec || reason == core::kReasonRepoConfigNotFound ||
         reason == core::kReasonConflict || reason == core::kReasonBranchNotAllowed ||
         reason == core::kReasonPushFailed || reason == core::kReasonFetchFailed;
}

}  // namespace

absl::Status StateChecker::CheckReconciled(absl::Time now, const core::DestinationRecord& rec,
                                           const core::Controller& controller) {
  const core::ObjectKey& key = rec.destination.key;
  const core::DestinationStatus& st = rec.status;
  const core::Condition* ready = core::FindCondition(st, core::kConditionReady);
  if (ready == nullptr) return absl::OkStatus();  // not reconciled yet
  // Spelled out only in a failure.
  auto what = [&] { return absl::StrCat("GitDestination ", key.ToString()); };
  const bool is_ready = ready->status == ConditionStatus::kTrue;
  if (IsTrue(st, core::kConditionStalled) && !HumanMustAct(ready->reason)) {
    return absl::InternalError(
        absl::StrCat("kstatus: ", what(), " is Stalled for ", ready->reason,
                     ", which retrying resolves: it must be Reconciling instead"));
  }
  if (!is_ready && ready->reason == core::kReasonFetchFailed &&
      !IsTrue(st, core::kConditionStalled) && !IsTrue(st, core::kConditionReconciling)) {
    return absl::InternalError(
        absl::StrCat("kstatus: ", what(), " failed a read and is neither retrying nor Stalled"));
  }
  auto config = controller.repo_configs().find(core::Controller::RepoConfigKeyOf(rec.destination));
  const bool has_config = config != controller.repo_configs().end();
  if (is_ready && (!has_config || !rec.target)) {
    return absl::InternalError(
        absl::StrCat(what(), " is Ready although ",
                     has_config ? "its spec is invalid" : "its GitRepoConfig is gone"));
  }
  if (is_ready) {
    auto streak = streaks_.find(rec.worker_key);
    if (streak != streaks_.end() && streak->second.refused_for_auth) {
      return absl::InternalError(absl::StrCat(
          "kstatus: ", what(), " is Ready although the remote refuses its pushes (credentials)"));
    }
    if (st.branch_exists == st.last_commit_sha.empty()) {
      return absl::InternalError(absl::StrCat(what(), " says branchExists=", st.branch_exists,
                                              " with lastCommitSHA \"", st.last_commit_sha, "\""));
    }
  }
  if (!rec.target) {
    auto allows = [&](const std::string& glob) {
      return core::BranchMatchesGlob(rec.destination.spec.branch, glob);
    };
    const bool branch_refused =
        has_config && std::none_of(config->second.spec.allowed_branches.begin(),
                                   config->second.spec.allowed_branches.end(), allows);
    if ((!has_config || branch_refused) && (st.branch_exists || !st.last_commit_sha.empty())) {
      return absl::InternalError(
          absl::StrCat("invariant 10 (no data of a branch not allowed): ", key.ToString(),
                       has_config ? " may not use its branch" : " has no GitRepoConfig",
                       ", yet its status shows branchExists=", st.branch_exists,
                       " lastCommitSHA=\"", st.last_commit_sha, "\""));
    }
    RememberFinished(key, st, "", "");
    return absl::OkStatus();
  }
  if (absl::Status s = CheckStaleness(now, rec, controller); !s.ok()) return s;
  if (absl::Status s = CheckFailedRead(rec); !s.ok()) return s;
  RememberFinished(key, st, rec.target->repository, rec.target->branch);
  return absl::OkStatus();
}

// Invariant 3: a Ready status shows the branch as the remote had it within the TTL
// before the reconcile finished; 10: any SHA it shows is one its repository had.
absl::Status StateChecker::CheckStaleness(absl::Time now, const core::DestinationRecord& rec,
                                          const core::Controller& controller) const {
  const core::DestinationStatus& st = rec.status;
  const core::WriteTarget& target = *rec.target;
  const absl::Duration ttl = controller.options().metadata_cache_ttl;
  const bool is_ready = IsTrue(st, core::kConditionReady);
  if (is_ready && st.last_sync_time <= now - ttl) {
    return absl::InternalError(absl::StrCat(
        "invariant 3 (bounded staleness): ", rec.destination.key.ToString(),
        " reports data read at ", absl::FormatTime(st.last_sync_time), ", older than the TTL"));
  }
  if (history_ == nullptr) return absl::OkStatus();
  if (is_ready && !history_->SeenBetween(target.repo_url, target.branch, st.last_commit_sha,
                                         st.last_sync_time, now)) {
    return absl::InternalError(absl::StrCat(
        "invariant 3 (bounded staleness): ", rec.destination.key.ToString(), " reports ",
        st.last_commit_sha, " read at ", absl::FormatTime(st.last_sync_time), ", which ",
        target.branch, " of ", target.repo_url, " did not have within the TTL"));
  }
  if (!is_ready && !st.last_commit_sha.empty() &&
      !history_->EverHad(target.repo_url, st.last_commit_sha)) {
    return absl::InternalError(
        absl::StrCat("invariant 10 (only its repository): ", rec.destination.key.ToString(),
                     " shows commit ", st.last_commit_sha, ", which ", target.repo_url,
                     " (the repository its GitRepoConfig names) never had"));
  }
  return absl::OkStatus();
}

// Invariant 4: a failed read keeps the values read before, or shows none (the core
// forgets what it read of a target the destination left, even if it came back): it never
// invents any.
absl::Status StateChecker::CheckFailedRead(const core::DestinationRecord& rec) const {
  const core::DestinationStatus& st = rec.status;
  const core::Condition* ready = core::FindCondition(st, core::kConditionReady);
  if (ready->reason != core::kReasonFetchFailed) return absl::OkStatus();
  auto before = last_finished_.find(rec.destination.key);
  const bool same_target = before != last_finished_.end() &&
                           before->second.repository == rec.target->repository &&
                           before->second.branch == rec.target->branch;
  const bool none =
      !st.branch_exists && st.last_commit_sha.empty() && st.last_sync_time == absl::InfinitePast();
  if (!same_target || none) return absl::OkStatus();
  const Finished& prev = before->second;
  if (st.branch_exists != prev.branch_exists || st.last_commit_sha != prev.last_commit_sha ||
      st.last_sync_time != prev.last_sync_time) {
    return absl::InternalError(
        absl::StrCat("invariant 4 (failed read keeps values): ", rec.destination.key.ToString(),
                     " changed its branch data on a failed read"));
  }
  return absl::OkStatus();
}

// Assigned in place: the strings keep their buffers from one reconcile to the next.
void StateChecker::RememberFinished(const core::ObjectKey& key,
                                    const core::DestinationStatus& status,
                                    const std::string& repository, const std::string& branch) {
  Finished& finished = last_finished_[key];
  finished.branch_exists = status.branch_exists;
  finished.last_commit_sha = status.last_commit_sha;
  finished.last_sync_time = status.last_sync_time;
  finished.repository = repository;
  finished.branch = branch;
}

}  // namespace gitdest::sim
