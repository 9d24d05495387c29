// Replaying a trace (trace_file.h) against a fresh core: same inputs at the same times
// must give the same effects, wake-ups and state hashes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace gitdest::trace {

struct ReplayResult {
  int64_t steps = 0;  // steps replayed successfully
  // OK, or the first divergence: "step 17: effects differ: ...", "step 17: wake_at
  // differs: ...", "step 17: state hash differs: ...", "step 17: invariant: ...", or
  // "line 5: <parse error>" (a header of another version is "line 1: version: ...").
  absl::Status status;
};

// Reads a trace file, feeds each step's input at its time to a fresh core::Controller
// built with the header's options and epoch, and compares effects (canonical
// encoding), wake_at and state hash with the recording; also runs CheckInvariants()
// after every step. Step numbers must be consecutive and times non-decreasing (the
// core would abort otherwise). Empty lines are ignored. Blocks on file I/O only.
ReplayResult Replay(const std::string& path);
ReplayResult ReplayLines(const std::vector<std::string>& lines);  // same, from memory

}  // namespace gitdest::trace
