// Test harness: the real core in a small simulated world (sim::SimRemote,
// sim::SimCluster) with a manual clock. Effects are held in flight until a test
// delivers them, so a test controls every interleaving: reads in flight while other
// destinations reconcile, pushes racing external writers, status writes failing.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "core/controller.h"
#include "core/executor.h"
#include "sim/sim_cluster.h"
#include "sim/sim_remote.h"
#include "sim/state_checker.h"
#include "sim/tip_history.h"

namespace gitdest::testing {

inline constexpr char kRepoUrl[] = "https://git.example.com/org/repo.git";

core::ControllerOptions TestOptions();
core::RepoConfig MakeRepoConfig(const std::string& name, const std::string& url = kRepoUrl,
                                std::vector<std::string> allowed = {"*", "**"});
core::Destination MakeDestination(const std::string& name, const std::string& branch,
                                  const std::string& folder, absl::Time created,
                                  const std::string& repo = "repo");
core::ResourceId ConfigMap(const std::string& ns, const std::string& name);
// API discovery's ConfigMap: v1 configmaps, namespaced, the preferred version.
core::ResourceTypeInfo ConfigMapType();
// The ClusterWatchRule "capture-<destination>": ConfigMaps in every namespace, written to
// the GitDestination team/<destination>.
core::WatchRule CaptureConfigMaps(const std::string& destination);
// The WatchRule ns/capture-<destination>: the ConfigMaps of namespace `ns` only, written
// to the GitDestination ns/<destination> (a WatchRule writes only to its own namespace).
core::WatchRule CaptureConfigMapsIn(const std::string& ns, const std::string& destination);
// The object as a list returns it once `change` (not a delete) happened.
core::CapturedObject Listed(const core::ObjectChanged& change);

class Harness {
 public:
  explicit Harness(core::ControllerOptions options = TestOptions());

  core::Controller& controller() { return *controller_; }
  absl::Time now() const { return now_; }

  // Feeds one input at the current time; its effects are held in flight.
  void Feed(const core::Input& input);
  // A change of `object` as a watch delivers it, with the uid and resourceVersion the
  // cluster gave it (a new uid once it was deleted; versions only grow). The cluster
  // changes first, so that a resync lists what the event says. Not fed: the caller does.
  core::ObjectChanged Changed(const core::ResourceId& object, core::ChangeOp op,
                              const std::string& content, const std::string& user = "alice");
  // Moves time forward by `d`, firing every timer due on the way.
  void Advance(absl::Duration d);
  // Like Advance, but delivers every effect as soon as it is emitted: a world where
  // the remote and the API answer instantly and without faults of their own.
  bool AdvanceSettling(absl::Duration d);
  // Executes held effects of one kind (oldest first) and feeds their results back.
  int DeliverReads();
  int DeliverPushes();
  int DeliverStatusWrites();
  int DeliverResyncs();
  // DeliverResyncs, each list answered with `objects` instead: what a cache behind the
  // watch (or a list that raced an event) returns.
  int DeliverResyncsListing(const std::vector<core::CapturedObject>& objects);
  // Delivers everything, repeatedly, until nothing is in flight; false if it never ends.
  bool Settle();
  // Loses the controller's memory; results in flight are lost with the process. API
  // discovery runs again; the caller re-lists what the cluster holds (rules, objects),
  // then feeds CacheSynced.
  void Restart();

  // What happened, for assertions.
  const std::vector<core::FetchMetadata>& reads_issued() const { return reads_issued_; }
  struct TimedEffect {
    absl::Time at;
    core::Effect effect;
  };
  std::vector<TimedEffect> TakeEffects();  // every effect emitted since the last call
  // The status each finished reconcile left (one per RequeueAfter, as of that step).
  struct Finished {
    absl::Time at;
    core::ObjectKey destination;
    core::DestinationStatus status;
  };
  std::vector<Finished> TakeFinished();
  size_t in_flight() const { return in_flight_.size(); }
  // The remote's tip history per branch of kRepoUrl, recorded whenever the harness
  // sees the world change: before each input and after each executed effect.
  void RecordTips();
  bool TipSeenBetween(const std::string& branch, const std::string& sha, absl::Time from,
                      absl::Time to) const;
  // The first broken invariant seen after any step (OK if none).
  const absl::Status& violation() const { return violation_; }
  const std::deque<core::Effect>& held() const { return in_flight_; }
  // The types the last EnsureWatches named (none before the first).
  const std::vector<core::GroupVersionResource>& watched() const { return watched_; }

  sim::SimRemote remote;
  sim::SimCluster cluster;

 private:
  // Executes the held effects of kind E; `edit` may change each result before it is fed.
  template <class E>
  int Deliver(const std::function<void(core::Input&)>& edit = nullptr);
  void Absorb(const core::Input& input, core::Output out);

  core::ControllerOptions options_;
  std::unique_ptr<core::Controller> controller_;
  core::EffectRunner runner_{remote, cluster};
  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
  absl::Time wake_at_ = absl::InfiniteFuture();
  uint32_t epoch_ = 0;
  std::deque<core::Effect> in_flight_;
  std::vector<TimedEffect> emitted_;
  std::vector<Finished> finished_;
  std::vector<core::FetchMetadata> reads_issued_;
  absl::Status violation_;
  sim::TipHistory tips_;  // of kRepoUrl
  // The step invariants (sim::StateChecker), with what the harness knows of the remote:
  // the history of kRepoUrl; of other repositories nothing, so nothing is flagged there.
  class Tips : public sim::RemoteHistory {
   public:
    explicit Tips(const sim::TipHistory& tips) : tips_(&tips) {}
    bool SeenBetween(const std::string& url, const std::string& branch, const std::string& sha,
                     absl::Time from, absl::Time to) const override;
    bool EverHad(const std::string& url, const std::string& sha) const override;

   private:
    const sim::TipHistory* tips_;
  };
  Tips tip_view_{tips_};
  sim::StateChecker checker_{&tip_view_};
  std::vector<core::GroupVersionResource> watched_;
};

// The times at which effects of kind E were emitted, oldest first.
template <class E>
std::vector<absl::Time> TimesOf(const std::vector<Harness::TimedEffect>& effects) {
  std::vector<absl::Time> times;
  for (const auto& [at, effect] : effects) {
    if (std::holds_alternative<E>(effect)) times.push_back(at);
  }
  return times;
}

// The time between each two consecutive times.
inline std::vector<absl::Duration> Gaps(const std::vector<absl::Time>& times) {
  std::vector<absl::Duration> gaps;
  for (size_t i = 1; i < times.size(); ++i) gaps.push_back(times[i] - times[i - 1]);
  return gaps;
}

}  // namespace gitdest::testing
