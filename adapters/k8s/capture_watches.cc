#include "adapters/k8s/capture_watches.h"

#include <algorithm>
#include <set>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/k8s/cluster_api.h"
#include "adapters/k8s/sanitize.h"

namespace gitdest::k8s {
namespace {

constexpr absl::Duration kMaxDiscoveryBackoff = absl::Seconds(30);

std::string ApiVersionOf(const core::GroupVersionResource& gvr) {
  return gvr.group.empty() ? gvr.version : absl::StrCat(gvr.group, "/", gvr.version);
}

std::string MetaString(const nlohmann::json& object, const char* field) {
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  const auto value = meta->find(field);
  return value != meta->end() && value->is_string() ? value->get<std::string>() : "";
}

// The change as the core takes it. A list's items carry no apiVersion or kind: both are
// set from the type, so that every file says what it is.
absl::StatusOr<core::ObjectChanged> Changed(const core::ResourceTypeInfo& type,
                                            const nlohmann::json& object, core::ChangeOp op) {
  core::ObjectChanged change;
  const core::GroupVersionResource& gvr = type.gvr;
  change.object = {gvr.group, gvr.version, gvr.resource, MetaString(object, "namespace"),
                   MetaString(object, "name")};
  if (change.object.name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("watch ", gvr.ToString(), ": an object without metadata.name"));
  }
  change.uid = MetaString(object, "uid");
  change.resource_version = MetaString(object, "resourceVersion");
  change.op = op;
  if (op != core::ChangeOp::kDelete) {
    nlohmann::json typed = object;
    typed["apiVersion"] = ApiVersionOf(gvr);
    if (!type.kind.empty()) typed["kind"] = type.kind;
    change.content = ToYaml(Sanitize(typed));
  }
  return change;
}

bool OfType(const core::Input& input, const core::GroupVersionResource& gvr) {
  if (const auto* changed = std::get_if<core::ObjectChanged>(&input)) {
    const core::ResourceId& id = changed->object;
    return id.group == gvr.group && id.version == gvr.version && id.resource == gvr.resource;
  }
  const auto* relisted = std::get_if<core::WatchRelisted>(&input);
  return relisted != nullptr && relisted->gvr == gvr;
}

}  // namespace

CaptureWatches::CaptureWatches(ApiClient& client, Inbox& inbox, Options options, Trouble trouble)
    : client_(&client),
      inbox_(&inbox),
      options_(std::move(options)),
      trouble_(std::move(trouble)),
      discovery_(client, options_.timeout) {}

CaptureWatches::~CaptureWatches() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& [gvr, watch] : watches_) {
    std::lock_guard gate(watch.gate->mu);
    watch.gate->open = false;
  }
  watches_.clear();  // joins each informer
  retired_.clear();
}

void CaptureWatches::Start(std::function<void()> discovered) {
  thread_ = std::thread([this, discovered = std::move(discovered)] { Run(discovered); });
}

void CaptureWatches::Run(std::function<void()> discovered) {
  absl::Duration backoff = absl::Seconds(1);
  while (!DiscoverOnce()) {
    if (!Sleep(backoff)) return;
    backoff = std::min(backoff * 2, kMaxDiscoveryBackoff);
  }
  if (discovered) discovered();
  while (Sleep(options_.rediscover_every)) DiscoverOnce();
}

bool CaptureWatches::DiscoverOnce() {
  absl::StatusOr<Discovery::Result> result = discovery_.Discover();
  if (!result.ok()) {
    if (trouble_) trouble_(result.status());
    return false;
  }
  for (const absl::Status& skipped : result->skipped) {
    if (trouble_) trouble_(skipped);
  }
  std::map<core::GroupVersionResource, core::ResourceTypeInfo> served;
  for (const core::ResourceTypeInfo& type : result->types) served.emplace(type.gvr, type);
  {
    std::lock_guard lock(mu_);
    served_ = std::move(served);
  }
  if (result->types != pushed_) {
    pushed_ = result->types;
    inbox_->Push(core::ResourceTypesDiscovered{std::move(result->types)});
  }
  return true;
}

