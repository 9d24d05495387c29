#include "core/conditions.h"

#include <algorithm>

namespace gitdest::core {
namespace {

ConditionStatus ToStatus(bool value) {
  return value ? ConditionStatus::kTrue : ConditionStatus::kFalse;
}

Condition Make(const char* type, bool value, std::string reason, std::string message,
               int64_t generation, absl::Time now, const DestinationStatus& previous) {
  Condition c{type, ToStatus(value), std::move(reason), std::move(message), generation, now};
  if (const Condition* old = FindCondition(previous, type);
      old != nullptr && old->status == c.status) {
    c.last_transition_time = old->last_transition_time;
  }
  return c;
}

}  // namespace

const Condition* FindCondition(const DestinationStatus& status, const std::string& type) {
  auto it = std::find_if(status.conditions.begin(), status.conditions.end(),
                         [&](const Condition& c) { return c.type == type; });
  return it == status.conditions.end() ? nullptr : &*it;
}

void ApplyConditions(const ConditionSet& set, int64_t generation, absl::Time now,
                     DestinationStatus& status) {
  // Ready always explains itself; Reconciling and Stalled repeat the message only
  // while they are True, so a client reading one condition sees why.
  std::vector<Condition> next;
  next.push_back(
      Make(kConditionReady, set.ready, set.ready_reason, set.message, generation, now, status));
  next.push_back(Make(kConditionReconciling, set.reconciling,
                      set.reconciling ? set.reconciling_reason : kReasonIdle,
                      set.reconciling ? set.message : "", generation, now, status));
  next.push_back(Make(kConditionStalled, set.stalled, set.stalled ? set.ready_reason : kReasonIdle,
                      set.stalled ? set.message : "", generation, now, status));
  std::sort(next.begin(), next.end(),
            [](const Condition& a, const Condition& b) { return a.type < b.type; });
  status.conditions = std::move(next);
}

}  // namespace gitdest::core
