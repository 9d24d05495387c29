// The executor runs Effects through the ports and turns their results into Inputs.
// Production and the simulator share it; they differ only in *when* a result is
// delivered back to the controller (at once, from a thread pool, or after a
// simulated latency).
#pragma once

#include <optional>

#include "core/controller.h"
#include "core/effects.h"
#include "core/inputs.h"
#include "core/ports.h"

namespace gitdest::core {

class Executor {
 public:
  Executor(GitRemote& git, ClusterApi& cluster) : git_(&git), cluster_(&cluster) {}

  // Performs one effect; returns the Input reporting its result, if it has one.
  std::optional<Input> Execute(const Effect& effect);

 private:
  GitRemote* git_;
  ClusterApi* cluster_;
};

// Feeds `input` to the controller at the clock's time, executes every effect
// synchronously and feeds each result back, until nothing is left. Returns when the
// controller next wants TimerFired.
absl::Time RunToQuiescence(Controller& controller, Executor& executor, Clock& clock,
                           const Input& input);

}  // namespace gitdest::core
