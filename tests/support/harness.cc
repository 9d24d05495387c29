#include "tests/support/harness.h"

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/naming/repo_url.h"

namespace gitdest::testing {

core::ControllerOptions TestOptions() { return core::ControllerOptions{}; }

core::RepoConfig MakeRepoConfig(const std::string& name, const std::string& url,
                                std::vector<std::string> allowed) {
  core::RepoConfig config;
  config.key = {"team", name};
  config.spec.repo_url = url;
  config.spec.allowed_branches = std::move(allowed);
  return config;
}

core::Destination MakeDestination(const std::string& name, const std::string& branch,
                                  const std::string& folder, absl::Time created,
                                  const std::string& repo) {
  core::Destination d;
  d.key = {"team", name};
  d.creation_time = created;
  d.spec = {{"", repo}, branch, folder};
  return d;
}

core::ResourceId ConfigMap(const std::string& ns, const std::string& name) {
  return core::ResourceId{"", "v1", "configmaps", ns, name};
}

core::ResourceTypeInfo ConfigMapType() {
  return core::ResourceTypeInfo{{"", "v1", "configmaps"},
                                "ConfigMap",
                                /*namespaced=*/true,
                                /*preferred=*/true};
}

core::WatchRule CaptureConfigMaps(const std::string& destination) {
  core::WatchRule rule;
  rule.key = {"", "capture-" + destination};
  rule.destination_ref = {"team", destination};
  core::ResourceRule configmaps;
  configmaps.resources = {"configmaps"};
  configmaps.scope = core::kScopeNamespaced;
  rule.rules = {configmaps};
  return rule;
}

core::WatchRule CaptureConfigMapsIn(const std::string& ns, const std::string& destination) {
  core::WatchRule rule;
  rule.key = {ns, "capture-" + destination};
  rule.destination_ref = {"", destination};
  core::ResourceRule configmaps;
  configmaps.resources = {"configmaps"};
  rule.rules = {configmaps};
  return rule;
}

core::CapturedObject Listed(const core::ObjectChanged& change) {
  return core::CapturedObject{change.object, change.content, change.user, change.uid,
                              change.resource_version};
}

Harness::Harness(core::ControllerOptions options)
    : options_(options), controller_(std::make_unique<core::Controller>(options_)) {
  remote.CreateRepository(kRepoUrl);
  Feed(core::LeaseAcquired{});  // the only replica: it holds the lease from the start
  Feed(core::ResourceTypesDiscovered{{ConfigMapType()}});
}

core::ObjectChanged Harness::Changed(const core::ResourceId& object, core::ChangeOp op,
                                     const std::string& content, const std::string& user) {
  if (op != core::ChangeOp::kDelete) {
    const core::CapturedObject& stored = cluster.SetObject(object, content, user);
    return core::ObjectChanged{object, stored.uid, stored.resource_version, op, content, user};
  }
  std::optional<core::CapturedObject> gone = cluster.RemoveObject(object);
  // Deleting what never existed: a watch would report nothing; the tests that do it ask
  // for an event anyway, as of an object created and deleted between two relists.
  if (!gone) gone = core::CapturedObject{object, "", user, "never-listed", cluster.NextRevision()};
  return core::ObjectChanged{object, gone->uid, gone->resource_version, op, "", user};
}

void Harness::Absorb(const core::Input& input, core::Output out) {
  if (out.wake_at <= now_ && violation_.ok()) {
    violation_ = absl::InternalError("wake_at is not in the future");
  }
  if (absl::Status s = checker_.Step(now_, input, *controller_, out); !s.ok() && violation_.ok()) {
    violation_ = s;
  }
  wake_at_ = out.wake_at;
  for (core::Effect& effect : out.effects) {
    if (const auto* read = std::get_if<core::FetchMetadata>(&effect)) {
      reads_issued_.push_back(*read);
    }
    emitted_.push_back({now_, effect});
    if (const auto* requeue = std::get_if<core::RequeueAfter>(&effect)) {
      const auto& dests = controller_->destinations();
      if (auto it = dests.find(requeue->destination); it != dests.end()) {
        finished_.push_back({now_, requeue->destination, it->second.status});
      }
      continue;
    }
    if (const auto* watches = std::get_if<core::EnsureWatches>(&effect)) watched_ = watches->types;
    if (!core::EffectRunner::HasResult(effect)) {  // an event, or the adapter's watches
      runner_.Run(effect, [](core::Input) {});
      continue;
    }
    in_flight_.push_back(std::move(effect));
  }
}

void Harness::Feed(const core::Input& input) {
  RecordTips();
  Absorb(input, controller_->Handle(input, now_));
}

bool Harness::Tips::SeenBetween(const std::string& url, const std::string& branch,
                                const std::string& sha, absl::Time from, absl::Time to) const {
  if (core::RepoIdentity(url).value_or(url) != core::RepoIdentity(kRepoUrl).value_or("")) {
    return true;
  }
  return tips_->SeenBetween(branch, sha, from, to);
}

bool Harness::Tips::EverHad(const std::string& url, const std::string& sha) const {
  if (core::RepoIdentity(url).value_or(url) != core::RepoIdentity(kRepoUrl).value_or("")) {
    return true;
  }
  return tips_->EverHad(sha);
}

void Harness::RecordTips() { tips_.Record(remote, kRepoUrl, now_); }

bool Harness::TipSeenBetween(const std::string& branch, const std::string& sha, absl::Time from,
                             absl::Time to) const {
  return tips_.SeenBetween(branch, sha, from, to);
}

// A core that asks to be woken again and again without end (a timer that never
// settles) is a failure to report, not a loop to spin in.
constexpr int kMaxWakesPerAdvance = 1'000'000;

void Harness::Advance(absl::Duration d) {
  const absl::Time target = now_ + d;
  for (int wakes = 0; wake_at_ <= target; ++wakes) {
    if (wakes == kMaxWakesPerAdvance) {
      if (violation_.ok()) violation_ = absl::InternalError("the core never stops waking up");
      break;
    }
    now_ = wake_at_;
    Feed(core::TimerFired{});
  }
  now_ = target;
}

bool Harness::AdvanceSettling(absl::Duration d) {
  const absl::Time target = now_ + d;
  if (!Settle()) return false;
  for (int wakes = 0; wake_at_ <= target; ++wakes) {
    if (wakes == kMaxWakesPerAdvance) {
      if (violation_.ok()) violation_ = absl::InternalError("the core never stops waking up");
      return false;
    }
    now_ = wake_at_;
    Feed(core::TimerFired{});
    if (!Settle()) return false;
  }
  now_ = target;
  return true;
}

template <class E>
int Harness::Deliver(const std::function<void(core::Input&)>& edit) {
  std::deque<core::Effect> keep;
  std::vector<core::Input> results;
  while (!in_flight_.empty()) {
    core::Effect effect = std::move(in_flight_.front());
    in_flight_.pop_front();
    if (!std::holds_alternative<E>(effect)) {
      keep.push_back(std::move(effect));
      continue;
    }
    runner_.Run(effect, [&](core::Input result) { results.push_back(std::move(result)); });
  }
  in_flight_ = std::move(keep);
  RecordTips();
  for (core::Input& input : results) {
    if (edit) edit(input);
    Feed(input);
  }
  return static_cast<int>(results.size());
}

int Harness::DeliverReads() { return Deliver<core::FetchMetadata>(); }
int Harness::DeliverPushes() { return Deliver<core::PushBatch>(); }
int Harness::DeliverStatusWrites() { return Deliver<core::WriteStatus>(); }
int Harness::DeliverResyncs() { return Deliver<core::ResyncDestination>(); }

int Harness::DeliverResyncsListing(const std::vector<core::CapturedObject>& objects) {
  return Deliver<core::ResyncDestination>(
      [&](core::Input& input) { std::get<core::ObjectsListed>(input).objects = objects; });
}

bool Harness::Settle() {
  for (int rounds = 0; !in_flight_.empty(); ++rounds) {
    if (rounds == 1000) {
      if (violation_.ok()) violation_ = absl::InternalError("effects keep coming: no quiescence");
      return false;
    }
    DeliverReads();
    DeliverPushes();
    DeliverStatusWrites();
    DeliverResyncs();
  }
  return true;
}

void Harness::Restart() {
  in_flight_.clear();
  controller_ = std::make_unique<core::Controller>(options_, ++epoch_);
  watched_.clear();  // the adapter's informers die with the process
  Feed(core::ControllerRestarted{epoch_});
  Feed(core::ResourceTypesDiscovered{{ConfigMapType()}});
}

std::vector<Harness::Finished> Harness::TakeFinished() {
  std::vector<Finished> out = std::move(finished_);
  finished_.clear();
  return out;
}

std::vector<Harness::TimedEffect> Harness::TakeEffects() {
  std::vector<TimedEffect> out = std::move(emitted_);
  emitted_.clear();
  return out;
}

}  // namespace gitdest::testing
