// Controller::CheckInvariants: the design's invariants that are visible in the
// controller's own state (design §6: 1, 2 in part, 6; the rest need the world and
// are checked by the simulator).
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "core/controller.h"

namespace gitdest::core {

absl::Status Controller::CheckInvariants() const {
  if (absl::Status s = CheckAdmitted(); !s.ok()) return s;
  if (absl::Status s = CheckWorkers(); !s.ok()) return s;
  if (absl::Status s = CheckDestinations(); !s.ok()) return s;
  return CheckRequests();
}

// 1. No two admitted destinations share a triple or nest on one branch.
absl::Status Controller::CheckAdmitted() const {
  for (const auto& [group, state] : groups_) {
    absl::InlinedVector<const DestinationRecord*, 16> admitted;
    StableHasher claims;
    for (const auto& [key, member] : state.members) {
      const DestinationRecord& rec = *member;
      AddClaim(claims, key, rec);
      if (rec.destination.key != key || rec.group != &state || !rec.target ||
          rec.target->repository != group.first || rec.target->branch != group.second) {
        return absl::InternalError(absl::StrCat("group index: ", key.ToString(),
                                                " is listed under a target it does not have"));
      }
      if (rec.worker) admitted.push_back(&rec);
    }
    // Verdicts are a function of the claims: cached ones must have been computed from
    // the claims as they are now (a digest comparison, so that it is cheap every step).
    if (state.verdicts && state.verdicts_claims != claims.Finish()) {
      return absl::InternalError(
          absl::StrCat("cached verdicts of ", group.first, "@", group.second, " are stale"));
    }
    for (size_t i = 0; i < admitted.size(); ++i) {
      for (size_t j = i + 1; j < admitted.size(); ++j) {
        if (TargetsConflict(*admitted[i]->target, *admitted[j]->target)) {
          return absl::InternalError(absl::StrCat(
              "invariant 1 (uniqueness): ", admitted[i]->destination.key.ToString(), " and ",
              admitted[j]->destination.key.ToString(), " are both admitted to ", group.first, "@",
              group.second, " with overlapping folders"));
        }
      }
    }
  }
  return absl::OkStatus();
}

// 6. A worker exists iff a destination uses it or it still has writes to push; at most
// one read and one batch in flight each (2, structurally). Invariant 5's path check runs
// where paths enter a worker's queue (BranchWorker::Enqueue), once per path.
absl::Status Controller::CheckWorkers() const {
  for (const auto& [key, worker] : workers_.workers()) {
    if (!worker.InUse()) {
      return absl::InternalError(
          absl::StrCat("invariant 6 (worker lifecycle): worker ", key.ToString(),
                       " has no destination and nothing to push but was not retired"));
    }
    for (const ObjectKey& dest : worker.destinations()) {
      const DestinationRecord* rec = FindRecord(dest);
      if (rec == nullptr || rec->worker != &worker) {
        return absl::InternalError(absl::StrCat("worker ", key.ToString(), " lists ",
                                                dest.ToString(), " which is not attached"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Controller::CheckDestinations() const {
  for (const auto& [key, rec] : destinations_) {
    if (rec.worker) {
      const BranchWorker* worker = workers_.AtSlot(rec.worker->slot());
      if (worker != rec.worker || !worker->destinations().contains(key)) {
        return absl::InternalError(absl::StrCat("invariant 6 (worker lifecycle): ", key.ToString(),
                                                " is admitted to worker ",
                                                rec.worker->key().ToString(), " which lacks it"));
      }
      if (rec.awaiting_metadata && !worker->read_in_flight()) {
        return absl::InternalError(
            absl::StrCat(key.ToString(), " awaits a metadata read that is not in flight"));
      }
    } else if (rec.awaiting_metadata) {
      return absl::InternalError(absl::StrCat(key.ToString(), " awaits metadata unattached"));
    }
    if (destination_slots_.Get(rec.slot) != &rec) {
      return absl::InternalError(absl::StrCat(key.ToString(), " does not own its slot"));
    }
    if (!rec.awaiting_metadata && !timers_.When(DestinationTimer(rec))) {
      return absl::InternalError(
          absl::StrCat(key.ToString(), " has no reconcile scheduled: it would never resync"));
    }
    if (rec.worker && (!rec.target || rec.lost_to)) {
      return absl::InternalError(
          absl::StrCat(key.ToString(), " is attached although invalid or in conflict"));
    }
  }
  return absl::OkStatus();
}

// The registry of requests is the one source of what is in flight: a worker's read and
// batch are registered under their own ids, every registered request has a living owner
// (a request whose owner is gone would be answered into nothing), and only the leader
// has requests (a standby, or a replica that lost the lease, has forgotten them all).
absl::Status Controller::CheckRequests() const {
  if (!leader_ && requests_.size() > 0) {
    return absl::InternalError(
        absl::StrCat("invariant 8: ", requests_.size(), " requests in flight without the lease"));
  }
  // Compared as ids, 0 for none (request ids start at 1).
  auto id_of = [](const Request* request) { return request ? request->id : RequestId{0}; };
  for (const auto& [key, worker] : workers_.workers()) {
    const RequestId read = id_of(requests_.InFlight(RequestKind::kMetadataRead, key));
    const RequestId push = id_of(requests_.InFlight(RequestKind::kPush, key));
    if (read != worker.read_request().value_or(0) ||
        push != (worker.batch() ? worker.batch()->request : 0)) {
      return absl::InternalError(absl::StrCat("requests: the read or push in flight of worker ",
                                              key.ToString(), " is not the one registered"));
    }
  }
  for (const auto& [id, request] : requests_.by_id()) {
    if (!OwnerExists(request.owner)) {
      return absl::InternalError(absl::StrCat("requests: the ", RequestKindName(request.kind), " ",
                                              id, " has no owner any more"));
    }
  }
  return absl::OkStatus();
}

bool Controller::OwnerExists(const RequestOwner& owner) const {
  if (const auto* worker = std::get_if<WorkerKey>(&owner)) return workers_.Find(*worker) != nullptr;
  const auto& target = std::get<StatusTarget>(owner);
  switch (target.kind) {
    case ResourceKind::kGitDestination:
      return FindRecord(target.key) != nullptr;
    case ResourceKind::kGitRepoConfig:
      return config_statuses_.contains(target.key);
    case ResourceKind::kWatchRule:
    case ResourceKind::kClusterWatchRule:
      return rule_statuses_.contains(target.key);
  }
  return false;
}

}  // namespace gitdest::core
