#include "sim/simulation.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/prng.h"
#include "sim/world.h"

namespace gitdest::sim {

// Swarm testing: the seed picks which faults are on and how hard, so that some runs
// are calm enough to reach deep states and others are storms.
FaultMix ChooseFaultMix(uint64_t seed) {
  Prng prng(seed ^ 0x5eed'f00d'cafe'beefULL);
  auto maybe = [&](int max_per_mille) {
    return prng.Chance(500) ? static_cast<int>(prng.Between(1, max_per_mille)) : 0;
  };
  FaultMix mix;
  mix.read_failure = maybe(300);
  mix.push_failure = maybe(300);
  mix.lost_answer = maybe(50);
  mix.status_conflict = maybe(300);
  mix.watch_drop = maybe(100);
  mix.watch_duplicate = maybe(200);
  mix.latency_max = prng.Millis(1, prng.Chance(200) ? 25'000 : 2'000);
  mix.watch_delay_max = prng.Millis(0, 5'000);
  mix.crashes_per_day = maybe(100);
  mix.outages_per_day = maybe(40);
  mix.external_commits_per_hour = maybe(60);
  mix.branch_deletes_per_day = maybe(30);
  mix.force_moves_per_day = maybe(30);
  mix.admission_webhook = prng.Chance(700);
  mix.ancestry_unknown = maybe(500);
  mix.lease_losses_per_day = maybe(40);
  return mix;
}

std::string FaultMix::Describe() const {
  return absl::StrFormat(
      "read_failure=%d‰ push_failure=%d‰ lost_answer=%d‰ status_conflict=%d‰ "
      "watch_drop=%d‰ watch_duplicate=%d‰ latency≤%s watch_delay≤%s crashes/day=%d "
      "outages/day=%d external_commits/h=%d branch_deletes/day=%d force_moves/day=%d "
      "ancestry_unknown=%d‰ lease_losses/day=%d webhook=%s",
      read_failure, push_failure, lost_answer, status_conflict, watch_drop, watch_duplicate,
      absl::FormatDuration(latency_max), absl::FormatDuration(watch_delay_max), crashes_per_day,
      outages_per_day, external_commits_per_hour, branch_deletes_per_day, force_moves_per_day,
      ancestry_unknown, lease_losses_per_day, admission_webhook ? "on" : "off");
}

std::string SimOptions::ReproduceCommand() const {
  return absl::StrCat("gitdest-sim run --seed=", seed, " --destinations=", destinations,
                      " --branches=", branches, " --objects=", objects,
                      " --duration=", absl::FormatDuration(duration),
                      " --liveness=", absl::FormatDuration(liveness_bound));
}

RunResult RunSimulation(const SimOptions& options, const StepObserver& observer) {
  internal::World world(options, observer);
  return world.Run();
}

}  // namespace gitdest::sim
