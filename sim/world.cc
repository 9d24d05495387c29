// The simulated world: events, the controller process, the API server and its watch,
// the remote and its other writers.
#include "sim/world.h"

#include <iterator>

#include "absl/strings/str_cat.h"
#include "core/overloaded.h"

namespace gitdest::sim::internal {
namespace {

std::string DestName(int i) { return absl::StrCat("d", i); }
std::string BranchName(int i) { return i == 0 ? "main" : absl::StrCat("env/", i); }
std::string ObjectName(int i) { return absl::StrCat("cm", i); }

core::ResourceId Object(const std::string& ns, const std::string& name) {
  return core::ResourceId{"", "v1", "configmaps", ns, name};
}

}  // namespace

World::World(const SimOptions& options, const StepObserver& observer)
    : options_(options),
      observer_(observer),
      prng_(options.seed),
      mix_(ChooseFaultMix(options.seed)) {
  remote_.CreateRepository(kRemoteUrl);
  controller_ = std::make_unique<core::Controller>(options_.core_options, epoch_);
  result_.mix = mix_;
  Schedule(now_, UserTick{});
  Schedule(now_ + absl::Minutes(1), ExternalTick{});
  Schedule(now_ + absl::Minutes(1), CrashTick{});
  Watch("repo", core::RepoConfigObserved{RepoConfig()}, /*reliable=*/true);
}

core::RepoConfig World::RepoConfig() const {
  core::RepoConfig config;
  config.key = kRepoKey;
  config.spec.repo_url = kUrlSpellings[url_spelling_];
  config.spec.allowed_branches = branches_narrowed_ ? std::vector<std::string>{"main"}
                                                    : std::vector<std::string>{"main", "env/*"};
  config.spec.push.interval = absl::Seconds(10);
  config.spec.push.max_commits = 8;
  return config;
}

core::Destination World::ToDestination(const std::string& name, const ApiDestination& d) const {
  core::Destination dest;
  dest.key = {"team", name};
  dest.generation = d.generation;
  dest.creation_time = d.created;
  dest.spec = {{"", "repo"}, d.branch, d.folder};
  return dest;
}

// ---- the run ----------------------------------------------------------------------------

RunResult World::Run() {
  const absl::Time safety_end = kEpoch + options_.duration;
  const absl::Time end = safety_end + options_.liveness_bound;
  while (result_.outcome == Outcome::kOk && !queue_.empty()) {
    auto first = queue_.begin();
    if (first->first.first > end) break;
    if (!healed_ && first->first.first > safety_end) {
      // Liveness: every fault heals; the watch relists once, as a reconnect would.
      healed_ = true;
      mix_ = FaultMix{};
      mix_.latency_max = absl::Milliseconds(50);
      Schedule(safety_end, Relist{});
      continue;
    }
    now_ = first->first.first;
    Event event = std::move(first->second);
    queue_.erase(first);
    Dispatch(event);
  }
  if (result_.outcome == Outcome::kOk) {
    now_ = end;
    CheckConvergence();
  }
  result_.simulated = now_ - kEpoch;
  result_.reads = remote_.reads();
  result_.pushes = remote_.pushes();
  result_.status_writes = cluster_.status_writes();
  return result_;
}

void World::Dispatch(const Event& event) {
  std::visit(core::Overloaded{
                 [&](const Deliver& d) {
                   if (d.epoch == epoch_) Handle(d.input);  // else: lost with the process
                 },
                 [&](const Wake& w) {
                   if (w.epoch == epoch_ && now_ == wake_at_) Handle(core::TimerFired{});
                 },
                 [&](const UserTick&) {
                   if (healed_) return;
                   UserAction();
                   Schedule(now_ + prng_.Millis(200, 20'000), UserTick{});
                 },
                 [&](const ExternalTick&) {
                   if (healed_) return;
                   ExternalWrite();
                   Schedule(now_ + absl::Minutes(1), ExternalTick{});
                 },
                 [&](const CrashTick&) {
                   if (healed_) return;
                   // crashes_per_day spread over the day's 1440 minutes.
                   if (static_cast<int>(prng_.Below(1440)) < mix_.crashes_per_day) Crash();
                   if (static_cast<int>(prng_.Below(1440)) < mix_.outages_per_day) {
                     outage_until_ = now_ + prng_.Millis(60'000, 900'000);
                   }
                   Schedule(now_ + absl::Minutes(1), CrashTick{});
                 },
                 [&](const Relist&) { RelistAll(); },
             },
             event);
}

// ---- the controller process ---------------------------------------------------------------

void World::Handle(const core::Input& input) {
  RecordTips();
  if (const auto* deleted = std::get_if<core::DestinationDeleted>(&input)) {
    last_finished_.erase(deleted->key);  // a later one of that name starts from nothing
  }
  core::Output out = controller_->Handle(input, now_);
  const uint64_t hash = controller_->StateHash();
  result_.state_hashes.push_back(hash);
  if (observer_) observer_(StepRecord{result_.steps, now_, &input, &out, hash});
  ++result_.steps;
  if (options_.check_invariants) CheckStep(out);
  if (out.wake_at != wake_at_) {
    wake_at_ = out.wake_at;
    if (wake_at_ != absl::InfiniteFuture()) Schedule(wake_at_, Wake{epoch_});
  }
  for (const core::Effect& effect : out.effects) Execute(effect);
}

void World::Execute(const core::Effect& effect) {
  if (std::holds_alternative<core::RequeueAfter>(effect)) return;
  const bool outage = now_ < outage_until_ && !healed_;
  if (std::holds_alternative<core::FetchMetadata>(effect)) {
    if (outage) remote_.FailNextReads(1, absl::UnavailableError("503 Service Unavailable"));
    if (prng_.Chance(mix_.read_failure)) {
      remote_.FailNextReads(1, prng_.Chance(250) ? absl::UnauthenticatedError("401 Unauthorized")
                                                 : absl::UnavailableError("connection reset"));
    }
  } else if (std::holds_alternative<core::PushBatch>(effect)) {
    if (outage) remote_.FailNextPushes(1, absl::UnavailableError("503 Service Unavailable"));
    if (prng_.Chance(mix_.push_failure)) {
      remote_.FailNextPushes(1, prng_.Chance(250) ? absl::PermissionDeniedError("403 Forbidden")
                                                  : absl::UnavailableError("502 Bad Gateway"));
    }
  } else if (std::holds_alternative<core::ResyncDestination>(effect)) {
    if (outage) remote_.FailNextReads(1, absl::UnavailableError("503 Service Unavailable"));
  } else if (std::holds_alternative<core::WriteStatus>(effect)) {
    if (prng_.Chance(mix_.status_conflict)) {
      cluster_.FailNextStatusWrites(1, absl::AbortedError("409: the object has been modified"));
    }
  }
  std::optional<core::Input> answer = executor_.Execute(effect);
  remote_.ClearFaults();
  cluster_.ClearFaults();
  RecordTips();  // a push changes the remote now, whenever its answer arrives
  if (!answer) return;
  if (prng_.Chance(mix_.lost_answer)) return;  // the core's deadline must fire
  Schedule(now_ + Latency(), Deliver{*std::move(answer), epoch_});
}

void World::Crash() {
  ++result_.crashes;
  ++epoch_;  // answers and events addressed to the old process are lost with it
  controller_ = std::make_unique<core::Controller>(options_.core_options, epoch_);
  wake_at_ = absl::InfiniteFuture();
  last_read_start_.clear();
  last_finished_.clear();
  Handle(core::ControllerRestarted{epoch_});
  DeliverRestart(now_ + absl::Seconds(1));
}

// The initial list of a (re)started controller, then CacheSynced.
void World::DeliverRestart(absl::Time at) {
  Schedule(at, Deliver{core::RepoConfigObserved{RepoConfig()}, epoch_});
  for (const auto& [name, d] : api_) {
    Schedule(at, Deliver{core::DestinationObserved{ToDestination(name, d)}, epoch_});
  }
  Schedule(at, Deliver{core::CacheSynced{}, epoch_});
}

// ---- the API server and its watch -----------------------------------------------------------

// Delivers a watch event for one object key: per key in order (as a watch does), with a
// delay; possibly duplicated, or lost — then the watch notices and relists.
void World::Watch(const std::string& key, core::Input input, bool reliable) {
  if (!reliable && prng_.Chance(mix_.watch_drop)) {
    ++result_.watch_drops;
    Schedule(now_ + prng_.Millis(1'000, 30'000), Relist{});
    return;
  }
  const absl::Duration delay = prng_.Millis(0, absl::ToInt64Milliseconds(mix_.watch_delay_max));
  absl::Time& last = watch_last_[key];
  last = std::max(last, now_ + delay);
  Schedule(last, Deliver{input, epoch_});
  if (!reliable && prng_.Chance(mix_.watch_duplicate)) Schedule(last, Deliver{input, epoch_});
}

void World::RelistAll() {
  Watch("repo", core::RepoConfigObserved{RepoConfig()}, true);
  for (const std::string& name : ever_created_) {
    auto it = api_.find(name);
    if (it == api_.end()) {
      Watch(name, core::DestinationDeleted{{"team", name}}, true);
      continue;
    }
    Watch(name, core::DestinationObserved{ToDestination(name, it->second)}, true);
    const core::ObjectKey key{"team", name};
    const auto listed = cluster_.ListCapturedObjects(key);
    std::set<std::string> live;
    for (const core::CapturedObject& o : *listed) {
      live.insert(o.resource.name);
      Watch(name + "/" + o.resource.name,
            core::ResourceChanged{key, o.resource, core::ChangeOp::kUpdate, o.content, o.author},
            true);
    }
    for (int i = 0; i < options_.objects; ++i) {
      if (live.contains(ObjectName(i))) continue;
      Watch(name + "/" + ObjectName(i),
            core::ResourceChanged{key, Object(name, ObjectName(i)), core::ChangeOp::kDelete, "",
                                  "relist"},
            true);
    }
  }
}

// The webhook's verdict on a create or update (when it is on).
bool World::Admitted(const std::string& name, const ApiDestination& d) {
  if (!mix_.admission_webhook) return true;
  const core::RepoConfig config = RepoConfig();
  auto target = core::ResolveTarget(ToDestination(name, d).spec, &config);
  if (!target.ok()) return false;  // the webhook refuses invalid specs too
  std::vector<core::Claim> existing;
  for (const auto& [other, od] : api_) {
    auto t = core::ResolveTarget(ToDestination(other, od).spec, &config);
    if (t.ok()) existing.push_back(core::Claim{{"team", other}, od.created, *t});
  }
  return core::CheckAdmission(core::Claim{{"team", name}, d.created, *target}, existing).ok();
}

void World::CreateOrUpdate(const std::string& name, const std::string& branch,
                           const std::string& folder) {
  auto it = api_.find(name);
  ApiDestination d = it == api_.end() ? ApiDestination{} : it->second;
  if (it == api_.end())
    d.created = absl::FromUnixSeconds(absl::ToUnixSeconds(now_));
  else
    ++d.generation;
  d.branch = branch;
  d.folder = folder;
  if (!Admitted(name, d)) {
    ++result_.admissions_refused;
    return;
  }
  api_[name] = d;
  ever_created_.insert(name);
  folders_ever_[name].insert(folder);
  Watch(name, core::DestinationObserved{ToDestination(name, d)});
}

void World::UserAction() {
  ++result_.user_actions;
  const std::string name = DestName(static_cast<int>(prng_.Below(options_.destinations)));
  const uint64_t roll = prng_.Below(100);
  if (roll < 12 || (roll < 60 && !api_.contains(name))) {
    // Folders chosen to collide: equal, nested, equal after normalization; rarely invalid.
    const std::string folders[] = {"apps",        "apps/web",    "apps/./web",
                                   "shared",      "own-" + name, "own-" + name + "/sub",
                                   "own-" + name, "../escape"};
    const uint64_t folder = prng_.Chance(30) ? 7 : prng_.Below(7);
    CreateOrUpdate(name, BranchName(static_cast<int>(prng_.Below(options_.branches))),
                   folders[folder]);
  } else if (roll < 18 && api_.contains(name)) {
    api_.erase(name);
    for (int i = 0; i < options_.objects; ++i) {
      cluster_.RemoveObject({"team", name}, Object(name, ObjectName(i)));
    }
    Watch(name, core::DestinationDeleted{{"team", name}});
  } else if (roll < 20) {
    url_spelling_ = static_cast<int>(prng_.Below(std::size(kUrlSpellings)));
    Watch("repo", core::RepoConfigObserved{RepoConfig()});
  } else if (roll < 22) {
    // Now and then allowedBranches narrows to "main", refusing the env/* destinations
    // their branch; the next such action widens it again.
    branches_narrowed_ = !branches_narrowed_ && prng_.Chance(250);
    Watch("repo", core::RepoConfigObserved{RepoConfig()});
  } else {
    ChangeObject();
  }
}

void World::ChangeObject() {
  if (api_.empty()) return;
  auto it = api_.begin();
  std::advance(it, static_cast<long>(prng_.Below(api_.size())));
  const std::string& name = it->first;
  const core::ObjectKey key{"team", name};
  const core::ResourceId id =
      Object(name, ObjectName(static_cast<int>(prng_.Below(options_.objects))));
  const std::string watch_key = name + "/" + id.name;
  const std::string author = absl::StrCat("user-", prng_.Below(3));
  if (prng_.Chance(150)) {
    cluster_.RemoveObject(key, id);
    Watch(watch_key, core::ResourceChanged{key, id, core::ChangeOp::kDelete, "", author});
    return;
  }
  const std::string content = absl::StrCat("apiVersion: v1\nkind: ConfigMap\ndata:\n  v: \"",
                                           ++content_version_[watch_key], "\"\n");
  cluster_.SetObject(key, core::CapturedObject{id, content, author});
  Watch(watch_key, core::ResourceChanged{key, id, core::ChangeOp::kUpdate, content, author});
}

// Other writers on the same branches: commits outside every destination's folder (which
// make the controller's pushes conflict), and now and then a deleted or force-pushed one.
void World::ExternalWrite() {
  const std::string branch = BranchName(static_cast<int>(prng_.Below(options_.branches)));
  if (static_cast<int>(prng_.Below(1440)) < mix_.branch_deletes_per_day) {
    remote_.DeleteBranch(kRemoteUrl, branch);
    return;
  }
  if (static_cast<int>(prng_.Below(1440)) < mix_.force_moves_per_day) {
    remote_.ForceMoveBack(kRemoteUrl, branch);
    return;
  }
  if (static_cast<int>(prng_.Below(60)) < mix_.external_commits_per_hour) {
    remote_.ExternalCommit(kRemoteUrl, branch, "external/notes.txt",
                           absl::StrCat("note ", prng_.Next()));
  }
}

}  // namespace gitdest::sim::internal
