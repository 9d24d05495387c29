// The simulated world: events, the controller process, the API server and its watch,
// the remotes and their other writers.
#include "sim/world.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/check.h"
#include "core/naming/base_folder.h"
#include "core/naming/repo_url.h"
#include "core/overloaded.h"

namespace gitdest::sim::internal {
namespace {

std::string ObjectName(int i) { return absl::StrCat("cm", i); }
std::string NamespaceName(int i) { return absl::StrCat("ns-", i); }

core::ResourceId Object(const std::string& ns, const std::string& name) {
  return core::ResourceId{"", "v1", "configmaps", ns, name};
}

std::string Content(const core::ResourceId& id, int version) {
  return absl::StrCat("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ", id.name,
                      "\n  namespace: ", id.namespace_, "\ndata:\n  v: \"", version, "\"\n");
}

// A destination's own WatchRule, and the ClusterWatchRule some destinations get too.
core::ObjectKey RuleKey(const core::ObjectKey& destination) {
  return {destination.namespace_, "watch-" + destination.name};
}
core::ObjectKey ClusterRuleKey(const core::ObjectKey& destination) {
  return {"", "all-" + destination.name};
}

core::StatusTarget RuleTarget(const core::ObjectKey& rule) {
  return {rule.namespace_.empty() ? core::ResourceKind::kClusterWatchRule
                                  : core::ResourceKind::kWatchRule,
          rule};
}
core::StatusTarget ConfigTarget(const core::ObjectKey& config) {
  return {core::ResourceKind::kGitRepoConfig, config};
}

// repo-b's URL as a user sometimes writes it: with a token, which is refused.
constexpr char kRepoBUrlWithCredentials[] = "https://ci:token@git.example.com/org/other.git";

// Three spellings of one rule: every one captures every change of the namespace's
// configmaps, so a re-created rule captures what the deleted one did. A fourth one is
// invalid (a subresource) and captures nothing.
core::WatchRule MakeRule(const core::ObjectKey& destination, uint64_t variant) {
  core::WatchRule rule;
  rule.key = RuleKey(destination);
  rule.destination_ref = {variant == 2 ? destination.namespace_ : "", destination.name};
  core::ResourceRule captured;
  captured.resources = {"configmaps"};
  if (variant == 1) {
    captured.operations = {"*"};
    captured.api_groups = {""};
    captured.api_versions = {"v1"};
    captured.resources = {"ConfigMaps"};
  } else if (variant == 2) {
    captured.operations = {"CREATE", "UPDATE", "DELETE"};
    captured.scope = core::kScopeNamespaced;
  } else if (variant == 3) {
    captured.resources = {"configmaps/status"};
  }
  rule.rules = {captured};
  return rule;
}

core::WatchRule MakeClusterRule(const core::ObjectKey& destination) {
  core::WatchRule rule;
  rule.key = ClusterRuleKey(destination);
  rule.destination_ref = destination;
  core::ResourceRule captured;
  captured.resources = {"configmaps"};
  captured.scope = core::kScopeNamespaced;
  rule.rules = {captured};
  return rule;
}

// A GitRepoConfig as users create it: every branch allowed, credentials from a Secret of
// its own namespace.
ApiRepoConfig NewConfig(const core::ObjectKey& key, const std::string& url) {
  ApiRepoConfig config;
  config.url = url;
  config.allowed_branches = {"main", "env/*"};
  config.secret_name = key.name + "-credentials";
  return config;
}

}  // namespace

std::string BranchName(int i) { return i == 0 ? "main" : absl::StrCat("env/", i); }

const std::vector<core::ResourceTypeInfo>& DiscoveredTypes() {
  static const auto* const types = new std::vector<core::ResourceTypeInfo>{
      {kConfigMaps, "ConfigMap", /*namespaced=*/true, /*preferred=*/true},
      {{"", "v1", "secrets"}, "Secret", true, true},
      {{"apps", "v1", "deployments"}, "Deployment", true, true},
      {{"", "v1", "namespaces"}, "Namespace", false, true},
  };
  return *types;
}

core::ResourceTypeInfo TypeOf(const core::ResourceId& object) {
  const core::GroupVersionResource gvr{object.group, object.version, object.resource};
  for (const core::ResourceTypeInfo& type : DiscoveredTypes()) {
    if (type.gvr == gvr) return type;
  }
  return core::ResourceTypeInfo{gvr, "", !object.namespace_.empty(), true};
}

World::World(const SimOptions& options, const StepObserver& observer)
    : options_(options),
      observer_(observer),
      prng_(options.seed),
      mix_(ChooseFaultMix(options.seed)) {
  GITDEST_ASSERT(options_.replicas >= 1);  // a watch event goes to at least one (Broadcast)
  for (const char* url : kRepositories) {
    remote_.CreateRepository(url);
    tips_.try_emplace(*core::NormalizeRepoUrl(url));
  }
  for (int i = 0; i < options_.destinations; ++i) {
    pool_.push_back({NamespaceName(i % kNamespaces), absl::StrCat("d", i)});
  }
  // Every replica starts with the world: the watch delivers everything that is created.
  replicas_.reserve(options_.replicas);
  for (int r = 0; r < options_.replicas; ++r) {
    Replica& replica = replicas_.emplace_back(&tip_view_, options_.check_every_step
                                                              ? InvariantWalk::kEveryStep
                                                              : InvariantWalk::kAfterDecisions);
    replica.epoch = next_epoch_++;
    replica.controller = std::make_unique<core::Controller>(options_.core_options, replica.epoch);
    replica.ready = true;
    Schedule(now_, Deliver{core::ResourceTypesDiscovered{DiscoveredTypes()}, r, replica.epoch});
  }
  result_.mix = mix_;
  // Every namespace starts with its objects; nothing watches them until a rule exists.
  for (int ns = 0; ns < kNamespaces; ++ns) {
    for (int i = 0; i < options_.objects; ++i) {
      const core::ResourceId id = Object(NamespaceName(ns), ObjectName(i));
      cluster_.SetObject(id, Content(id, ++content_version_[id]), "seed");
    }
  }
  PutConfig(kRepoKey, NewConfig(kRepoKey, kUrlSpellings[0]));
  PutConfig(kRepoBKey, NewConfig(kRepoBKey, kRepoBUrls[prng_.Below(3)]));
  Schedule(now_, UserTick{});
  Schedule(now_ + absl::Minutes(1), ExternalTick{});
  Schedule(now_ + absl::Minutes(1), CrashTick{});
  for (int r = 0; r < options_.replicas; ++r) {  // the first to try takes the Lease
    Schedule(now_ + prng_.Millis(0, absl::ToInt64Milliseconds(kRetryPeriod)),
             LeaseTick{r, replicas_[r].epoch});
  }
}

// ---- the API's objects as the core sees them ----------------------------------------------

std::optional<core::RepoConfig> World::RepoConfig(const core::ObjectKey& key) const {
  auto it = configs_.find(key);
  if (it == configs_.end()) return std::nullopt;
  core::RepoConfig config;
  config.key = key;
  config.uid = it->second.uid;
  config.generation = it->second.generation;
  config.resource_version = it->second.resource_version;
  // As the adapter translates it: credentials redacted where the URL enters.
  config.spec.repo_url = core::RedactUrl(it->second.url);
  config.spec.repo_url_had_credentials = config.spec.repo_url != it->second.url;
  config.spec.allowed_branches = it->second.allowed_branches;
  config.spec.secret_name = it->second.secret_name;
  config.spec.push = options_.push;
  return config;
}

core::Destination World::ToDestination(const core::ObjectKey& key, const ApiDestination& d) const {
  core::Destination dest;
  dest.key = key;
  dest.uid = d.uid;
  dest.resource_version = cluster_.ResourceVersion(key);
  dest.generation = d.generation;
  dest.creation_time = d.created;
  dest.spec = {d.repo_ref, d.branch, d.folder};
  return dest;
}

absl::StatusOr<core::WriteTarget> World::TargetOf(const core::ObjectKey& key,
                                                  const ApiDestination& d) const {
  const core::Destination dest = ToDestination(key, d);
  const std::optional<core::RepoConfig> config =
      RepoConfig(core::Controller::RepoConfigKeyOf(dest));
  return core::ResolveTarget(dest.spec, config ? &*config : nullptr);
}

core::RuleIndex World::ApiRuleIndex() const {
  core::RuleIndex index;
  for (const auto& [key, rule] : rules_) index.Upsert(rule);
  return index;
}

// ---- the run ----------------------------------------------------------------------------

// Work the leader started just before the end (a periodic reconcile: its read, then a
// line of status writes) finishes before convergence is checked, as it would a moment
// later in the healed world; a leader still busy a minute on is checked as it is.
void World::SettleBeforeCheck(absl::Time end) {
  const absl::Time limit = end + absl::Minutes(1);
  while (result_.outcome == Outcome::kOk && !queue_.empty() && queue_.NextAt() <= limit &&
         LeaderBusy()) {
    now_ = queue_.NextAt();
    queue_.PopInto([&](const Event& event) { Dispatch(event); });
  }
}

// A request in flight, or one waiting in a line for a slot.
bool World::LeaderBusy() const {
  const core::Controller* leader = Leader();
  if (leader == nullptr) return false;
  return leader->requests().size() > 0 || !leader->reads_waiting().empty() ||
         !leader->status_writes_waiting().empty() || !leader->lists_waiting().empty();
}

RunResult World::Run() {
  const absl::Time safety_end = kEpoch + options_.duration;
  const absl::Time end = safety_end + options_.liveness_bound;
  while (result_.outcome == Outcome::kOk && !queue_.empty()) {
    const absl::Time at = queue_.NextAt();
    if (at > end) break;
    if (!healed_ && at > safety_end) {
      // Liveness: every fault heals; each watch relists once, as a reconnect would.
      healed_ = true;
      mix_ = FaultMix{};
      mix_.latency_max = absl::Milliseconds(50);
      for (int r = 0; r < static_cast<int>(replicas_.size()); ++r) Schedule(safety_end, Relist{r});
      continue;
    }
    now_ = at;
    queue_.PopInto([&](const Event& event) { Dispatch(event); });
  }
  SettleBeforeCheck(end);
  for (int r = 0; r < static_cast<int>(replicas_.size()); ++r) WalkBeforeEnd(r);
  if (result_.outcome == Outcome::kOk) {
    now_ = std::max(now_, end);
    CheckConvergence();
  }
  result_.simulated = now_ - kEpoch;
  result_.reads = remote_.reads();
  result_.pushes = remote_.pushes();
  result_.commits = remote_.commits();
  result_.status_writes = cluster_.status_writes();
  return result_;
}

// Else it is lost with the process it was for, or with the informer that sent it.
bool World::Reaches(const Deliver& d) const {
  const Replica& to = replicas_[d.replica];
  return d.epoch == to.epoch && (d.informer == 0 || d.informer == to.informer_epoch);
}

void World::Dispatch(const Event& event) {
  std::visit(core::Overloaded{
                 [&](const Deliver& d) {
                   if (Reaches(d)) Handle(d.replica, d.input);
                 },
                 [&](const Wake& w) {
                   const Replica& replica = replicas_[w.replica];
                   if (w.epoch == replica.epoch && now_ == replica.wake_at) {
                     Handle(w.replica, core::TimerFired{});
                   }
                 },
                 [&](const Land& l) { LandRequest(l.replica, l.epoch, l.effect); },
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
                 [&](const CrashTick&) { OnCrashTick(); },
                 [&](const Relist& l) {
                   replicas_[l.replica].relist_pending = false;
                   RelistAll(l.replica);
                 },
                 [&](const LeaseTick& l) {
                   if (l.epoch == replicas_[l.replica].epoch) OnLeaseTick(l.replica);
                 },
             },
             event);
}

void World::OnCrashTick() {
  if (healed_) return;
  // Rates per day spread over the day's 1440 minutes.
  if (static_cast<int>(prng_.Below(1440)) < mix_.crashes_per_day) {
    Crash(static_cast<int>(prng_.Below(replicas_.size())));
  }
  if (static_cast<int>(prng_.Below(1440)) < mix_.lease_losses_per_day) LoseRenewal();
  if (static_cast<int>(prng_.Below(1440)) < mix_.outages_per_day) {
    outage_until_ = now_ + prng_.Millis(60'000, 900'000);
  }
  Schedule(now_ + absl::Minutes(1), CrashTick{});
}

// ---- the API server and its watch -----------------------------------------------------------

// Delivers a watch event for one object key: per key in order (as a watch does), with a
// delay; possibly duplicated, or lost — then the watch notices and relists. False when
// it was lost.
bool World::Watch(int replica, const WatchKey& key, core::Input input, bool reliable) {
  Replica& to = replicas_[replica];
  if (!reliable && prng_.Chance(mix_.watch_drop)) {
    ++result_.watch_drops;
    // The watch broke: it reconnects with one relist, whatever else it lost meanwhile.
    if (!to.relist_pending) Schedule(now_ + prng_.Millis(1'000, 30'000), Relist{replica});
    to.relist_pending = true;
    return false;
  }
  const absl::Duration delay = prng_.Millis(0, absl::ToInt64Milliseconds(mix_.watch_delay_max));
  absl::Time& last = to.watch_last[key];
  last = std::max(last, now_ + delay);
  const uint32_t informer = key.kind == WatchKey::Kind::kObject ? to.informer_epoch : 0;
  if (!reliable && prng_.Chance(mix_.watch_duplicate)) {
    Schedule(last, Deliver{input, replica, to.epoch, informer});
  }
  Schedule(last, Deliver{std::move(input), replica, to.epoch, informer});
  return true;
}

void World::Broadcast(const WatchKey& key, core::Input input, bool reliable, int only) {
  if (only != kEveryReplica) {
    Watch(only, key, std::move(input), reliable);
    return;
  }
  const int last = static_cast<int>(replicas_.size()) - 1;
  for (int r = 0; r < last; ++r) Watch(r, key, input, reliable);
  Watch(last, key, std::move(input), reliable);
}

void World::WatchConfig(const core::ObjectKey& key, bool reliable, int only) {
  const WatchKey watch_key{WatchKey::Kind::kConfig, key};
  if (std::optional<core::RepoConfig> config = RepoConfig(key)) {
    Broadcast(watch_key, core::RepoConfigObserved{*std::move(config)}, reliable, only);
  } else {
    Broadcast(watch_key, core::RepoConfigDeleted{key}, reliable, only);
  }
}

void World::WatchDestination(const core::ObjectKey& key, bool reliable, int only) {
  const WatchKey watch_key{WatchKey::Kind::kDestination, key};
  auto it = api_.find(key);
  if (it != api_.end()) {
    Broadcast(watch_key, core::DestinationObserved{ToDestination(key, it->second)}, reliable, only);
  } else {
    Broadcast(watch_key, core::DestinationDeleted{key}, reliable, only);
  }
}

void World::WatchRule(const core::ObjectKey& key, bool reliable, int only) {
  const WatchKey watch_key{WatchKey::Kind::kRule, key};
  auto it = rules_.find(key);
  if (it != rules_.end()) {
    Broadcast(watch_key, core::WatchRuleObserved{it->second}, reliable, only);
  } else {
    Broadcast(watch_key, core::WatchRuleDeleted{key}, reliable, only);
  }
}

void World::WatchStatusWritten(const core::StatusTarget& target, const std::string& version) {
  switch (target.kind) {
    case core::ResourceKind::kGitDestination:
      if (api_.contains(target.key)) WatchDestination(target.key);
      return;
    case core::ResourceKind::kGitRepoConfig:
      if (auto it = configs_.find(target.key); it != configs_.end() && !version.empty()) {
        it->second.resource_version = version;
        WatchConfig(target.key);
      }
      return;
    case core::ResourceKind::kWatchRule:
    case core::ResourceKind::kClusterWatchRule:
      if (auto it = rules_.find(target.key); it != rules_.end() && !version.empty()) {
        it->second.resource_version = version;
        WatchRule(target.key);
      }
      return;
  }
}

void World::WatchObject(const core::ObjectChanged& change, bool reliable, int only) {
  const core::ResourceId& id = change.object;
  const WatchKey key{WatchKey::Kind::kObject, core::ObjectKey{id.namespace_, id.name}};
  for (int r = 0; r < static_cast<int>(replicas_.size()); ++r) {
    Replica& replica = replicas_[r];
    if (only != kEveryReplica && only != r) continue;
    if (!replica.watched.contains(kConfigMaps)) continue;  // no informer: it hears nothing
    if (!Watch(r, key, change, reliable)) continue;        // its store missed it too: relisted
    if (change.op == core::ChangeOp::kDelete) {
      replica.informer.erase(id);
    } else {
      replica.informer.insert_or_assign(id, change.uid);
    }
  }
}

// The reflector's reconnect: every object of the API again (a duplicate to a controller
// that has seen it), and a delete for every one that is gone.
void World::RelistAll(int replica) {
  for (const core::ObjectKey& key : configs_ever_) WatchConfig(key, /*reliable=*/true, replica);
  for (const core::ObjectKey& key : destinations_ever_) WatchDestination(key, true, replica);
  for (const core::ObjectKey& key : rules_ever_) WatchRule(key, true, replica);
  RelistObjects(replica);
}

// Every live object with its current version (unchanged ones are duplicates the core
// ignores: a relist must not write), and a delete for each object the informer's store
// holds that the list lacks, with the version its delete event carried.
void World::RelistObjects(int replica) {
  if (!replicas_[replica].watched.contains(kConfigMaps)) return;
  std::vector<core::ResourceId> gone;
  for (const auto& [id, uid] : replicas_[replica].informer) {
    if (cluster_.FindObject(id) == nullptr) gone.push_back(id);
  }
  for (const auto& [id, object] : cluster_.objects()) {
    WatchObject(core::ObjectChanged{id, object.uid, object.resource_version,
                                    core::ChangeOp::kUpdate, object.content, object.author},
                /*reliable=*/true, replica);
  }
  for (const core::ResourceId& id : gone) {
    auto deleted = gone_.find(id);
    GITDEST_ASSERT(deleted != gone_.end());  // every delete is remembered until re-created
    const core::CapturedObject& last = deleted->second;
    WatchObject(core::ObjectChanged{id, last.uid, last.resource_version, core::ChangeOp::kDelete,
                                    "", "relist"},
                true, replica);
  }
  EndRelist(replica);
}

// Delivered after the last object of the list (each key's events arrive in order), with
// the version the list was taken at.
void World::EndRelist(int replica) {
  Replica& to = replicas_[replica];
  absl::Time at = now_;
  for (const auto& [key, last] : to.watch_last) {
    if (key.kind == WatchKey::Kind::kObject) at = std::max(at, last);
  }
  Schedule(at, Deliver{core::WatchRelisted{kConfigMaps, cluster_.Revision()}, replica, to.epoch,
                       to.informer_epoch});
}

// ---- users ------------------------------------------------------------------------------

void World::UserAction() {
  ++result_.user_actions;
  const core::ObjectKey key = pool_[prng_.Below(pool_.size())];
  const bool exists = api_.contains(key);
  const uint64_t roll = prng_.Below(100);
  if (roll < 12 || (roll < 60 && !exists)) {
    // Folders chosen to collide: equal, nested, equal after normalization; rarely invalid.
    const std::string folders[] = {"apps",
                                   "apps/web",
                                   "apps/./web",
                                   "shared",
                                   "own-" + key.name,
                                   "own-" + key.name + "/sub",
                                   "own-" + key.name,
                                   "../escape"};
    const uint64_t folder = prng_.Chance(30) ? 7 : prng_.Below(7);
    CreateOrUpdate(key, BranchName(static_cast<int>(prng_.Below(options_.branches))),
                   folders[folder]);
  } else if (roll < 18 && exists) {
    DeleteDestination(key);
  } else if (roll < 20) {
    auto it = configs_.find(kRepoKey);
    if (it == configs_.end()) return;
    ApiRepoConfig config = it->second;
    config.url = kUrlSpellings[prng_.Below(3)];  // one repository, spelled anew
    PutConfig(kRepoKey, std::move(config));
  } else if (roll < 22) {
    ToggleRule(key);
  } else if (roll < 23) {
    ToggleClusterRule(key);
  } else if (roll < 25) {
    ChangeConfig();
  } else {
    ChangeObject();
  }
}

// The webhook's verdict on a create or update (when it is on).
bool World::Admitted(const core::ObjectKey& key, const ApiDestination& d) {
  if (!mix_.admission_webhook) return true;
  absl::StatusOr<core::WriteTarget> target = TargetOf(key, d);
  // Invalid specs are refused; a GitRepoConfig may be created after its destinations.
  if (!target.ok()) return target.status().code() == absl::StatusCode::kNotFound;
  std::vector<core::Claim> existing;
  for (const auto& [other, od] : api_) {
    const absl::StatusOr<core::WriteTarget>& t = CachedTargetOf(other, od);
    if (t.ok()) existing.push_back(core::Claim{other, od.created, *t});
  }
  return core::CheckAdmission(core::Claim{key, d.created, *target}, existing).ok();
}

const absl::StatusOr<core::WriteTarget>& World::CachedTargetOf(const core::ObjectKey& key,
                                                               const ApiDestination& d) {
  auto it = api_targets_.find(key);
  if (it == api_targets_.end()) it = api_targets_.emplace(key, TargetOf(key, d)).first;
  return it->second;
}

void World::CreateOrUpdate(const core::ObjectKey& key, const std::string& branch,
                           const std::string& folder) {
  auto it = api_.find(key);
  const bool created = it == api_.end();
  ApiDestination d = created ? ApiDestination{} : it->second;
  if (created) {
    d.created = absl::FromUnixSeconds(absl::ToUnixSeconds(now_));
    d.uid = absl::StrCat("uid-", ++uids_);
  } else {
    ++d.generation;
  }
  // Mostly the shared GitRepoConfig in another namespace; now and then repo-b, by its
  // namespace or (in its own namespace) by name alone.
  d.repo_ref = kRepoKey;
  if (prng_.Chance(250)) {
    d.repo_ref =
        key.namespace_ == kRepoBKey.namespace_ ? core::ObjectKey{"", kRepoBKey.name} : kRepoBKey;
  }
  d.branch = branch;
  d.folder = folder;
  if (!Admitted(key, d)) {
    ++result_.admissions_refused;
    return;
  }
  api_[key] = d;
  api_targets_.erase(key);
  cluster_.BumpResourceVersion(key);
  destinations_ever_.insert(key);
  WatchDestination(key);
  // A user applies a new destination together with its rule.
  if (created && !rules_.contains(RuleKey(key))) PutRule(MakeRule(key, prng_.Below(3)));
}

void World::DeleteDestination(const core::ObjectKey& key) {
  api_.erase(key);
  api_targets_.erase(key);
  cluster_.ForgetResourceVersion(key);
  WatchDestination(key);
  // Its rule goes with it, or stays behind pointing at nothing.
  if (prng_.Chance(500) && rules_.contains(RuleKey(key))) DeleteRule(RuleKey(key));
}

void World::ToggleRule(const core::ObjectKey& destination) {
  const core::ObjectKey key = RuleKey(destination);
  if (!rules_.contains(key) || prng_.Chance(300)) {
    // Created, or respelled; now and then wrongly.
    PutRule(MakeRule(destination, prng_.Chance(100) ? 3 : prng_.Below(3)));
  } else {
    DeleteRule(key);
  }
}

void World::ToggleClusterRule(const core::ObjectKey& destination) {
  const core::ObjectKey key = ClusterRuleKey(destination);
  if (rules_.contains(key)) {
    DeleteRule(key);
  } else {
    PutRule(MakeClusterRule(destination));
  }
}

void World::PutRule(core::WatchRule rule) {
  ++result_.rule_changes;
  auto it = rules_.find(rule.key);
  // A creation is a new object (new uid, no status); an update keeps both.
  rule.uid = it == rules_.end() ? cluster_.NewOwnedUid() : it->second.uid;
  rule.generation = it == rules_.end() ? 1 : it->second.generation + 1;
  rule.resource_version = cluster_.BumpResourceVersion(RuleTarget(rule.key));
  const core::ObjectKey key = rule.key;
  rules_.insert_or_assign(key, std::move(rule));
  rules_ever_.insert(key);
  WatchRule(key);
}

void World::DeleteRule(const core::ObjectKey& key) {
  ++result_.rule_changes;
  rules_.erase(key);
  cluster_.ForgetResourceVersion(RuleTarget(key));
  WatchRule(key);
}

// A GitRepoConfig is deleted while destinations use it, created again, or changed: repo-b
// re-pointed to the other repository, or its allowed branches narrowed and widened.
void World::ChangeConfig() {
  const core::ObjectKey key = prng_.Chance(500) ? kRepoKey : kRepoBKey;
  auto it = configs_.find(key);
  if (it == configs_.end()) {
    const auto& urls = key == kRepoKey ? kUrlSpellings : kRepoBUrls;
    PutConfig(key, NewConfig(key, urls[prng_.Below(3)]));
    return;
  }
  if (prng_.Chance(333)) {
    ++result_.config_changes;
    configs_.erase(it);
    api_targets_.clear();
    cluster_.ForgetResourceVersion(ConfigTarget(key));
    WatchConfig(key);
    return;
  }
  ApiRepoConfig config = it->second;
  if (key == kRepoKey) {
    config.url = kUrlSpellings[prng_.Below(3)];
  } else if (prng_.Chance(500)) {
    config.url = prng_.Chance(200) ? kRepoBUrlWithCredentials : kRepoBUrls[prng_.Below(3)];
  } else if (config.allowed_branches.size() > 1) {
    config.allowed_branches = {"main"};
  } else {
    config.allowed_branches = {"main", "env/*"};
  }
  PutConfig(key, std::move(config));
}

void World::PutConfig(const core::ObjectKey& key, ApiRepoConfig config) {
  ++result_.config_changes;
  auto it = configs_.find(key);
  // A creation is a new object (new uid, no status); an update keeps both.
  config.uid = it == configs_.end() ? cluster_.NewOwnedUid() : it->second.uid;
  config.generation = it == configs_.end() ? 1 : it->second.generation + 1;
  config.resource_version = cluster_.BumpResourceVersion(ConfigTarget(key));
  configs_.insert_or_assign(key, std::move(config));
  api_targets_.clear();
  configs_ever_.insert(key);
  WatchConfig(key);
}

// A configmap of some namespace is created, updated or deleted (and created again later,
// with a new uid).
void World::ChangeObject() {
  const core::ResourceId id = Object(NamespaceName(static_cast<int>(prng_.Below(kNamespaces))),
                                     ObjectName(static_cast<int>(prng_.Below(options_.objects))));
  const std::string author = absl::StrCat("user-", prng_.Below(3));
  const bool exists = cluster_.FindObject(id) != nullptr;
  if (exists && prng_.Chance(150)) {
    core::CapturedObject gone = *cluster_.RemoveObject(id);
    gone_.insert_or_assign(id, gone);
    WatchObject(core::ObjectChanged{id, gone.uid, gone.resource_version, core::ChangeOp::kDelete,
                                    "", author});
    return;
  }
  const core::CapturedObject& stored =
      cluster_.SetObject(id, Content(id, ++content_version_[id]), author);
  gone_.erase(id);
  WatchObject(core::ObjectChanged{id, stored.uid, stored.resource_version,
                                  exists ? core::ChangeOp::kUpdate : core::ChangeOp::kCreate,
                                  stored.content, author});
}

// Other writers on the same branches: commits outside every destination's folder (which
// make the controller's pushes conflict), and now and then a deleted or force-pushed one.
void World::ExternalWrite() {
  const std::string url = kRepositories[prng_.Below(2)];
  const std::string branch = BranchName(static_cast<int>(prng_.Below(options_.branches)));
  if (static_cast<int>(prng_.Below(1440)) < mix_.race_storms_per_day) {
    race_url_ = url;
    race_branch_ = branch;
    race_until_ = now_ + prng_.Millis(120'000, 600'000);
  }
  if (static_cast<int>(prng_.Below(1440)) < mix_.branch_deletes_per_day) {
    remote_.DeleteBranch(url, branch);
  } else if (static_cast<int>(prng_.Below(1440)) < mix_.force_moves_per_day) {
    remote_.ForceMoveBack(url, branch);
  } else if (static_cast<int>(prng_.Below(60)) < mix_.external_commits_per_hour) {
    remote_.ExternalCommit(url, branch, "external/notes.txt", absl::StrCat("note ", prng_.Next()));
  }
  RecordTips();  // pushes and these are all that change a remote
}

}  // namespace gitdest::sim::internal
