// The simulated world behind RunSimulation (internal to sim/): an event queue in
// simulated time, the API server and its watch, the remote, the controller process,
// and the checks run after every step.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/controller.h"
#include "core/executor.h"
#include "sim/prng.h"
#include "sim/sim_cluster.h"
#include "sim/sim_remote.h"
#include "sim/simulation.h"
#include "sim/tip_history.h"

namespace gitdest::sim::internal {

// The one repository, spelled the ways users spell it: the controller must see one.
inline const char* const kUrlSpellings[] = {
    "https://git.example.com/org/repo.git", "https://GIT.example.com/org/repo/",
    "https://git.example.com/org/repo", "git@git.example.com:Org/Repo.git",
    "ssh://git@git.example.com/org/repo"};
inline constexpr char kRemoteUrl[] = "https://git.example.com/org/repo.git";
inline const core::ObjectKey kRepoKey{"team", "repo"};
inline const absl::Time kEpoch = absl::FromUnixSeconds(1'700'000'000);

// Events of the simulated world, ordered by (time, insertion).
struct Deliver {  // an input reaches the controller, unless its process died since
  core::Input input;
  uint32_t epoch;
};
struct Wake {
  uint32_t epoch;
};
struct UserTick {};
struct ExternalTick {};
struct CrashTick {};
struct Relist {};
using Event = std::variant<Deliver, Wake, UserTick, ExternalTick, CrashTick, Relist>;

struct ApiDestination {
  std::string branch;
  std::string folder;
  absl::Time created;
  int64_t generation = 1;
};

class World {
 public:
  World(const SimOptions& options, const StepObserver& observer);
  RunResult Run();

 private:
  // ---- scheduling --------------------------------------------------------------
  void Schedule(absl::Time at, Event event) {
    queue_.emplace(std::pair(at, seq_++), std::move(event));
  }
  void Dispatch(const Event& event);
  absl::Duration Latency() { return prng_.Millis(0, absl::ToInt64Milliseconds(mix_.latency_max)); }

  // ---- the controller ------------------------------------------------------------
  void Handle(const core::Input& input);
  void Execute(const core::Effect& effect);
  void Crash();
  void DeliverRestart(absl::Time at);

  // ---- the API server and its watch -----------------------------------------------
  void Watch(const std::string& key, core::Input input, bool reliable = false);
  void RelistAll();
  void UserAction();
  void CreateOrUpdate(const std::string& name, const std::string& branch,
                      const std::string& folder);
  bool Admitted(const std::string& name, const ApiDestination& d);
  core::Destination ToDestination(const std::string& name, const ApiDestination& d) const;
  core::RepoConfig RepoConfig() const;
  void ChangeObject();
  void ExternalWrite();

  // ---- checks ----------------------------------------------------------------------
  void CheckStep(const core::Output& out);
  void CheckStaleness(const core::ObjectKey& key, const core::DestinationStatus& st);
  void CheckConvergence();
  void Fail(Outcome outcome, std::string message);
  void RecordTips();

  SimOptions options_;
  StepObserver observer_;
  Prng prng_;
  FaultMix mix_;
  SimRemote remote_;
  SimCluster cluster_;
  core::Executor executor_{remote_, cluster_};
  std::unique_ptr<core::Controller> controller_;
  uint32_t epoch_ = 0;
  absl::Time now_ = kEpoch;
  absl::Time wake_at_ = absl::InfiniteFuture();
  std::map<std::pair<absl::Time, uint64_t>, Event> queue_;
  uint64_t seq_ = 0;
  bool healed_ = false;
  absl::Time outage_until_ = absl::InfinitePast();  // the remote answers nothing but errors

  // The API server.
  int url_spelling_ = 0;
  bool branches_narrowed_ = false;  // allowedBranches is {"main"}, not {"main", "env/*"}
  std::map<std::string, ApiDestination> api_;
  std::set<std::string> ever_created_;
  std::map<std::string, absl::Time> watch_last_;  // per-key delivery order

  // What the checks remember.
  RunResult result_;
  std::map<core::WorkerKey, absl::Time> last_read_start_;
  std::map<core::ObjectKey, core::DestinationStatus> last_finished_;
  std::map<std::string, std::set<std::string>> folders_ever_;
  TipHistory tips_;
  std::map<std::string, int> content_version_;
};

}  // namespace gitdest::sim::internal
