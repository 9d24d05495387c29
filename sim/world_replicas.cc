// The controller processes of the simulated world: each replica's core and the requests
// it sends, crashes and restarts, and leader election over one Lease.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/check.h"
#include "core/naming/repo_url.h"
#include "sim/world.h"

namespace gitdest::sim::internal {

void World::Handle(int replica, const core::Input& input) {
  Replica& to = replicas_[replica];
  // A spare buffer (steps do not nest today; if one did, it would take another).
  core::Output out;
  if (!spare_outputs_.empty()) {
    out = std::move(spare_outputs_.back());
    spare_outputs_.pop_back();
  }
  to.controller->Handle(input, now_, out);
  // Hashing the whole state costs more than the step itself: only when someone compares.
  const uint64_t hash = options_.state_hashes || observer_ ? to.controller->StateHash() : 0;
  if (options_.state_hashes) result_.state_hashes.push_back(hash);
  if (observer_) observer_(StepRecord{result_.steps, replica, now_, &input, &out, hash});
  ++result_.steps;
  if (std::holds_alternative<core::CacheSynced>(input)) to.ready = true;  // it may lead now
  if (options_.check_invariants) CheckStep(replica, input, out);
  if (out.wake_at != to.wake_at) {
    to.wake_at = out.wake_at;
    if (to.wake_at != absl::InfiniteFuture()) Schedule(to.wake_at, Wake{replica, to.epoch});
  }
  for (const core::Effect& effect : out.effects) Execute(replica, effect);
  spare_outputs_.push_back(std::move(out));
}

void World::Execute(int replica, const core::Effect& effect) {
  if (const auto* ensure = std::get_if<core::EnsureWatches>(&effect)) {
    return OnEnsureWatches(replica, *ensure);
  }
  if (!core::EffectRunner::HasResult(effect)) {
    runner_.Run(effect, [](core::Input) {});
    return;
  }
  // A slow write reaches its port within its timeout (the port's contract), yet maybe after
  // its sender lost the Lease or died.
  const auto* push = std::get_if<core::PushBatch>(&effect);
  if ((push != nullptr || std::holds_alternative<core::WriteStatus>(effect)) &&
      prng_.Chance(mix_.slow_writes)) {
    const absl::Duration timeout = push ? push->timeout : options_.core_options.api_timeout;
    const int64_t slowest = std::min<int64_t>(absl::ToInt64Milliseconds(timeout) - 1, 30'000);
    Schedule(now_ + prng_.Millis(1, std::max<int64_t>(1, slowest)),
             Land{effect, replica, replicas_[replica].epoch});
    return;
  }
  LandRequest(replica, replicas_[replica].epoch, effect);
}

void World::LandRequest(int replica, uint32_t epoch, const core::Effect& effect) {
  InjectFaults(effect);
  std::optional<core::Input> answer;
  runner_.Run(effect, [&](core::Input result) { answer = std::move(result); });
  remote_.ClearFaults();
  cluster_.ClearFaults();
  if (const auto* written = answer ? std::get_if<core::StatusWritten>(&*answer) : nullptr) {
    // A status write changes the object: its watch reports the new resourceVersion, as
    // the API server's does — also when the write's own answer is lost.
    if (written->resource_version.ok()) {
      WatchStatusWritten(written->target, *written->resource_version);
    }
  }
  // A push changes the remote now, whenever its answer arrives.
  if (std::holds_alternative<core::PushBatch>(effect)) RecordTips();
  if (!answer) return;
  if (prng_.Chance(mix_.lost_answer)) return;  // the core's deadline must fire
  // To the incarnation that sent it: lost if it died meanwhile.
  Schedule(now_ + Latency(), Deliver{*std::move(answer), replica, epoch});
}

void World::InjectFaults(const core::Effect& effect) {
  const bool outage = now_ < outage_until_ && !healed_;
  if (const auto* push = std::get_if<core::PushBatch>(&effect);
      push != nullptr && !healed_ && now_ < race_until_ && push->remote.branch == race_branch_ &&
      core::RepoIdentity(push->remote.url).value_or("") ==
          core::RepoIdentity(race_url_).value_or("")) {
    remote_.ExternalCommit(race_url_, race_branch_, "external/race.txt",
                           absl::StrCat("race ", prng_.Next()));
  }
  if (std::holds_alternative<core::FetchMetadata>(effect)) {
    if (outage) remote_.FailNextReads(1, absl::UnavailableError("503 Service Unavailable"));
    if (prng_.Chance(mix_.read_failure)) {
      remote_.FailNextReads(1, prng_.Chance(250) ? absl::UnauthenticatedError("401 Unauthorized")
                                                 : absl::UnavailableError("connection reset"));
    }
    if (prng_.Chance(mix_.ancestry_unknown)) remote_.AnswerAncestryUnknown(1);
  } else if (std::holds_alternative<core::PushBatch>(effect)) {
    if (outage) remote_.FailNextPushes(1, absl::UnavailableError("503 Service Unavailable"));
    if (prng_.Chance(mix_.push_failure)) {
      remote_.FailNextPushes(1, prng_.Chance(250) ? absl::PermissionDeniedError("403 Forbidden")
                                                  : absl::UnavailableError("502 Bad Gateway"));
    }
    if (prng_.Chance(mix_.ancestry_unknown)) remote_.AnswerAncestryUnknown(1);
  } else if (std::holds_alternative<core::ResyncDestination>(effect)) {
    if (outage) remote_.FailNextReads(1, absl::UnavailableError("503 Service Unavailable"));
  } else if (const auto* write = std::get_if<core::WriteStatus>(&effect)) {
    // The status of an object that is gone cannot be written (its delete event may be
    // late or lost): 404, as the API server answers.
    if (!Exists(write->target)) {
      cluster_.FailNextStatusWrites(
          1, absl::NotFoundError(absl::StrCat("404: ", write->target.ToString(), " not found")));
    }
    if (prng_.Chance(mix_.status_conflict)) {
      cluster_.FailNextStatusWrites(1, absl::AbortedError("409: the object has been modified"));
    }
  }
}

bool World::Exists(const core::StatusTarget& target) const {
  switch (target.kind) {
    case core::ResourceKind::kGitDestination:
      return api_.contains(target.key);
    case core::ResourceKind::kGitRepoConfig:
      return configs_.contains(target.key);
    case core::ResourceKind::kWatchRule:
    case core::ResourceKind::kClusterWatchRule:
      return rules_.contains(target.key);
  }
  return false;
}

// ---- leader election ---------------------------------------------------------------------

const core::Controller* World::Leader() const {
  for (const Replica& replica : replicas_) {
    if (replica.leader) return replica.controller.get();
  }
  return nullptr;
}

// The leader renews every retry period; a candidate tries a little less regularly
// (controller-runtime jitters its retries), so that which replica wins is the seed's.
void World::OnLeaseTick(int replica) {
  Replica& it = replicas_[replica];
  if (it.leader) {
    Renew(replica);
  } else if (it.ready) {
    TryAcquire(replica);
  }
  const absl::Duration next = it.leader
                                  ? kRetryPeriod
                                  : prng_.Millis(absl::ToInt64Milliseconds(kRetryPeriod),
                                                 absl::ToInt64Milliseconds(kRetryPeriod * 2.2));
  Schedule(now_ + next, LeaseTick{replica, it.epoch});
}

void World::Renew(int replica) {
  Replica& it = replicas_[replica];
  GITDEST_ASSERT(lease_.holder == replica);
  if (healed_ || now_ >= it.renew_fails_until) {
    lease_.renewed_at = it.renewed_at = now_;
    return;
  }
  if (now_ - it.renewed_at < kRenewDeadline) return;  // retried at the next tick
  // It could not renew in time: it stops leading at once, while the Lease still names it
  // until it expires (nobody else may take it before).
  it.leader = false;
  Handle(replica, core::LeaseLost{});
}

void World::TryAcquire(int replica) {
  Replica& it = replicas_[replica];
  if (!healed_ && now_ < it.renew_fails_until) return;  // it cannot reach the API server
  if (lease_.holder != -1 && now_ - lease_.renewed_at < kLeaseDuration) return;  // held
  for (const Replica& other : replicas_) GITDEST_ASSERT(!other.leader);  // expired: none leads
  lease_ = Lease{replica, now_};
  ++result_.lease_changes;
  it.renewed_at = now_;
  it.leader = true;
  Handle(replica, core::LeaseAcquired{});
}

// The leader cannot renew for a while: past the renew deadline it stops writing, and the
// Lease passes on once it expires (to a standby, or back to it once it renews again).
void World::LoseRenewal() {
  for (Replica& replica : replicas_) {
    if (replica.leader) replica.renew_fails_until = now_ + prng_.Millis(5'000, 90'000);
  }
}

// ---- crashes --------------------------------------------------------------------------------

void World::Crash(int replica) {
  WalkBeforeEnd(replica);
  ++result_.crashes;
  Replica& it = replicas_[replica];
  it.epoch = next_epoch_++;  // answers and events addressed to the old process are lost
  it.controller = std::make_unique<core::Controller>(options_.core_options, it.epoch);
  it.wake_at = absl::InfiniteFuture();
  it.leader = false;  // the Lease still names it until it expires
  it.ready = false;
  it.watched.clear();  // its informers died with it
  it.informer.clear();
  it.informer_epoch = 0;
  it.watch_last.clear();
  Handle(replica, core::ControllerRestarted{it.epoch});
  DeliverRestart(replica, now_ + absl::Seconds(1));
  Schedule(now_ + absl::Seconds(1), LeaseTick{replica, it.epoch});
}

// Discovery and the initial list of a restarted replica, then CacheSynced (after which it
// may take the Lease). Objects come from the informers its EnsureWatches starts.
void World::DeliverRestart(int replica, absl::Time at) {
  const uint32_t epoch = replicas_[replica].epoch;
  Schedule(at, Deliver{core::ResourceTypesDiscovered{DiscoveredTypes()}, replica, epoch});
  for (const auto& [key, config] : configs_) {
    Schedule(at, Deliver{core::RepoConfigObserved{*RepoConfig(key)}, replica, epoch});
  }
  for (const auto& [key, d] : api_) {
    Schedule(at, Deliver{core::DestinationObserved{ToDestination(key, d)}, replica, epoch});
  }
  for (const auto& [key, rule] : rules_) {
    Schedule(at, Deliver{core::WatchRuleObserved{rule}, replica, epoch});
  }
  Schedule(at, Deliver{core::CacheSynced{}, replica, epoch});
}

void World::OnEnsureWatches(int replica, const core::EnsureWatches& ensure) {
  Replica& it = replicas_[replica];
  const bool had = it.watched.contains(kConfigMaps);
  it.watched = std::set<core::GroupVersionResource>(ensure.types.begin(), ensure.types.end());
  const bool has = it.watched.contains(kConfigMaps);
  if (had && !has) {  // the informer stops, its store with it, and its events on their way
    it.informer.clear();
    it.informer_epoch = 0;
  }
  if (had || !has) return;
  it.informer_epoch = next_informer_++;
  // A new informer lists before it watches: every object, as a relist would.
  for (const auto& [id, object] : cluster_.objects()) {
    WatchObject(core::ObjectChanged{id, object.uid, object.resource_version,
                                    core::ChangeOp::kUpdate, object.content, object.author},
                /*reliable=*/true, replica);
  }
  EndRelist(replica);
}

}  // namespace gitdest::sim::internal
