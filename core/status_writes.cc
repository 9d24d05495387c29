// The line of status writes. The core keeps at most max_status_writes_in_flight writes in
// flight over every object it writes a status to (GitDestinations, GitRepoConfigs,
// WatchRules, ClusterWatchRules): gitdest-controller runs as many API threads, so that no
// write waits for one, times out unsent and is issued again while the first still waits.
// A write due beyond the bound waits as its object's place in line, first due first sent;
// when a slot frees, the object's status as it is then is sent, so a status that changed
// while it waited is written once. A write is timed from when it is sent, and given up on
// at its deadline, which frees its slot.
#include <algorithm>
#include <vector>

#include "core/check.h"
#include "core/controller.h"

namespace gitdest::core {

template <class Fn>
decltype(auto) Controller::WithStatusWrite(const StatusTarget& target, Fn&& fn) {
  switch (target.kind) {
    case ResourceKind::kGitDestination: {
      DestinationRecord& rec = RecordOf(target.key);
      return fn(StatusWriteOf<DestinationStatus>{rec.status_write, rec.status,
                                                 rec.destination.resource_version, rec.slot});
    }
    case ResourceKind::kGitRepoConfig: {
      OwnedStatus<RepoConfigStatus>& owned = config_statuses_.at(target.key);
      return fn(StatusWriteOf<RepoConfigStatus>{owned.write, owned.status, owned.resource_version});
    }
    case ResourceKind::kWatchRule:
    case ResourceKind::kClusterWatchRule:
      break;
  }
  OwnedStatus<WatchRuleStatus>& owned = rule_statuses_.at(target.key);
  return fn(StatusWriteOf<WatchRuleStatus>{owned.write, owned.status, owned.resource_version});
}

template <class Status>
void Controller::GiveUpStatusWrite(const StatusTarget& target, StatusWrite<Status>& write) {
  requests_.Forget(RequestKind::kStatusWrite, target);  // its late answer is ignored
  // Whether it lands is unknown: the status is written again, whatever it is.
  write.Forget();
}

template <class Status>
void Controller::AskStatusWrite(const StatusTarget& target, StatusWriteOf<Status> of,
                                const Request* in_flight, absl::Time now) {
  // Overdue, and its deadline has not fired yet in this step: given up on now.
  if (in_flight != nullptr) GiveUpStatusWrite(target, of.write);
  if (status_writes_waiting_.empty() &&
      requests_.CountInFlight(RequestKind::kStatusWrite) < status_write_slots()) {
    return SendStatusWrite(target, of, now);
  }
  of.write.Wait();
  status_writes_waiting_.push_back(target);
}
template <class Status>
void Controller::SendStatusWrite(const StatusTarget& target, StatusWriteOf<Status> of,
                                 absl::Time now) {
  const RequestId request = ids_.Next();
  // One write per object at a time: never one that replaces another in flight.
  const bool replaced =
      requests_.Sent(request, RequestKind::kStatusWrite, target, now, of.owner_slot);
  GITDEST_ASSERT(!replaced);
  of.write.Start(of.status);
  Emit(WriteStatus{request, target, of.resource_version, of.status});
  // A GitRepoConfig's or rule's write that fails is retried by kOwnedStatusTimer.
  if (target.kind != ResourceKind::kGitDestination) statuses_unsettled_.insert(target);
}

// Asked from reconcile.cc and owned_status_records.cc.
template void Controller::AskStatusWrite(const StatusTarget&, StatusWriteOf<DestinationStatus>,
                                         const Request*, absl::Time);
template void Controller::AskStatusWrite(const StatusTarget&, StatusWriteOf<RepoConfigStatus>,
                                         const Request*, absl::Time);
template void Controller::AskStatusWrite(const StatusTarget&, StatusWriteOf<WatchRuleStatus>,
                                         const Request*, absl::Time);

void Controller::SendWaitingStatusWrites(absl::Time now) {
  while (!status_writes_waiting_.empty() &&
         requests_.CountInFlight(RequestKind::kStatusWrite) < status_write_slots()) {
    const StatusTarget target = std::move(status_writes_waiting_.front());
    status_writes_waiting_.pop_front();
    WithStatusWrite(target, [&](auto of) {
      of.write.StopWaiting();
      // It may have gone back to what the API holds while it waited.
      if (of.write.written() != of.status) SendStatusWrite(target, of, now);
    });
  }
}

void Controller::ScheduleDeadline(TimerId timer, RequestKind kind, RequestId& set_for) {
  const Request* first = requests_.FirstSent(kind);
  const RequestId id = first == nullptr ? 0 : first->id;
  if (id == set_for) return;  // ids are never reused: the same request, the same deadline
  set_for = id;
  if (first == nullptr) return timers_.Cancel(timer);
  timers_.Set(timer, first->sent_at + options_.api_timeout);
}

void Controller::GiveUpOverdueStatusWrites(absl::Time now) {
  std::vector<StatusTarget> overdue;
  requests_.ForEachInFlight(RequestKind::kStatusWrite, [&](const Request& write) {
    if (write.sent_at + options_.api_timeout <= now) {
      overdue.push_back(std::get<StatusTarget>(write.owner));
    }
  });
  for (const StatusTarget& target : overdue) {
    WithStatusWrite(target, [&](auto of) { GiveUpStatusWrite(target, of.write); });
    if (target.kind == ResourceKind::kGitDestination) {
      PublishStatus(RecordOf(target.key));
    } else {
      MarkStatusDue(target.kind, target.key);  // written at the end of this Handle
    }
  }
}

}  // namespace gitdest::core
