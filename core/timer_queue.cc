#include "core/timer_queue.h"

#include "core/check.h"

namespace gitdest::core {

void TimerQueue::Set(const TimerId& id, absl::Time at) {
  Cancel(id);
  by_id_.emplace(id, at);
  by_time_.emplace(at, id);
  GITDEST_ASSERT(by_id_.size() == by_time_.size());
}

void TimerQueue::SetNoLaterThan(const TimerId& id, absl::Time at) {
  std::optional<absl::Time> current = When(id);
  if (!current || *current > at) Set(id, at);
}

void TimerQueue::Cancel(const TimerId& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  by_time_.erase({it->second, id});
  by_id_.erase(it);
}

std::optional<absl::Time> TimerQueue::When(const TimerId& id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

absl::Time TimerQueue::NextAt() const {
  return by_time_.empty() ? absl::InfiniteFuture() : by_time_.begin()->first;
}

std::optional<TimerId> TimerQueue::PopDue(absl::Time now) {
  if (by_time_.empty() || by_time_.begin()->first > now) return std::nullopt;
  TimerId id = by_time_.begin()->second;
  by_time_.erase(by_time_.begin());
  by_id_.erase(id);
  return id;
}

}  // namespace gitdest::core
