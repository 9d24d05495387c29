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
  mix.race_storms_per_day = maybe(40);
  mix.slow_writes = maybe(100);
  return mix;
}

int ChooseReplicas(uint64_t seed) {
  Prng prng(seed ^ 0x2e91'1ca5'0f1e'ade5ULL);
  return prng.Chance(333) ? 1 : 2;
}

std::string FaultMix::Describe() const {
  return absl::StrFormat(
      "read_failure=%d‰ push_failure=%d‰ lost_answer=%d‰ status_conflict=%d‰ "
      "watch_drop=%d‰ watch_duplicate=%d‰ latency≤%s watch_delay≤%s crashes/day=%d "
      "outages/day=%d external_commits/h=%d branch_deletes/day=%d force_moves/day=%d "
      "ancestry_unknown=%d‰ lease_losses/day=%d race_storms/day=%d slow_writes=%d‰ webhook=%s",
      read_failure, push_failure, lost_answer, status_conflict, watch_drop, watch_duplicate,
      absl::FormatDuration(latency_max), absl::FormatDuration(watch_delay_max), crashes_per_day,
      outages_per_day, external_commits_per_hour, branch_deletes_per_day, force_moves_per_day,
      ancestry_unknown, lease_losses_per_day, race_storms_per_day, slow_writes,
      admission_webhook ? "on" : "off");
}

ConfigDraw ChooseConfig(uint64_t seed) {
  Prng prng(seed ^ 0xc0f1'9d8a'11ce'5eedULL);
  auto pick = [&](std::initializer_list<absl::Duration> choices) {
    return choices.begin()[prng.Below(choices.size())];
  };
  ConfigDraw draw;
  core::ControllerOptions& o = draw.core_options;
  o.metadata_cache_ttl =
      pick({absl::Seconds(10), absl::Seconds(30), absl::Seconds(30), absl::Minutes(2)});
  o.read_timeout = o.metadata_cache_ttl * prng.Between(3, 9) / 10;  // below the TTL
  o.push_timeout = pick({absl::Seconds(30), absl::Minutes(2)});
  o.read_retry_delay_max = pick({absl::Minutes(1), absl::Minutes(5)});
  o.requeue_interval = pick({absl::Minutes(2), absl::Minutes(10), absl::Minutes(10)});
  o.requeue_jitter_fraction = static_cast<double>(prng.Between(0, 3)) / 10;
  o.invalid_spec_requeue = pick({absl::Seconds(30), absl::Minutes(2)});
  o.status_write_retry_delay = pick({absl::Seconds(1), absl::Seconds(5)});
  o.resync_retry_delay = pick({absl::Seconds(1), absl::Seconds(5)});
  o.api_timeout = pick({absl::Seconds(10), absl::Seconds(30)});
  o.push_retry_delay_min = pick({absl::Seconds(1), absl::Seconds(5)});
  o.push_retry_delay_max = pick({absl::Minutes(1), absl::Minutes(5)});
  o.push_conflict_retries = static_cast<int>(prng.Between(0, 4));
  o.max_pending_changes = std::initializer_list<size_t>{4, 50, 10000}.begin()[prng.Below(3)];
  // A change is ~150 bytes: 100 sends each alone, 400 a few at a time.
  draw.push.interval =
      pick({absl::ZeroDuration(), absl::Seconds(2), absl::Seconds(10), absl::Minutes(1)});
  draw.push.max_commits = std::initializer_list<int64_t>{1, 3, 8, 20}.begin()[prng.Below(4)];
  draw.push.max_bytes = std::initializer_list<int64_t>{100, 400, 1 << 20}.begin()[prng.Below(3)];
  // Short runs are most of a sweep's seeds (more worlds per minute of CI); long ones
  // (2h and 4h, two in seven) let rare faults pile up.
  draw.duration = pick({absl::Minutes(30), absl::Minutes(30), absl::Minutes(30), absl::Hours(1),
                        absl::Hours(1), absl::Hours(2), absl::Hours(4)});
  // Drawn last, so that the draws above stay as they were. One or two slots make reads of
  // several branches wait for each other.
  o.max_reads_in_flight = std::initializer_list<size_t>{1, 2, 32}.begin()[prng.Below(3)];
  // Likewise status writes: with one or two slots, writes of several objects wait in line.
  o.max_status_writes_in_flight = std::initializer_list<size_t>{1, 2, 32}.begin()[prng.Below(3)];
  // And resync lists: with one or two slots, lists of several destinations wait in line.
  o.max_lists_in_flight = std::initializer_list<size_t>{1, 2, 32}.begin()[prng.Below(3)];
  return draw;
}

std::string ConfigDraw::Describe() const {
  const core::ControllerOptions& o = core_options;
  return absl::StrFormat(
      "ttl=%s read_timeout=%s push_timeout=%s requeue=%s±%.0f%% conflict_retries=%d "
      "push_backoff=%s..%s queue_bound=%zu reads_in_flight=%zu status_writes_in_flight=%zu "
      "lists_in_flight=%zu push: interval=%s max_commits=%d max_bytes=%d",
      absl::FormatDuration(o.metadata_cache_ttl), absl::FormatDuration(o.read_timeout),
      absl::FormatDuration(o.push_timeout), absl::FormatDuration(o.requeue_interval),
      o.requeue_jitter_fraction * 100, o.push_conflict_retries,
      absl::FormatDuration(o.push_retry_delay_min), absl::FormatDuration(o.push_retry_delay_max),
      o.max_pending_changes, o.max_reads_in_flight, o.max_status_writes_in_flight,
      o.max_lists_in_flight, absl::FormatDuration(push.interval), push.max_commits, push.max_bytes);
}

std::string SimOptions::ReproduceCommand() const {
  return absl::StrCat("gitdest-sim run --seed=", seed, " --destinations=", destinations,
                      " --branches=", branches, " --objects=", objects, " --replicas=", replicas,
                      " --duration=", absl::FormatDuration(duration),
                      " --liveness=", absl::FormatDuration(liveness_bound),
                      default_options ? " --default-options" : "",
                      check_every_step ? " --check-every-step" : "");
}

RunResult RunSimulation(const SimOptions& options, const StepObserver& observer) {
  internal::World world(options, observer);
  return world.Run();
}

}  // namespace gitdest::sim
