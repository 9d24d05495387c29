#include "adapters/k8s/core_loop.h"

namespace gitdest::k8s {

void CoreLoop::Run() {
  for (;;) {
    std::optional<core::Input> input = inbox_->Pop(wake_at_);
    if (input) {
      Handle(*input);
    } else if (inbox_->closed()) {
      return;
    } else if (clock_->Now() >= wake_at_) {
      Handle(core::TimerFired{});
    }
  }
}

void CoreLoop::Handle(const core::Input& input) {
  const absl::Time now = clock_->Now();
  core::Output out = controller_->Handle(input, now);
  wake_at_ = out.wake_at;
  if (observers_.step) observers_.step(input, now, out);
  for (core::Effect& each : out.effects) {
    // Freed as soon as it is handed over (the executor keeps its own copy): a step of
    // thousands of effects, as the first reconcile of a fleet is, holds each once.
    const core::Effect effect = std::move(each);
    if (!core::EffectRunner::HasResult(effect) &&
        !std::holds_alternative<core::RecordEvent>(effect)) {
      continue;  // RequeueAfter (wake_at carries it), EnsureWatches (the observer's)
    }
    executor_->Execute(effect,
                       [inbox = inbox_](core::Input result) { inbox->Push(std::move(result)); });
  }
}

}  // namespace gitdest::k8s
