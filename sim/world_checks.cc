// The checks of the simulated world: the design's invariants after every step (safety)
// and convergence once the faults have healed (liveness).
#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/conditions.h"
#include "core/naming/base_folder.h"
#include "core/naming/resource_path.h"
#include "core/uniqueness.h"
#include "sim/world.h"

namespace gitdest::sim::internal {
namespace {

// Invariant 10: a destination refused its branch shows nothing read from that branch.
bool RevealsBranch(const core::DestinationStatus& st) {
  return st.branch_exists || !st.last_commit_sha.empty() ||
         st.last_sync_time != absl::InfinitePast();
}

// Liveness of a destination refused its branch: it says so, reveals nothing of the
// branch, and the API holds the controller's status. An error message, or nullopt.
std::optional<std::string> RefusedBranchNotConverged(const core::ObjectKey& key,
                                                     const core::Controller& controller,
                                                     const SimCluster& cluster) {
  auto rec = controller.destinations().find(key);
  if (rec == controller.destinations().end()) return key.ToString() + " is unknown";
  const core::DestinationStatus& st = rec->second.status;
  const core::Condition* ready = core::FindCondition(st, core::kConditionReady);
  if (ready == nullptr || ready->status != core::ConditionStatus::kFalse ||
      ready->reason != core::kReasonBranchNotAllowed || RevealsBranch(st)) {
    return key.ToString() + " does not show that its branch is not allowed";
  }
  auto written = cluster.statuses().find(key);
  if (written == cluster.statuses().end() || written->second != st) {
    return absl::StrCat("the API's status of ", key.ToString(), " differs from the controller's");
  }
  return std::nullopt;
}

}  // namespace

void World::Fail(Outcome outcome, std::string message) {
  if (result_.outcome != Outcome::kOk) return;
  result_.outcome = outcome;
  result_.message = std::move(message);
  result_.failed_step = result_.steps - 1;
  result_.failed_at = now_;
}

void World::RecordTips() { tips_.Record(remote_, kRemoteUrl, now_); }

void World::CheckStep(const core::Output& out) {
  if (absl::Status s = controller_->CheckInvariants(); !s.ok()) {
    return Fail(Outcome::kSafetyViolation, std::string(s.message()));
  }
  const absl::Duration ttl = options_.core_options.metadata_cache_ttl;
  for (const core::Effect& effect : out.effects) {
    if (const auto* read = std::get_if<core::FetchMetadata>(&effect)) {
      auto last = last_read_start_.find(read->worker);
      if (last != last_read_start_.end() && now_ - last->second < ttl) {
        return Fail(Outcome::kSafetyViolation,
                    absl::StrCat("invariant 2 (one read per TTL): ", read->worker.ToString(),
                                 " read again after ", absl::FormatDuration(now_ - last->second)));
      }
      last_read_start_[read->worker] = now_;
    } else if (const auto* push = std::get_if<core::PushBatch>(&effect)) {
      for (const core::FileChange& change : push->changes) {
        bool inside = false;
        for (const std::string& folder : folders_ever_[change.destination.name]) {
          auto normalized = core::NormalizeBaseFolder(folder);
          inside |= normalized.ok() && change.path.rfind(*normalized + "/", 0) == 0;
        }
        if (!inside) {
          return Fail(Outcome::kSafetyViolation,
                      absl::StrCat("invariant 5 (own folder): ", change.path, " pushed for ",
                                   change.destination.ToString()));
        }
      }
    } else if (const auto* requeue = std::get_if<core::RequeueAfter>(&effect)) {
      auto it = controller_->destinations().find(requeue->destination);
      if (it != controller_->destinations().end()) CheckStaleness(it->first, it->second.status);
    }
  }
}

// Invariants 3 and 4 for one finished reconcile.
void World::CheckStaleness(const core::ObjectKey& key, const core::DestinationStatus& st) {
  const core::Condition* ready = core::FindCondition(st, core::kConditionReady);
  if (ready == nullptr) return;
  const std::string& branch = controller_->destinations().at(key).destination.spec.branch;
  if (ready->reason == core::kReasonBranchNotAllowed && RevealsBranch(st)) {
    return Fail(Outcome::kSafetyViolation,
                absl::StrCat("invariant 10 (a refused branch reveals nothing): ", key.ToString(),
                             " may not use ", branch, " yet reports ", st.last_commit_sha,
                             " read at ", absl::FormatTime(st.last_sync_time)));
  }
  if (ready->status == core::ConditionStatus::kTrue) {
    if (st.last_sync_time <= now_ - options_.core_options.metadata_cache_ttl ||
        !tips_.SeenBetween(branch, st.last_commit_sha, st.last_sync_time, now_)) {
      return Fail(Outcome::kSafetyViolation,
                  absl::StrCat("invariant 3 (bounded staleness): ", key.ToString(), " reports ",
                               st.last_commit_sha, " read at ", absl::FormatTime(st.last_sync_time),
                               ", which the branch did not have within the TTL"));
    }
  }
  auto before = last_finished_.find(key);
  if (ready->reason == core::kReasonFetchFailed && before != last_finished_.end() &&
      (st.branch_exists != before->second.branch_exists ||
       st.last_commit_sha != before->second.last_commit_sha ||
       st.last_sync_time != before->second.last_sync_time)) {
    return Fail(Outcome::kSafetyViolation,
                absl::StrCat("invariant 4 (failed read keeps values): ", key.ToString()));
  }
  last_finished_[key] = st;
}

// Liveness: after the healed phase every admitted destination's objects are in its
// branch with their latest content, and its status matches the remote.
void World::CheckConvergence() {
  const core::RepoConfig config = RepoConfig();
  std::vector<core::Claim> claims;
  for (const auto& [name, d] : api_) {
    auto target = core::ResolveTarget(ToDestination(name, d).spec, &config);
    if (target.ok()) claims.push_back(core::Claim{{"team", name}, d.created, *target});
    if (target.status().code() != absl::StatusCode::kPermissionDenied) continue;
    // Not admitted: its branch is not allowed (allowedBranches narrowed, say).
    if (auto problem = RefusedBranchNotConverged({"team", name}, *controller_, cluster_)) {
      return Fail(Outcome::kLivenessFailure, "liveness: " + *problem + " after the healed phase");
    }
  }
  for (const auto& [key, lost_to] : core::ResolveConflicts(claims)) {
    if (lost_to) continue;
    const ApiDestination& d = api_.at(key.name);
    const Tree tree = remote_.TreeAt(kRemoteUrl, d.branch);
    const std::string folder = *core::NormalizeBaseFolder(d.folder);
    const auto objects = cluster_.ListCapturedObjects(key);
    std::set<std::string> live;
    for (const core::CapturedObject& o : *objects) {
      auto path = core::ResourcePath(folder, o.resource);
      auto file = tree.find(*path);
      if (file == tree.end() || file->second != o.content) {
        return Fail(Outcome::kLivenessFailure,
                    absl::StrCat("liveness: ", *path, " of ", key.ToString(),
                                 file == tree.end() ? " is missing" : " has stale content",
                                 " after the healed phase"));
      }
      live.insert(*std::move(path));
    }
    // And nothing else: a file in its folder that names an object names a live one (a
    // delete lost with a crash, or missed while not admitted, leaves no file behind).
    for (auto file = tree.lower_bound(folder + "/");
         file != tree.end() && file->first.starts_with(folder + "/"); ++file) {
      std::optional<core::ResourceId> id = core::ParseResourcePath(folder, file->first);
      if (id && !live.contains(*core::ResourcePath(folder, *id))) {
        return Fail(Outcome::kLivenessFailure,
                    absl::StrCat("liveness: ", file->first, " in the folder of ", key.ToString(),
                                 " names no object of the cluster after the healed phase"));
      }
    }
    auto rec = controller_->destinations().find(key);
    const core::Condition* ready =
        rec == controller_->destinations().end()
            ? nullptr
            : core::FindCondition(rec->second.status, core::kConditionReady);
    if (ready == nullptr || ready->status != core::ConditionStatus::kTrue ||
        rec->second.status.last_commit_sha != remote_.Tip(kRemoteUrl, d.branch)) {
      return Fail(Outcome::kLivenessFailure,
                  absl::StrCat("liveness: the status of ", key.ToString(),
                               " did not converge to the remote branch ", d.branch));
    }
    auto written = cluster_.statuses().find(key);
    if (written == cluster_.statuses().end() || written->second != rec->second.status) {
      return Fail(Outcome::kLivenessFailure,
                  absl::StrCat("liveness: the API's status of ", key.ToString(),
                               " differs from the controller's"));
    }
  }
}

}  // namespace gitdest::sim::internal
