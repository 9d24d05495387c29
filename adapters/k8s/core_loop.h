// The one thread that owns the core: it takes Inputs from the inbox in order, hands
// each to Controller::Handle with the time, starts the effects on the executor (whose
// results come back through the inbox) and fires timers at Output::wake_at. Nothing
// else touches the controller.
#pragma once

#include <functional>

#include "absl/time/time.h"
#include "adapters/k8s/inbox.h"
#include "core/controller.h"
#include "core/executor.h"
#include "core/ports.h"

namespace gitdest::k8s {

class CoreLoop {
 public:
  struct Observers {
    // Every step: the input, the time it was handled at, and what the core answered
    // (the trace, logs, metrics; EnsureWatches is acted on here). Before any effect
    // starts, so a trace line precedes the results it causes.
    std::function<void(const core::Input&, absl::Time, const core::Output&)> step{};
  };
  // All must outlive the loop.
  CoreLoop(core::Controller& controller, core::Executor& executor, Inbox& inbox, core::Clock& clock,
           Observers observers)
      : controller_(&controller),
        executor_(&executor),
        inbox_(&inbox),
        clock_(&clock),
        observers_(std::move(observers)) {}

  // Until the inbox is closed (shutdown); returns after the last input is handled.
  void Run();

 private:
  void Handle(const core::Input& input);

  core::Controller* controller_;
  core::Executor* executor_;
  Inbox* inbox_;
  core::Clock* clock_;
  Observers observers_;
  absl::Time wake_at_ = absl::InfiniteFuture();
};

}  // namespace gitdest::k8s
