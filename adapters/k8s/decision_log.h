// One log line per decision that matters, read off the core's steps: reads that fail,
// pushes and their outcomes, status changes, events, leadership. Remembers which remote
// each request went to, so that a result's line names its branch. Core thread only.
#pragma once

#include <map>
#include <string>

#include "core/effects.h"
#include "core/inputs.h"

namespace gitdest::k8s {

class DecisionLog {
 public:
  void Step(const core::Input& input, const core::Output& output);

 private:
  void Input(const core::Input& input);
  void Effect(const core::Effect& effect);
  std::string Where(core::RequestId request, bool forget);

  std::map<core::RequestId, std::string> remotes_;  // request -> "url@branch"
};

}  // namespace gitdest::k8s
