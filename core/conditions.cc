#include "core/conditions.h"

#include <algorithm>
#include <array>

#include "absl/strings/string_view.h"

namespace gitdest::core {
namespace {

// The three condition types, in the (sorted) order a status lists them.
constexpr std::array<const char*, 3> kTypes = {kConditionReady, kConditionReconciling,
                                               kConditionStalled};

ConditionStatus ToStatus(bool value) {
  return value ? ConditionStatus::kTrue : ConditionStatus::kFalse;
}

bool HasAllTypesInOrder(const DestinationStatus& status) {
  if (status.conditions.size() != kTypes.size()) return false;
  for (size_t i = 0; i < kTypes.size(); ++i) {
    if (status.conditions[i].type != kTypes[i]) return false;
  }
  return true;
}

// Sets one condition in place (assigning into existing strings: no allocation when
// nothing grew). last_transition_time moves only when the status changes.
void Set(Condition& c, bool value, absl::string_view reason, absl::string_view message,
         int64_t generation, absl::Time now) {
  if (const ConditionStatus status = ToStatus(value); c.status != status) {
    c.status = status;
    c.last_transition_time = now;
  }
  c.reason.assign(reason.data(), reason.size());
  c.message.assign(message.data(), message.size());
  c.observed_generation = generation;
}

}  // namespace

const Condition* FindCondition(const DestinationStatus& status, const std::string& type) {
  auto it = std::find_if(status.conditions.begin(), status.conditions.end(),
                         [&](const Condition& c) { return c.type == type; });
  return it == status.conditions.end() ? nullptr : &*it;
}

void ApplyConditions(const ConditionSet& set, int64_t generation, absl::Time now,
                     DestinationStatus& status) {
  if (!HasAllTypesInOrder(status)) {
    // First outcome (or a status from elsewhere): one of each type, keeping what exists.
    std::vector<Condition> conditions;
    for (const char* type : kTypes) {
      const Condition* old = FindCondition(status, type);
      Condition c;
      c.type = type;  // status Unknown: its first Set is a transition
      conditions.push_back(old != nullptr ? *old : std::move(c));
    }
    status.conditions = std::move(conditions);
  }
  // Ready always explains itself; Reconciling and Stalled repeat the message only
  // while they are True, so a client reading one condition sees why.
  Set(status.conditions[0], set.ready, set.ready_reason, set.message, generation, now);
  using View = absl::string_view;
  Set(status.conditions[1], set.reconciling,
      set.reconciling ? View(set.reconciling_reason) : View(kReasonIdle),
      set.reconciling ? View(set.message) : View(), generation, now);
  Set(status.conditions[2], set.stalled, set.stalled ? View(set.ready_reason) : View(kReasonIdle),
      set.stalled ? View(set.message) : View(), generation, now);
}

}  // namespace gitdest::core
