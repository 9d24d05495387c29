// Controller::CheckInvariants: the design's invariants that are visible in the
// controller's own state (design §6: 1, 2 in part, 6; the rest need the world and
// are checked by the simulator).
#include <algorithm>
#include <deque>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "core/controller.h"
#include "core/naming/base_folder.h"

namespace gitdest::core {

absl::Status Controller::CheckInvariants() const {
  if (absl::Status s = CheckAdmitted(); !s.ok()) return s;
  // The simulator checks after every step, and almost every state holds: one pass that
  // looks nothing up by key proves what CheckWorkers and CheckDestinations check, and
  // that records_by_key_ indexes destinations_. Only when it finds something amiss do
  // the full checks run, to name the first broken invariant.
  if (!RecordIndexHolds() || !WorkersAndDestinationsHold()) {
    if (absl::Status s = CheckWorkers(); !s.ok()) return s;
    if (absl::Status s = CheckDestinations(); !s.ok()) return s;
    return absl::InternalError(
        "records_by_key_ does not index destinations_, or a worker is not in its slot");
  }
  // Each GitRepoConfig's repository is resolved as it is observed, and kept with it.
  if (!std::ranges::equal(repo_configs_, resolved_repos_,
                          [](const auto& a, const auto& b) { return a.first == b.first; })) {
    return absl::InternalError("resolved_repos_ does not hold one entry per GitRepoConfig");
  }
  if (!rules_.IndexesHold()) {
    return absl::InternalError("the rule index's by-destination or by-namespace index is stale");
  }
  if (absl::Status s = CheckRequests(); !s.ok()) return s;
  if (absl::Status s = CheckStatusWritesWaiting(); !s.ok()) return s;
  if (absl::Status s = CheckListedAhead(); !s.ok()) return s;
  return CheckListsWaiting();
}

// 1. No two admitted destinations share a triple or nest on one branch.
absl::Status Controller::CheckAdmitted() const {
  for (const auto& [group, state] : groups_) {
    absl::InlinedVector<const DestinationRecord*, 16> admitted;
    StableHasher claims;
    for (const auto& [key, member] : state.members) {
      const DestinationRecord& rec = *member;
      if (state.verdicts) AddClaim(claims, key, rec);  // what the verdicts are checked against
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
        // TargetsConflict: repository and branch are the group's, as checked above.
        if (FoldersOverlap(admitted[i]->target->base_folder, admitted[j]->target->base_folder)) {
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
  if (!workers_.IndexHolds()) {
    return absl::InternalError("the workers' index by key does not hold exactly the workers");
  }
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
      if (rec.awaiting_metadata && !worker->read_pending()) {
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
  size_t of_live_workers = 0;  // reads and pushes registered under a worker that exists
  for (const auto& [key, worker] : workers_.workers()) {
    const RequestId read = id_of(requests_.InFlight(RequestKind::kMetadataRead, key));
    const RequestId push = id_of(requests_.InFlight(RequestKind::kPush, key));
    if (read != worker.read_request().value_or(0) ||
        push != (worker.batch() ? worker.batch()->request : 0)) {
      return absl::InternalError(absl::StrCat("requests: the read or push in flight of worker ",
                                              key.ToString(), " is not the one registered"));
    }
    of_live_workers += (read != 0) + (push != 0);
  }
  // Reads and pushes are workers' own: counted, they all belong to living workers when
  // the living workers account for every one registered (one per kind and owner).
  if (of_live_workers != requests_.CountInFlight(RequestKind::kMetadataRead) +
                             requests_.CountInFlight(RequestKind::kPush)) {
    return absl::InternalError("requests: a read or push is registered for a worker that is gone");
  }
  absl::Status orphan;
  requests_.ForEach([&](const Request& request) {
    if (!orphan.ok()) return;
    if (!SlotNamesOwner(request)) {
      orphan =
          absl::InternalError(absl::StrCat("requests: the ", RequestKindName(request.kind), " ",
                                           request.id, " names a slot its owner does not hold"));
    } else if (!std::holds_alternative<WorkerKey>(request.owner) &&  // counted above
               !OwnerExists(request.owner)) {
      orphan = absl::InternalError(absl::StrCat("requests: the ", RequestKindName(request.kind),
                                                " ", request.id, " has no owner any more"));
    }
  });
  if (!orphan.ok()) return orphan;
  return CheckReadsWaiting();
}

namespace {

// A bounded line of requests (remote reads, status writes, resync lists): at most `slots`
// in flight; none waits while a slot is free (at the end of a step); the line names
// exactly the `waiting` objects whose request waits, each once, and `owes(key)` holds for
// each (its request is due and none of its kind is in flight for it).
template <class Key, class Owes>
absl::Status CheckLine(const char* what, const char* bound, size_t in_flight, size_t slots,
                       const std::deque<Key>& line, size_t waiting, Owes owes) {
  if (in_flight > slots) {
    return absl::InternalError(absl::StrCat(what, " in flight: ", in_flight,
                                            ", above the bound of ", slots, " (", bound, ")"));
  }
  if (!line.empty() && in_flight < slots) {
    return absl::InternalError(absl::StrCat(what, ": ", line.size(), " wait while only ", in_flight,
                                            " of ", slots, " are in flight"));
  }
  absl::InlinedVector<const Key*, 16> keys;
  for (const Key& key : line) {
    if (!owes(key)) {
      return absl::InternalError(absl::StrCat(what, ": ", key.ToString(),
                                              " waits without one due, or while one is in flight"));
    }
    keys.push_back(&key);
  }
  std::sort(keys.begin(), keys.end(), [](const Key* a, const Key* b) { return *a < *b; });
  auto twice = std::adjacent_find(keys.begin(), keys.end(),
                                  [](const Key* a, const Key* b) { return *a == *b; });
  if (twice != keys.end()) {
    return absl::InternalError(absl::StrCat(what, ": ", (*twice)->ToString(), " waits twice"));
  }
  if (waiting != line.size()) {
    return absl::InternalError(
        absl::StrCat(what, ": ", waiting, " have one waiting, ", line.size(), " wait in line"));
  }
  return absl::OkStatus();
}

}  // namespace

// Reads in flight stay within max_reads_in_flight, and reads_waiting_ is their line (see
// CheckLine) of the workers whose read waits.
absl::Status Controller::CheckReadsWaiting() const {
  const auto waiting = std::count_if(workers_.workers().begin(), workers_.workers().end(),
                                     [](const auto& entry) { return entry.second.read_waiting(); });
  return CheckLine("reads", "max_reads_in_flight",
                   requests_.CountInFlight(RequestKind::kMetadataRead), read_slots(),
                   reads_waiting_, static_cast<size_t>(waiting), [&](const WorkerKey& key) {
                     const BranchWorker* worker = workers_.Find(key);
                     return worker != nullptr && worker->read_waiting();
                   });
}

// Status writes in flight stay within max_status_writes_in_flight, and
// status_writes_waiting_ is their line of the objects whose write waits; kStatusWriteTimer
// is set to the first deadline of a write in flight (none if none is), so each is given up
// on then.
absl::Status Controller::CheckStatusWritesWaiting() const {
  size_t waiting = 0;
  for (const auto& [key, rec] : destinations_) waiting += rec.status_write.waiting();
  for (const auto& [key, owned] : config_statuses_) waiting += owned.write.waiting();
  for (const auto& [key, owned] : rule_statuses_) waiting += owned.write.waiting();
  absl::Status line =
      CheckLine("status writes", "max_status_writes_in_flight",
                requests_.CountInFlight(RequestKind::kStatusWrite), status_write_slots(),
                status_writes_waiting_, waiting, [&](const StatusTarget& target) {
                  return StatusWriteWaits(target) &&
                         requests_.InFlight(RequestKind::kStatusWrite, target) == nullptr;
                });
  if (!line.ok()) return line;
  if (timers_.When(kStatusWriteTimer).value_or(absl::InfiniteFuture()) !=
      EarliestDeadline(RequestKind::kStatusWrite)) {
    return absl::InternalError("status writes: the deadline timer is not the first deadline");
  }
  return absl::OkStatus();
}

// Resync lists in flight stay within max_lists_in_flight, and lists_waiting_ is their line
// of the destinations whose list waits; kListTimer is set to the first deadline of a list
// in flight (none if none is).
absl::Status Controller::CheckListsWaiting() const {
  const auto waiting =
      std::count_if(destinations_.begin(), destinations_.end(),
                    [](const auto& entry) { return entry.second.resync.waiting(); });
  absl::Status line = CheckLine(
      "lists", "max_lists_in_flight", requests_.CountInFlight(RequestKind::kList), list_slots(),
      lists_waiting_, static_cast<size_t>(waiting), [&](const ObjectKey& key) {
        const DestinationRecord* rec = FindRecord(key);
        return rec != nullptr && rec->resync.waiting() && rec->resync.needed() &&
               requests_.InFlight(RequestKind::kList,
                                  StatusTarget{ResourceKind::kGitDestination, key}) == nullptr;
      });
  if (!line.ok()) return line;
  if (timers_.When(kListTimer).value_or(absl::InfiniteFuture()) !=
      EarliestDeadline(RequestKind::kList)) {
    return absl::InternalError("lists: the deadline timer is not the first deadline");
  }
  return absl::OkStatus();
}

// The least deadline of all of `kind` in flight, found without ScheduleDeadline's
// shortcut (the first sent is the least id).
absl::Time Controller::EarliestDeadline(RequestKind kind) const {
  absl::Time first = absl::InfiniteFuture();
  requests_.ForEachInFlight(kind, [&](const Request& request) {
    first = std::min(first, request.sent_at + options_.api_timeout);
  });
  return first;
}

bool Controller::StatusWriteWaits(const StatusTarget& target) const {
  switch (target.kind) {
    case ResourceKind::kGitDestination: {
      const DestinationRecord* rec = FindRecord(target.key);
      return rec != nullptr && rec->status_write.waiting();
    }
    case ResourceKind::kGitRepoConfig: {
      auto it = config_statuses_.find(target.key);
      return it != config_statuses_.end() && it->second.write.waiting();
    }
    case ResourceKind::kWatchRule:
    case ResourceKind::kClusterWatchRule:
      break;
  }
  auto it = rule_statuses_.find(target.key);
  return it != rule_statuses_.end() && it->second.write.waiting();
}

// A worker's request names its slot, a GitDestination's its record's, any other none.
bool Controller::SlotNamesOwner(const Request& request) const {
  if (const auto* key = std::get_if<WorkerKey>(&request.owner)) {
    const BranchWorker* worker = workers_.AtSlot(request.owner_slot);
    return worker != nullptr && worker->key() == *key;
  }
  const auto& target = std::get<StatusTarget>(request.owner);
  if (target.kind != ResourceKind::kGitDestination) return request.owner_slot == kNoSlot;
  const DestinationRecord* rec = destination_slots_.Get(request.owner_slot);
  return rec != nullptr && rec->destination.key == target.key;
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

// records_by_key_ holds exactly the records of destinations_, each under its own key,
// without a lookup: each record of destinations_ owns a slot (checked with the rest of
// its record), as many slots are held as there are records, so the records that own
// slots are exactly those of destinations_; an entry whose record owns its slot and
// carries its key is one of them, and distinct keys are distinct records.
bool Controller::RecordIndexHolds() const {
  if (records_by_key_.size() != destinations_.size()) return false;
  if (destination_slots_.size() != destinations_.size()) return false;
  // Hash order: only a verdict comes out.
  return std::all_of(records_by_key_.begin(), records_by_key_.end(), [&](const auto& entry) {
    const DestinationRecord* rec = entry.second;
    return destination_slots_.Get(rec->slot) == rec && rec->destination.key == entry.first;
  });
}

// CheckWorkers and CheckDestinations in one pass, true when both hold, without a lookup
// by key. Records are visited in key order, and each worker's destinations are a set in
// the same order: each record attached to a worker must be the next destination that
// worker lists, and every worker must have listed all of its own by the end. So every
// worker lists exactly the records attached to it (both directions of invariant 6).
bool Controller::WorkersAndDestinationsHold() const {
  if (!workers_.IndexHolds()) return false;
  struct Cursor {
    const BranchWorker* worker = nullptr;
    std::set<ObjectKey>::const_iterator next;  // the next of its destinations to be visited
  };
  absl::InlinedVector<Cursor, 16> by_slot;
  for (const auto& [key, worker] : workers_.workers()) {
    if (!worker.InUse() || workers_.AtSlot(worker.slot()) != &worker) return false;
    if (worker.slot() >= by_slot.size()) by_slot.resize(size_t{worker.slot()} + 1);
    by_slot[worker.slot()] = Cursor{&worker, worker.destinations().begin()};
  }
  for (const auto& [key, rec] : destinations_) {
    if (destination_slots_.Get(rec.slot) != &rec) return false;
    if (!rec.awaiting_metadata && !timers_.When(DestinationTimer(rec))) return false;
    if (!rec.worker) {
      if (rec.awaiting_metadata) return false;
      continue;
    }
    if (!rec.target || rec.lost_to) return false;
    // A live worker of workers_, in its slot (checked above).
    const uint32_t slot = rec.worker->slot();
    if (slot >= by_slot.size() || by_slot[slot].worker != rec.worker) return false;
    if (rec.awaiting_metadata && !rec.worker->read_pending()) return false;
    Cursor& cursor = by_slot[slot];
    if (cursor.next == cursor.worker->destinations().end() || *cursor.next != key) return false;
    ++cursor.next;
  }
  return std::all_of(by_slot.begin(), by_slot.end(), [](const Cursor& cursor) {
    return cursor.worker == nullptr || cursor.next == cursor.worker->destinations().end();
  });
}

}  // namespace gitdest::core
