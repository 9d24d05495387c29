// kstatus-style conditions on every resource the controller owns: Ready, Reconciling,
// Stalled.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/types.h"

namespace gitdest::core {

// Reasons, CamelCase as Kubernetes conventions ask.
inline constexpr char kReasonSynced[] = "Synced";
inline constexpr char kReasonInvalidSpec[] = "InvalidSpec";
inline constexpr char kReasonRepoConfigNotFound[] = "RepoConfigNotFound";
inline constexpr char kReasonConflict[] = "Conflict";
inline constexpr char kReasonBranchNotAllowed[] = "BranchNotAllowed";
inline constexpr char kReasonFetchFailed[] = "FetchFailed";
inline constexpr char kReasonPushFailed[] = "PushFailed";
inline constexpr char kReasonPushRetrying[] = "PushRetrying";
inline constexpr char kReasonIdle[] = "Idle";
// GitRepoConfig: a read of a branch its GitDestinations use succeeded; one failed (the
// reference controller's names); none has answered yet.
inline constexpr char kReasonConnected[] = "Connected";
inline constexpr char kReasonConnectionFailed[] = "ConnectionFailed";
inline constexpr char kReasonChecking[] = "Checking";

// The three conditions of one reconcile outcome.
struct ConditionSet {
  bool ready = false;
  bool ready_unknown = false;  // Ready is Unknown: nothing has been observed to judge by
  std::string ready_reason;
  std::string message;
  bool reconciling = false;
  std::string reconciling_reason;
  bool stalled = false;
};

// Replaces `conditions` with `set`, keeping last_transition_time of every condition
// whose status did not change. The result is sorted by type.
void ApplyConditions(const ConditionSet& set, int64_t generation, absl::Time now,
                     std::vector<Condition>& conditions);
inline void ApplyConditions(const ConditionSet& set, int64_t generation, absl::Time now,
                            DestinationStatus& status) {
  ApplyConditions(set, generation, now, status.conditions);
}

const Condition* FindCondition(const std::vector<Condition>& conditions, absl::string_view type);

// Whether an operation failed for credentials or permissions: a human must act (Stalled),
// retrying alone will not help.
bool IsAuthError(const absl::Status& status);
inline const Condition* FindCondition(const DestinationStatus& status, absl::string_view type) {
  return FindCondition(status.conditions, type);
}
// The condition `type` of any owned object's status; nullptr if it has none.
inline const Condition* FindCondition(const ResourceStatus& status, absl::string_view type) {
  return std::visit([&](const auto& s) { return FindCondition(s.conditions, type); }, status);
}

}  // namespace gitdest::core
