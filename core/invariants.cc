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
  return CheckDestinations();
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

}  // namespace gitdest::core
