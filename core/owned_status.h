// The status of the resources the controller owns besides GitDestinations: what a
// GitRepoConfig's and a WatchRule's conditions say, as pure functions of what the
// controller knows. The controller decides when to compute and write them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/conditions.h"
#include "core/types.h"
#include "core/watch_rules.h"

namespace gitdest::core {

// OK, or InvalidArgument naming the field and the fix: a repoUrl that carried
// credentials (they belong in the Secret spec.secretRef names), one that is not a Git
// URL, no allowedBranches.
absl::Status ValidateRepoConfig(const RepoConfig& config);

// What one BranchWorker of the GitRepoConfig knows of its branch: a view of the worker,
// valid while it lives (built for every worker after each read and push, so it copies
// no string).
struct BranchReadState {
  absl::string_view branch;
  bool read = false;        // a read succeeded (the worker's cache)
  bool exists = false;      // and found the branch
  absl::Status last_error;  // the last read failed with this; OK when it did not
  bool in_flight = false;   // a read is asked for: waiting to be sent, or in flight
};

// A GitRepoConfig's conditions and counts.
struct RepoConfigVerdict {
  ConditionSet conditions;
  int64_t branches_read = 0;
  int64_t branches_existing = 0;
};

// InvalidSpec (Stalled) when the spec is invalid; else ConnectionFailed when a branch's
// last read failed (Stalled for an auth error, a human must act; Reconciling otherwise,
// reads are retried); else Connected when a read answered; else Checking (Ready Unknown)
// when nothing reads it. nullopt while a first read is in flight: it is judged by that
// read's answer, so a new leader does not flip a status to Checking and back.
std::optional<RepoConfigVerdict> JudgeRepoConfig(const RepoConfig& config,
                                                 std::span<const BranchReadState> branches);

// False when JudgeRepoConfig gives the same verdict whichever of the two one branch
// shows, whatever the other branches show: then a read or push that took the branch
// from `before` to `after` leaves its GitRepoConfig's status as it is. (A read in flight
// matters only while the branch shows neither a read nor a failure.)
bool VerdictMayChange(const BranchReadState& before, const BranchReadState& after);

// A rule's conditions from its verdict: InvalidSpec and DestinationNotFound are Stalled (a
// human must change or create something), DestinationNotReady is Reconciling (it follows
// its destination without a change of its own).
ConditionSet RuleConditions(const RuleVerdict& verdict);

}  // namespace gitdest::core
