// The line of resync lists. The core keeps at most max_lists_in_flight lists in flight
// over every destination: gitdest-controller runs as many listing threads, so that no
// list waits for one, times out unsent, fails its resync and makes its destination
// reconcile again only to ask anew (a wave of resyncs would otherwise churn for as long as
// it lasts). A list due beyond the bound waits as its destination's place in line, first
// asked first sent, and its destination does not fail meanwhile; what it lists (the
// selectors, the folder, the paths queued under it) is decided when it is sent. A list is
// timed from when it is sent, and given up on at its deadline, which frees its slot.
#include <algorithm>
#include <vector>

#include "core/check.h"
#include "core/controller.h"

namespace gitdest::core {

void Controller::AskList(DestinationRecord& rec, absl::Time now) {
  // Overdue, and its deadline has not fired yet in this step: given up on now (its late
  // answer is ignored).
  requests_.Forget(RequestKind::kList,
                   StatusTarget{ResourceKind::kGitDestination, rec.destination.key});
  if (lists_waiting_.empty() && requests_.CountInFlight(RequestKind::kList) < list_slots()) {
    return SendList(rec, now);
  }
  rec.resync.Wait();
  lists_waiting_.push_back(rec.destination.key);
}

void Controller::SendList(DestinationRecord& rec, absl::Time now) {
  GITDEST_ASSERT(rec.worker != nullptr);  // only an admitted destination lists
  const StatusTarget owner{ResourceKind::kGitDestination, rec.destination.key};
  const RequestId request = ids_.Next();
  // One list per destination at a time: never one that replaces another in flight.
  const bool replaced = requests_.Sent(request, RequestKind::kList, owner, now, rec.slot);
  GITDEST_ASSERT(!replaced);
  rec.resync.Asked(rec.worker->QueuedWritesUnder(rec.target->base_folder));
  Emit(ResyncDestination{request, rec.destination.key, rec.worker->Ref(), rec.target->base_folder,
                         options_.api_timeout, rules_.ListSelectorsFor(rec.destination.key)});
}

void Controller::SendWaitingLists(absl::Time now) {
  while (!lists_waiting_.empty() && requests_.CountInFlight(RequestKind::kList) < list_slots()) {
    DestinationRecord& rec = RecordOf(lists_waiting_.front());  // a deleted one left the line
    lists_waiting_.pop_front();
    rec.resync.StopWaiting();
    // No longer admitted: still needed, it lists once admitted again.
    if (rec.worker != nullptr) SendList(rec, now);
  }
}

void Controller::GiveUpOverdueLists(absl::Time now) {
  std::vector<ObjectKey> overdue;
  requests_.ForEachInFlight(RequestKind::kList, [&](const Request& list) {
    if (list.sent_at + options_.api_timeout <= now) {
      overdue.push_back(std::get<StatusTarget>(list.owner).key);
    }
  });
  for (const ObjectKey& key : overdue) {
    DestinationRecord& rec = RecordOf(key);  // its requests are forgotten with it
    if (rec.worker != nullptr) {
      AskList(rec, now);  // gives the overdue one up
    } else {
      // Detached meanwhile: it lists once admitted again.
      requests_.Forget(RequestKind::kList, StatusTarget{ResourceKind::kGitDestination, key});
    }
  }
}

}  // namespace gitdest::core
