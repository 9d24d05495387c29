#include "core/conditions.h"

#include <algorithm>
#include <array>

#include "absl/strings/string_view.h"

namespace gitdest::core {
namespace {

// The three condition types, in the (sorted) order a status lists them.
constexpr std::array<absl::string_view, 3> kTypes = {kConditionReady, kConditionReconciling,
                                                     kConditionStalled};

ConditionStatus ToStatus(bool value) {
  return value ? ConditionStatus::kTrue : ConditionStatus::kFalse;
}

bool HasAllTypesInOrder(const std::vector<Condition>& conditions) {
  if (conditions.size() != kTypes.size()) return false;
  for (size_t i = 0; i < kTypes.size(); ++i) {
    if (conditions[i].type != kTypes[i]) return false;
  }
  return true;
}

// Sets one condition in place (assigning into existing strings: no allocation when
// nothing grew). last_transition_time moves only when the status changes.
void Set(Condition& c, ConditionStatus status, absl::string_view reason, absl::string_view message,
         int64_t generation, absl::Time now) {
  if (c.status != status) {
    c.status = status;
    c.last_transition_time = now;
  }
  c.reason.assign(reason.data(), reason.size());
  c.message.assign(message.data(), message.size());
  c.observed_generation = generation;
}

}  // namespace

const Condition* FindCondition(const std::vector<Condition>& conditions, absl::string_view type) {
  auto it = std::find_if(conditions.begin(), conditions.end(),
                         [&](const Condition& c) { return c.type == type; });
  return it == conditions.end() ? nullptr : &*it;
}

void ApplyConditions(const ConditionSet& set, int64_t generation, absl::Time now,
                     std::vector<Condition>& conditions) {
  if (!HasAllTypesInOrder(conditions)) {
    // First outcome (or a status from elsewhere): one of each type, keeping what exists.
    std::vector<Condition> complete;
    for (absl::string_view type : kTypes) {
      const Condition* old = FindCondition(conditions, type);
      Condition c;
      c.type = std::string(type);  // status Unknown: its first Set is a transition
      complete.push_back(old != nullptr ? *old : std::move(c));
    }
    conditions = std::move(complete);
  }
  // Ready always explains itself; Reconciling and Stalled repeat the message only
  // while they are True, so a client reading one condition sees why.
  const ConditionStatus ready = set.ready_unknown ? ConditionStatus::kUnknown : ToStatus(set.ready);
  Set(conditions[0], ready, set.ready_reason, set.message, generation, now);
  using View = absl::string_view;
  Set(conditions[1], ToStatus(set.reconciling),
      set.reconciling ? View(set.reconciling_reason) : View(kReasonIdle),
      set.reconciling ? View(set.message) : View(), generation, now);
  Set(conditions[2], ToStatus(set.stalled),
      set.stalled ? View(set.ready_reason) : View(kReasonIdle),
      set.stalled ? View(set.message) : View(), generation, now);
}

bool IsAuthError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnauthenticated ||
         status.code() == absl::StatusCode::kPermissionDenied;
}

}  // namespace gitdest::core
