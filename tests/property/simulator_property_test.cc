// The simulator under RapidCheck: the seed and the size of the world are drawn by
// RapidCheck, so its `RC_PARAMS="reproduce=…"` replays the whole simulated run (and
// shrinks a failing one towards a smaller world); the log also names the equivalent
// `gitdest-sim run` command.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "sim/simulation.h"

namespace gitdest::sim {
namespace {

RC_GTEST_PROP(SimulatorProperty, EverySeedIsSafeAndConverges, ()) {
  SimOptions options;
  options.seed = *rc::gen::arbitrary<uint64_t>();
  options.destinations = *rc::gen::inRange(1, 9);
  options.branches = *rc::gen::inRange(1, 4);
  options.objects = *rc::gen::inRange(1, 5);
  options.duration = absl::Minutes(*rc::gen::inRange(5, 61));
  options.liveness_bound = absl::Minutes(30);
  const ConfigDraw draw = ChooseConfig(options.seed);  // as `gitdest-sim run` draws them
  options.core_options = draw.core_options;
  options.push = draw.push;
  const RunResult result = RunSimulation(options);
  RC_LOG() << result.message << "\nreproduce: " << options.ReproduceCommand() << "\n";
  RC_TAG(result.crashes > 0 ? "crashes" : "no crash");
  RC_ASSERT(result.outcome == Outcome::kOk);
}

}  // namespace
}  // namespace gitdest::sim
