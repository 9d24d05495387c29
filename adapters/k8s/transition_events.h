// Kubernetes Events for the Ready condition's transitions, read off the status writes
// the core emits (only a leader emits any): a Normal Event when an object becomes Ready,
// a Warning when it stops being Ready or its reason changes while not Ready. After a
// start, an object's first status is announced only when it is not Ready, so a restart
// of a healthy fleet posts nothing. Core thread only; `post` runs the API call elsewhere.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "core/effects.h"

namespace gitdest::k8s {

struct ReadyEvent {
  core::StatusTarget target;
  bool warning = false;
  std::string reason;
  std::string message;
};

class TransitionEvents {
 public:
  explicit TransitionEvents(std::function<void(ReadyEvent)> post) : post_(std::move(post)) {}
  void Step(const core::Output& output);

 private:
  std::function<void(ReadyEvent)> post_;
  std::map<core::StatusTarget, std::string> last_;  // "True/Synced", "False/FetchFailed"
};

}  // namespace gitdest::k8s
