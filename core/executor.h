// The executor performs Effects through the ports and reports each result as an Input.
// Asynchronous by shape: `Execute(effect, done)` may call `done` before it returns (the
// synchronous executor here, the test harness), after simulated latency (the simulator),
// or later from a worker thread (production). Whoever calls Controller::Handle feeds the
// results back one at a time, from one thread: the core itself is never shared.
#pragma once

#include <functional>

#include "core/controller.h"
#include "core/effects.h"
#include "core/inputs.h"
#include "core/ports.h"

namespace gitdest::core {

// Called once with an effect's result; never for effects without one (RequeueAfter,
// RecordEvent).
using Done = std::function<void(Input)>;

// What every executor shares: the translation of one effect into port calls and of
// their answers into the Input that reports it.
class EffectRunner {
 public:
  EffectRunner(GitRemote& git, ClusterApi& cluster) : git_(&git), cluster_(&cluster) {}
  // Performs `effect` on the calling thread (blocking on the port) and calls `done` with
  // its result, if it has one.
  void Run(const Effect& effect, const Done& done) const;
  // Whether an effect is answered by an Input (and so may wait in a queue for a thread).
  static bool HasResult(const Effect& effect);

 private:
  GitRemote* git_;
  ClusterApi* cluster_;
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Starts `effect`; `done` receives its result. Thread-safety is the implementation's:
  // a pool calls `done` from its threads, so `done` must only enqueue.
  virtual void Execute(const Effect& effect, Done done) = 0;
};

// Runs every effect at once on the calling thread: `done` is called before Execute
// returns. For tests and tools.
class SyncExecutor final : public Executor {
 public:
  SyncExecutor(GitRemote& git, ClusterApi& cluster) : runner_(git, cluster) {}
  void Execute(const Effect& effect, Done done) override { runner_.Run(effect, done); }

 private:
  EffectRunner runner_;
};

// Feeds `input` to the controller at the clock's time, executes every effect and feeds
// each result back in order, until nothing is left. Returns when the controller next
// wants TimerFired.
absl::Time RunToQuiescence(Controller& controller, SyncExecutor& executor, Clock& clock,
                           const Input& input);

}  // namespace gitdest::core
