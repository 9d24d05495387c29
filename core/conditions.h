// kstatus-style conditions on a GitDestination: Ready, Reconciling, Stalled.
#pragma once

#include <string>
#include <vector>

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

// The three conditions of one reconcile outcome.
struct ConditionSet {
  bool ready = false;
  std::string ready_reason;
  std::string message;
  bool reconciling = false;
  std::string reconciling_reason;
  bool stalled = false;
};

// Replaces `status.conditions` with `set`, keeping last_transition_time of every
// condition whose status did not change. The result is sorted by type.
void ApplyConditions(const ConditionSet& set, int64_t generation, absl::Time now,
                     DestinationStatus& status);

const Condition* FindCondition(const DestinationStatus& status, const std::string& type);

}  // namespace gitdest::core
