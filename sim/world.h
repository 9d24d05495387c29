// The simulated world behind RunSimulation (internal to sim/): an event queue in
// simulated time, the API server and its watch, the remotes, the controller process,
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

#include "absl/container/flat_hash_map.h"
#include "core/controller.h"
#include "core/executor.h"
#include "sim/event_queue.h"
#include "sim/prng.h"
#include "sim/sim_cluster.h"
#include "sim/sim_remote.h"
#include "sim/simulation.h"
#include "sim/state_checker.h"
#include "sim/tip_history.h"

namespace gitdest::sim::internal {

// Two repositories. "infra/repo" names A, spelled the ways users spell it (the controller
// must see one repository); "ns-1/repo-b" names A in yet another spelling, or B.
inline const char* const kUrlSpellings[] = {"https://git.example.com/org/repo.git",
                                            "https://GIT.example.com/org/repo/",
                                            "https://git.example.com/org/repo"};
// Another repository only: two GitRepoConfigs naming one repository get one worker each,
// which the core does not yet serialize (see docs/simulation.md).
inline const char* const kRepoBUrls[] = {"https://git.example.com:443/org/other.git/",
                                         "https://git.example.com/org/other.git",
                                         "https://GIT.example.com/org/other/"};
inline const char* const kRepositories[] = {"https://git.example.com/org/repo.git",
                                            "https://git.example.com/org/other.git"};
inline const core::ObjectKey kRepoKey{"infra", "repo"};
inline const core::ObjectKey kRepoBKey{"ns-1", "repo-b"};
inline constexpr int kNamespaces = 3;  // ns-0, ns-1, ns-2
inline const core::GroupVersionResource kConfigMaps{"", "v1", "configmaps"};
inline const absl::Time kEpoch = absl::FromUnixSeconds(1'700'000'000);

// Branch i of every repository: "main", "env/1", "env/2", ...
std::string BranchName(int i);
// What API discovery reports: configmaps (the objects of the world) and a few types no
// rule captures, which must not be watched.
const std::vector<core::ResourceTypeInfo>& DiscoveredTypes();
// An object's type as discovered (inferred from its namespace if not).
core::ResourceTypeInfo TypeOf(const core::ResourceId& object);

// Leader election as controller-runtime does it (its defaults): the leader renews the
// Lease every retry period and gives it up when it could not renew for the renew
// deadline; a standby takes it once the Lease went unrenewed for the lease duration —
// longer than the renew deadline, so the old leader has stopped by then.
inline constexpr absl::Duration kLeaseDuration = absl::Seconds(15);
inline constexpr absl::Duration kRenewDeadline = absl::Seconds(10);
inline constexpr absl::Duration kRetryPeriod = absl::Seconds(2);

// Events of the simulated world, ordered by (time, insertion). `replica` is an index
// into World::replicas_; `epoch` names its incarnation (an event for one that died is lost).
struct Deliver {  // an input reaches a replica, unless its process died since
  core::Input input;
  int replica;
  uint32_t epoch;
  // The configmaps informer that sent it (0: no informer's). A stopped informer's events
  // still on their way are dropped: the adapter's contract for EnsureWatches.
  uint32_t informer = 0;
};
struct Wake {
  int replica;
  uint32_t epoch;
};
// A request reaches its port late: sent by a replica that may have lost the lease (or
// died) since. It lands whatever became of its sender; its answer goes to the sender.
struct Land {
  core::Effect effect;
  int replica;
  uint32_t epoch;
};
struct UserTick {};
struct ExternalTick {};
struct CrashTick {};
struct Relist {  // a replica's watch reconnects
  int replica;
};
struct LeaseTick {  // a replica renews the Lease, or tries to take it
  int replica;
  uint32_t epoch;
};
using Event =
    std::variant<Deliver, Wake, Land, UserTick, ExternalTick, CrashTick, Relist, LeaseTick>;

// What one watch event is about: a kind of resource and the object's namespace and name.
// A watch delivers each key's events in order. (A key of its own, not a string spelled
// per event: most spellings outgrow a short string and would allocate.)
struct WatchKey {
  enum class Kind : uint8_t { kConfig, kDestination, kRule, kObject };
  Kind kind;
  core::ObjectKey object;
  friend bool operator==(const WatchKey&, const WatchKey&) = default;
  template <class H>
  friend H AbslHashValue(H h, const WatchKey& key) {
    return H::combine(std::move(h), key.kind, key.object);
  }
};

// One controller process: its core, its informers and its watch, and its step checker.
struct Replica {
  Replica(const RemoteHistory* history, InvariantWalk walk) : checker(history, walk) {}
  std::unique_ptr<core::Controller> controller;
  uint32_t epoch = 0;
  absl::Time wake_at = absl::InfiniteFuture();
  bool ready = false;   // its initial list was delivered: it may lead
  bool leader = false;  // it holds the Lease, as the world granted it (invariant 8)
  // Its renewals fail until then (a long pause, a partition from the API server).
  absl::Time renew_fails_until = absl::InfinitePast();
  absl::Time renewed_at = absl::InfinitePast();  // its last successful renewal
  // Its informers: the types it asked to watch, and what the configmaps informer's store
  // holds (object → uid), from which a relist infers deletes.
  std::set<core::GroupVersionResource> watched;
  std::map<core::ResourceId, std::string> informer;
  uint32_t informer_epoch = 0;  // the configmaps informer's incarnation, while it runs
  absl::flat_hash_map<WatchKey, absl::Time> watch_last;  // per-key delivery order of its watch
  bool relist_pending = false;
  StateChecker checker;
};

// The Lease object in the API: who it names and when it was last renewed (-1: nobody).
struct Lease {
  int holder = -1;
  absl::Time renewed_at = absl::InfinitePast();
};

// A GitDestination as the API server holds it.
struct ApiDestination {
  std::string uid;  // a new one for every creation
  core::ObjectKey repo_ref;
  std::string branch;
  std::string folder;
  absl::Time created;
  int64_t generation = 1;
};

// A GitRepoConfig as the API server holds it.
struct ApiRepoConfig {
  std::string uid;  // a new one when deleted and created again
  std::string url;
  std::vector<std::string> allowed_branches;
  std::string secret_name;
  int64_t generation = 1;
  std::string resource_version;
};

class World {
 public:
  World(const SimOptions& options, const StepObserver& observer);
  RunResult Run();

 private:
  // ---- scheduling --------------------------------------------------------------
  // `event`: an Event or one of its alternatives (moved once, into the queue's slot).
  template <class E>
  void Schedule(absl::Time at, E&& event) {
    queue_.Push(at, std::forward<E>(event));
  }
  void Dispatch(const Event& event);
  void SettleBeforeCheck(absl::Time end);
  bool LeaderBusy() const;
  bool Reaches(const Deliver& d) const;
  void OnCrashTick();
  absl::Duration Latency() { return prng_.Millis(0, absl::ToInt64Milliseconds(mix_.latency_max)); }

  // ---- the controller processes (world_replicas.cc) ------------------------------
  void Handle(int replica, const core::Input& input);
  void Execute(int replica, const core::Effect& effect);
  // The request reaches its port: it acts on the world, and its answer (unless lost) goes
  // back to the replica incarnation that sent it.
  void LandRequest(int replica, uint32_t epoch, const core::Effect& effect);
  void InjectFaults(const core::Effect& effect);
  bool Exists(const core::StatusTarget& target) const;  // the object, in the API
  void Crash(int replica);
  // The leader cannot renew the Lease for a while (a long pause, a partition).
  void LoseRenewal();
  void OnLeaseTick(int replica);
  void Renew(int replica);
  void TryAcquire(int replica);
  void DeliverRestart(int replica, absl::Time at);
  // The adapter's informers follow EnsureWatches: a type newly watched is listed.
  void OnEnsureWatches(int replica, const core::EnsureWatches& ensure);
  // The replica holding the Lease, as the world granted it; nullptr if none does.
  const core::Controller* Leader() const;

  // ---- the API server and its watch -----------------------------------------------
  // Every change reaches every replica's watch (`only`: one replica's, for a relist).
  static constexpr int kEveryReplica = -1;
  bool Watch(int replica, const WatchKey& key, core::Input input, bool reliable);
  void Broadcast(const WatchKey& key, core::Input input, bool reliable, int only);
  void WatchConfig(const core::ObjectKey& key, bool reliable = false, int only = kEveryReplica);
  void WatchDestination(const core::ObjectKey& key, bool reliable = false,
                        int only = kEveryReplica);
  void WatchRule(const core::ObjectKey& key, bool reliable = false, int only = kEveryReplica);
  // A status write changed the object: its watch reports the new resourceVersion.
  void WatchStatusWritten(const core::StatusTarget& target, const std::string& version);
  // An object's change reaches a replica only while its type is watched there.
  void WatchObject(const core::ObjectChanged& change, bool reliable = false,
                   int only = kEveryReplica);
  void RelistAll(int replica);
  void RelistObjects(int replica);
  // The end of a list of objects: WatchRelisted after every object it delivered.
  void EndRelist(int replica);

  // ---- users ------------------------------------------------------------------------
  void UserAction();
  void CreateOrUpdate(const core::ObjectKey& key, const std::string& branch,
                      const std::string& folder);
  void DeleteDestination(const core::ObjectKey& key);
  bool Admitted(const core::ObjectKey& key, const ApiDestination& d);
  // TargetOf an API destination as the webhook sees it, from api_targets_.
  const absl::StatusOr<core::WriteTarget>& CachedTargetOf(const core::ObjectKey& key,
                                                          const ApiDestination& d);
  void ToggleRule(const core::ObjectKey& destination);
  void ToggleClusterRule(const core::ObjectKey& destination);
  void PutRule(core::WatchRule rule);
  void DeleteRule(const core::ObjectKey& key);
  void ChangeConfig();
  void PutConfig(const core::ObjectKey& key, ApiRepoConfig config);
  void ChangeObject();
  void ExternalWrite();

  // ---- the API's objects as the core sees them ------------------------------------------
  core::Destination ToDestination(const core::ObjectKey& key, const ApiDestination& d) const;
  std::optional<core::RepoConfig> RepoConfig(const core::ObjectKey& key) const;
  // The target the API's state gives a destination; an error when it has none.
  absl::StatusOr<core::WriteTarget> TargetOf(const core::ObjectKey& key,
                                             const ApiDestination& d) const;
  // Every rule the API holds, indexed as the core indexes its own.
  core::RuleIndex ApiRuleIndex() const;

  // ---- checks ----------------------------------------------------------------------
  void CheckStep(int replica, const core::Input& input, const core::Output& out);
  // Walks the replica's state now: its last quiet steps may not have been (WalkCadence),
  // and it is about to end (a crash, the end of the run).
  void WalkBeforeEnd(int replica);
  void CheckConvergence();
  void CheckFolderConverged(const core::ObjectKey& key, const core::WriteTarget& target,
                            const core::RuleIndex& rules);
  void CheckStatusConverged(const core::ObjectKey& key, const core::WriteTarget& target);
  void CheckWatchesConverged(const Replica& replica);
  // GitRepoConfigs' and WatchRules' statuses, given the destinations the API's state admits.
  void CheckOwnedStatusesConverged(const std::set<core::ObjectKey>& admitted);
  void CheckConfigStatusConverged(const core::ObjectKey& key,
                                  const std::set<core::ObjectKey>& admitted);
  void CheckRuleStatusConverged(const core::WatchRule& rule,
                                const std::set<core::ObjectKey>& admitted);
  void Fail(Outcome outcome, std::string message);
  void RecordTips();

  SimOptions options_;
  StepObserver observer_;
  Prng prng_;
  FaultMix mix_;
  SimRemote remote_;
  SimCluster cluster_;
  core::EffectRunner runner_{remote_, cluster_};
  std::vector<Replica> replicas_;  // never resized after construction: events index it
  uint32_t next_epoch_ = 0;        // every incarnation of every replica gets its own
  uint32_t next_informer_ = 1;     // and of every configmaps informer (0: none)
  Lease lease_;
  absl::Time now_ = kEpoch;
  EventQueue<Event> queue_;
  std::vector<core::Output> spare_outputs_;           // effect buffers a step handles into (Handle)
  std::vector<const core::Controller*> controllers_;  // one per replica, for CheckStep
  bool healed_ = false;
  uint64_t uids_ = 0;
  absl::Time outage_until_ = absl::InfinitePast();  // the remotes answer nothing but errors
  // A race storm: until then another writer commits to race_branch_ of race_url_ just
  // before each push of the controller there.
  absl::Time race_until_ = absl::InfinitePast();
  std::string race_url_, race_branch_;

  // The API server.
  std::vector<core::ObjectKey> pool_;  // every destination name users pick from
  std::map<core::ObjectKey, ApiRepoConfig> configs_;
  std::map<core::ObjectKey, ApiDestination> api_;
  // The target each destination of api_ resolves to (an error when it has none), for the
  // webhook: resolving all of them on every user action cost more than the rest of the
  // world. Dropped for a destination when it changes, wholly when a GitRepoConfig does.
  std::map<core::ObjectKey, absl::StatusOr<core::WriteTarget>> api_targets_;
  std::map<core::ObjectKey, core::WatchRule> rules_;  // WatchRules and ClusterWatchRules
  // Every key that ever existed: a relist reports the ones gone as deleted.
  std::set<core::ObjectKey> configs_ever_, destinations_ever_, rules_ever_;
  // Deleted objects as their delete event carried them (uid, the deletion's revision).
  std::map<core::ResourceId, core::CapturedObject> gone_;
  std::map<core::ResourceId, int> content_version_;

  // What the checks remember.
  RunResult result_;
  std::map<std::string, TipHistory> tips_;  // by normalized repository URL
  // The remotes' tip histories, as the step checks read them.
  class Tips : public RemoteHistory {
   public:
    explicit Tips(const std::map<std::string, TipHistory>& tips) : tips_(&tips) {}
    bool SeenBetween(const std::string& url, const std::string& branch, const std::string& sha,
                     absl::Time from, absl::Time to) const override;
    bool EverHad(const std::string& url, const std::string& sha) const override;

   private:
    const TipHistory& Of(const std::string& url) const;
    const std::map<std::string, TipHistory>* tips_;
    // URL spelling → its repository's history: normalizing a URL on every status checked
    // cost more than the check (a memo; the histories' nodes are stable).
    mutable std::map<std::string, const TipHistory*> by_spelling_;
  };
  Tips tip_view_{tips_};
};

}  // namespace gitdest::sim::internal