bool CaptureWatches::Sleep(absl::Duration d) {
  const absl::Time deadline = absl::Now() + d;
  for (;;) {
    std::vector<std::unique_ptr<Informer>> reap;
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, absl::ToChronoTime(deadline),
                     [&] { return stop_ || !retired_.empty(); });
      if (stop_) return false;
      reap.swap(retired_);
    }
    reap.clear();  // each joins its thread, outside the lock
    if (absl::Now() >= deadline) return true;
  }
}

void CaptureWatches::Ensure(const std::vector<core::GroupVersionResource>& types) {
  const std::set<core::GroupVersionResource> wanted(types.begin(), types.end());
  for (auto it = watches_.begin(); it != watches_.end();) {
    if (wanted.contains(it->first)) {
      ++it;
      continue;
    }
    StopWatch(it->first, std::move(it->second));
    it = watches_.erase(it);
  }
  for (const core::GroupVersionResource& gvr : wanted) {
    if (watches_.contains(gvr)) continue;
    core::ResourceTypeInfo type{gvr, "", true, true};
    {
      std::lock_guard lock(mu_);
      if (auto served = served_.find(gvr); served != served_.end()) type = served->second;
    }
    if (!options_.namespace_.empty() && !type.namespaced) {
      if (trouble_) {
        trouble_(absl::FailedPreconditionError(
            absl::StrCat(gvr.ToString(), " is cluster-scoped: not watched, since --namespace=",
                         options_.namespace_, " limits gitdest to one namespace")));
      }
      continue;
    }
    watches_.emplace(gvr, StartWatch(type));
  }
}

CaptureWatches::Watch CaptureWatches::StartWatch(const core::ResourceTypeInfo& type) {
  Watch watch{std::make_shared<Watch::Gate>(), nullptr};
  const auto push = [gate = watch.gate, inbox = inbox_](core::Input input) {
    std::lock_guard lock(gate->mu);
    if (gate->open) inbox->Push(std::move(input));
  };
  const auto deliver = [push, type, trouble = trouble_](const nlohmann::json& object,
                                                        core::ChangeOp op) {
    absl::StatusOr<core::ObjectChanged> change = Changed(type, object, op);
    if (change.ok()) return push(*std::move(change));
    if (trouble) trouble(change.status());
  };
  Informer::Handlers handlers;
  handlers.added = [deliver](const nlohmann::json& o) { deliver(o, core::ChangeOp::kCreate); };
  handlers.upsert = [deliver](const nlohmann::json& o) { deliver(o, core::ChangeOp::kUpdate); };
  handlers.remove = [deliver](const nlohmann::json& o) { deliver(o, core::ChangeOp::kDelete); };
  handlers.listed = [push, gvr = type.gvr](const std::string& resource_version) {
    push(core::WatchRelisted{gvr, resource_version});
  };
  handlers.trouble = trouble_;
  const core::GroupVersionResource& gvr = type.gvr;
  watch.informer = std::make_unique<Informer>(
      *client_, TypeCollectionPath(gvr, type.namespaced ? options_.namespace_ : ""),
      std::move(handlers));
  watch.informer->Start();
  return watch;
}

void CaptureWatches::StopWatch(const core::GroupVersionResource& gvr, Watch watch) {
  {
    std::lock_guard lock(watch.gate->mu);
    watch.gate->open = false;  // from here on, it hands over nothing
  }
  // What it handed over before, and the core has not taken yet, is dropped too.
  inbox_->EraseIf([&](const core::Input& input) { return OfType(input, gvr); });
  {
    std::lock_guard lock(mu_);
    retired_.push_back(std::move(watch.informer));
  }
  cv_.notify_all();
}

size_t CaptureWatches::watched() const { return watches_.size(); }

}  // namespace gitdest::k8s
