// The deterministic simulator: the real core in a simulated world — simulated time,
// a remote Git with external writers, a Kubernetes API with a faulty watch, crashes —
// with seeded fault injection and the design's invariants checked after every step.
// One u64 seed determines everything, including which faults are on (swarm testing).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/effects.h"
#include "core/inputs.h"
#include "core/options.h"

namespace gitdest::sim {

struct SimOptions {
  uint64_t seed = 1;
  int destinations = 12;  // size of the pool of destination names
  int branches = 3;
  int objects = 4;  // configmaps in each of 3 namespaces
  // Controller processes: both watch, the one holding the Lease writes (ChooseReplicas
  // draws 1 or 2 from the seed; `--replicas` forces it).
  int replicas = 2;
  absl::Duration duration = absl::Hours(4);           // safety phase: faults on
  absl::Duration liveness_bound = absl::Minutes(45);  // healed: must converge within this
  bool check_invariants = true;
  // Walk the controller's whole state (Controller::CheckInvariants) after every step, not
  // only after steps that decided something (InvariantWalk): finds the very step that
  // broke an invariant a sweep reported a few steps late.
  bool check_every_step = false;
  // Record Controller::StateHash after every step (RunResult::state_hashes), for the
  // determinism check; a trace observer gets it either way.
  bool state_hashes = true;
  core::ControllerOptions core_options;  // the controller's; traces record them
  core::PushSettings push;               // every GitRepoConfig's spec.push
  // The product's defaults were asked for (`--default-options`) rather than options drawn
  // from the seed: the reproduce command says so.
  bool default_options = false;
  // The command line that reproduces this run.
  std::string ReproduceCommand() const;
};

// Which faults a seed turns on, and how hard (per-mille rates and bounds).
struct FaultMix {
  int read_failure = 0;  // a read fails (Unavailable or, 1 in 4, Unauthenticated)
  int push_failure = 0;
  int lost_answer = 0;      // the port's answer never arrives (the core's deadline fires)
  int status_conflict = 0;  // 409 on a status write
  int watch_drop = 0;       // a watch event is lost; the watch relists a little later
  int watch_duplicate = 0;
  absl::Duration latency_max = absl::Milliseconds(200);
  absl::Duration watch_delay_max = absl::Milliseconds(100);
  int crashes_per_day = 0;
  int outages_per_day = 0;  // the remote is down for 1–15 minutes: every read and push fails
  int external_commits_per_hour = 0;
  int branch_deletes_per_day = 0;
  int force_moves_per_day = 0;  // a branch is force-pushed back to the parent of its tip
  // A read or a lost push answers kUnknown for "does the branch still hold the tip?"
  int ancestry_unknown = 0;
  // The leader cannot renew its Lease for 5–90 s: past the renew deadline it stops
  // writing, and a standby (or itself, later) takes the Lease once it expires.
  int lease_losses_per_day = 0;
  // A write (push, status write) reaches its port late — within its timeout, possibly
  // after its sender lost the Lease or died: compare-and-swap and conditional writes must
  // keep that safe.
  int slow_writes = 0;
  // Another writer wins every push race on one branch for 2–10 minutes: it commits just
  // before each of the controller's pushes lands.
  int race_storms_per_day = 0;
  bool admission_webhook = true;  // off: the webhook's failurePolicy=Ignore let it through
  std::string Describe() const;
};

// What a seed decides besides its faults: the controller's options, the GitRepoConfigs'
// push settings and how long faults last (swarm testing of configuration). Every draw
// keeps the core's own constraints (a read times out before its TTL ends) and lets a
// healed world converge within the default liveness bound.
struct ConfigDraw {
  core::ControllerOptions core_options;
  core::PushSettings push;
  absl::Duration duration;
  std::string Describe() const;
};

enum class Outcome { kOk = 0, kSafetyViolation = 1, kLivenessFailure = 2 };

struct RunResult {
  Outcome outcome = Outcome::kOk;
  std::string message;  // what broke
  int64_t failed_step = -1;
  absl::Time failed_at;
  int64_t steps = 0;
  absl::Duration simulated;
  FaultMix mix;
  // Counters for the summary.
  int64_t reads = 0, pushes = 0, status_writes = 0, crashes = 0, user_actions = 0;
  int64_t commits = 0, watch_drops = 0, admissions_refused = 0;
  int64_t rule_changes = 0, config_changes = 0;  // WatchRules and GitRepoConfigs written
  int64_t lease_changes = 0;                     // the Lease taken (by any replica)
  // Controller::StateHash after every step, if SimOptions::state_hashes (the determinism
  // check compares them).
  std::vector<uint64_t> state_hashes;
};

// One Controller::Handle call of one replica, for traces.
struct StepRecord {
  int64_t step;
  int replica;
  absl::Time at;
  const core::Input* input;
  const core::Output* output;
  uint64_t state_hash;
};
using StepObserver = std::function<void(const StepRecord&)>;

FaultMix ChooseFaultMix(uint64_t seed);
// 1 or 2 replicas (production runs two; one in three seeds runs one).
int ChooseReplicas(uint64_t seed);
ConfigDraw ChooseConfig(uint64_t seed);
RunResult RunSimulation(const SimOptions& options, const StepObserver& observer = {});

}  // namespace gitdest::sim
