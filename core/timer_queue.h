// The core's timers: one per destination (its next reconcile) and one per branch
// worker (its next push or retry). Ordered by (time, id), so equal times fire in a
// deterministic order.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <utility>
#include <variant>

#include "absl/time/time.h"
#include "core/types.h"

namespace gitdest::core {

using TimerId = std::variant<ObjectKey, WorkerKey>;

class TimerQueue {
 public:
  // Sets (replaces) the timer `id` to fire at `at`.
  void Set(const TimerId& id, absl::Time at);
  // Sets the timer unless it is already due no later than `at`.
  void SetNoLaterThan(const TimerId& id, absl::Time at);
  void Cancel(const TimerId& id);
  std::optional<absl::Time> When(const TimerId& id) const;

  // When the earliest timer fires; InfiniteFuture when there is none.
  absl::Time NextAt() const;
  // Removes and returns the earliest timer due at or before `now`.
  std::optional<TimerId> PopDue(absl::Time now);
  size_t size() const { return by_id_.size(); }

 private:
  std::map<TimerId, absl::Time> by_id_;
  std::set<std::pair<absl::Time, TimerId>> by_time_;
};

}  // namespace gitdest::core
