// StateChecker: the design's step invariants, checked after every Controller::Handle
// call from what any observer of the core sees — the input, the controller's state after
// it, and the effects it emitted. One checker serves the simulator, the property tests
// (through the test harness) and trace replay, so the invariants are written once.
// Knowledge of the remote (which tips a branch had when) is optional: replay has none,
// and then the checks that need it are skipped.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/controller.h"
#include "core/effects.h"
#include "core/inputs.h"

namespace gitdest::sim {

// What the world knows of its remotes' history (invariants 3 and 10).
class RemoteHistory {
 public:
  virtual ~RemoteHistory() = default;
  // Whether `branch` of the repository at `url` was at `sha` at some moment in [from, to]
  // ("" = absent). `url` is any spelling of the repository.
  virtual bool SeenBetween(const std::string& url, const std::string& branch,
                           const std::string& sha, absl::Time from, absl::Time to) const = 0;
  // Whether any branch of that repository ever had `sha` as its tip.
  virtual bool EverHad(const std::string& url, const std::string& sha) const = 0;
};

// When Controller::CheckInvariants, which walks the controller's whole state, runs.
enum class InvariantWalk {
  kEveryStep,
  // After every step that decided something (emitted an effect, or moved the next
  // wake-up), and after every WalkCadence::kMaxQuietSteps-th quiet step in a row. Most of a seed's
  // steps are quiet (an object's own echo of a status write, a change queued in its
  // commit window); a state one of them broke stays broken, and is found at most
  // kMaxQuietSteps steps later. The simulator's sweeps walk so; `--check-every-step`, the
  // property tests and trace replay walk after every step.
  kAfterDecisions,
};

// Decides, step by step, whether Controller::CheckInvariants walks the state.
class WalkCadence {
 public:
  static constexpr int kMaxQuietSteps = 8;

  explicit WalkCadence(InvariantWalk walk) : walk_(walk) {}
  // After a step that emitted `output`.
  bool Due(const core::Output& output);

 private:
  InvariantWalk walk_;
  int quiet_steps_ = 0;  // unwalked quiet steps since the last walk
  absl::Time last_wake_at_ = absl::InfiniteFuture();
};

class StateChecker {
 public:
  // `history` may be null (nothing known of the remote); it must outlive the checker.
  explicit StateChecker(const RemoteHistory* history = nullptr,
                        InvariantWalk walk = InvariantWalk::kEveryStep)
      : history_(history), cadence_(walk) {}

  // After `controller` handled `input` at `now` and emitted `output`: OK, or the first
  // broken invariant, naming it.
  absl::Status Step(absl::Time now, const core::Input& input, const core::Controller& controller,
                    const core::Output& output);

  // Invariant 8 across replicas: at most one holds the lease, as the inputs told them.
  static absl::Status AtMostOneLeader(const std::vector<const core::Controller*>& replicas);

  // The most push attempts a branch may make in any minute while none succeeds: the
  // conflict retries made at once, then two capped exponential backoffs (conflicts and
  // failures) from push_retry_delay_min.
  static int PushAttemptsPerMinuteBound(const core::ControllerOptions& options);

 private:
  // What a finished reconcile's status showed of its branch: all that invariant 4
  // compares the next one with (a copy of the whole status cost more than the checks).
  struct Finished {
    bool branch_exists = false;
    std::string last_commit_sha;
    absl::Time last_sync_time;
    std::string repository;  // RepoIdentity; "" when it had no target
    std::string branch;
  };
  struct PushStreak {
    std::deque<absl::Time> attempts;  // since the last success, within the last minute
    bool refused_for_auth = false;    // the last answer was an auth error
  };

  void Observe(absl::Time now, const core::Input& input);
  void EndTerm();
  absl::Status CheckEffect(absl::Time now, const core::Effect& effect,
                           const core::Controller& controller);
  absl::Status CheckRead(absl::Time now, const core::FetchMetadata& read,
                         const core::Controller& controller);
  absl::Status CheckPush(absl::Time now, const core::PushBatch& push,
                         const core::Controller& controller);
  absl::Status CheckInFlight(const char* what, const char* bound,
                             std::map<core::RequestId, absl::Time>& sent, size_t slots,
                             const core::Controller& controller);
  absl::Status CheckWatches(const core::EnsureWatches& ensure) const;
  absl::Status CheckReconciled(absl::Time now, const core::DestinationRecord& rec,
                               const core::Controller& controller);
  absl::Status CheckStaleness(absl::Time now, const core::DestinationRecord& rec,
                              const core::Controller& controller) const;
  absl::Status CheckFailedRead(const core::DestinationRecord& rec) const;
  void RememberFinished(const core::ObjectKey& key, const core::DestinationStatus& status,
                        const std::string& repository, const std::string& branch);

  const RemoteHistory* history_;
  WalkCadence cadence_;
  bool leader_ = false;  // as the inputs told the core (invariant 8)
  std::set<core::GroupVersionResource> discovered_;
  // Every folder each destination was given: as spelled (each spelling is normalized
  // once), and normalized.
  struct FoldersEver {
    std::set<std::string> spelled;
    std::set<std::string> normalized;
  };
  std::map<core::ObjectKey, FoldersEver> folders_ever_;
  // When each worker last started a read, per repository (identity) it read.
  std::map<std::pair<core::WorkerKey, std::string>, absl::Time> last_read_start_;
  // The reads of this term that the port still works on, as the effects and inputs tell:
  // sent, and neither answered nor past their deadline (nor given up on with their
  // worker, retired). Each with its deadline.
  std::map<core::RequestId, absl::Time> reads_;
  // Likewise the status writes of this term, each with its deadline (api_timeout after it
  // was sent: WriteStatus names none of its own).
  std::map<core::RequestId, absl::Time> status_writes_;
  // And the resync lists, each with its deadline.
  std::map<core::RequestId, absl::Time> lists_;
  struct PushInFlight {
    core::WorkerKey worker;
    absl::Time deadline;  // the core gives it up then: a failure, whatever answers later
  };
  std::map<core::RequestId, PushInFlight> pushes_;
  std::map<core::WorkerKey, PushStreak> streaks_;
  std::map<core::ObjectKey, Finished> last_finished_;
};

}  // namespace gitdest::sim
