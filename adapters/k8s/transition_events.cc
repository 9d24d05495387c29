#include "adapters/k8s/transition_events.h"

#include "core/conditions.h"

namespace gitdest::k8s {

void TransitionEvents::Step(const core::Output& output) {
  for (const core::Effect& effect : output.effects) {
    const auto* write = std::get_if<core::WriteStatus>(&effect);
    if (write == nullptr) continue;
    const core::Condition* ready = core::FindCondition(write->status, core::kConditionReady);
    if (ready == nullptr || ready->status == core::ConditionStatus::kUnknown) continue;
    const bool is_ready = ready->status == core::ConditionStatus::kTrue;
    const std::string now = (is_ready ? "True/" : "False/") + ready->reason;
    auto [it, first] = last_.try_emplace(write->target, now);
    if (!first && it->second == now) continue;
    it->second = now;
    if (first && is_ready) continue;
    post_({write->target, !is_ready, ready->reason, ready->message});
  }
}

}  // namespace gitdest::k8s
