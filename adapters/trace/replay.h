// Replaying a trace (trace_file.h) against a fresh core: same inputs at the same times
// must give the same effects, wake-ups and state hashes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/controller.h"

namespace gitdest::trace {

struct ReplayResult {
  int64_t steps = 0;  // steps replayed successfully
  // OK, or the first divergence: "step 17: effects differ: ...", "step 17: wake_at
  // differs: ...", "step 17: state hash differs: ...", "step 17: invariant: ...", or
  // "line 5: <parse error>" (a header of another version is "line 1: version: ...").
  absl::Status status;
};

// Reads a trace file, feeds each step's input at its time to the replica's fresh
// core::Controller (one per replica, built with the header's options and that replica's
// epoch), and compares effects (canonical encoding), wake_at and state hash with the
// recording; also runs CheckInvariants() after every step, and checks that at most one
// replica holds the lease. Step numbers must be consecutive and times non-decreasing (the
// core would abort otherwise). Empty lines are ignored. Blocks on file I/O only.
// What else to check after each step (e.g. the simulator's StateChecker, one per
// replica): OK, or what broke, reported as "step N: invariant: ...".
using StepCheck =
    std::function<absl::Status(uint32_t replica, absl::Time now, const core::Input& input,
                               const core::Controller& controller, const core::Output& output)>;
ReplayResult Replay(const std::string& path, const StepCheck& check = {});
// Same, from memory.
ReplayResult ReplayLines(const std::vector<std::string>& lines, const StepCheck& check = {});

}  // namespace gitdest::trace
