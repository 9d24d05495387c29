#include "adapters/k8s/resource_watches.h"

#include "absl/strings/str_cat.h"
#include "adapters/k8s/resources.h"

namespace gitdest::k8s {
namespace {

// The Input an object of `kind` observed becomes, or why it cannot be taken.
absl::StatusOr<core::Input> Observed(core::ResourceKind kind, const nlohmann::json& object) {
  switch (kind) {
    case core::ResourceKind::kGitRepoConfig: {
      auto config = RepoConfigFromJson(object);
      if (!config.ok()) return config.status();
      return core::Input(core::RepoConfigObserved{*std::move(config)});
    }
    case core::ResourceKind::kGitDestination: {
      auto destination = DestinationFromJson(object);
      if (!destination.ok()) return destination.status();
      return core::Input(core::DestinationObserved{*std::move(destination)});
    }
    case core::ResourceKind::kWatchRule:
    case core::ResourceKind::kClusterWatchRule: {
      auto rule = WatchRuleFromJson(object);
      if (!rule.ok()) return rule.status();
      return core::Input(core::WatchRuleObserved{*std::move(rule)});
    }
  }
  return absl::InternalError("unknown kind");
}

core::Input Deleted(core::ResourceKind kind, core::ObjectKey key) {
  switch (kind) {
    case core::ResourceKind::kGitRepoConfig:
      return core::RepoConfigDeleted{std::move(key)};
    case core::ResourceKind::kGitDestination:
      return core::DestinationDeleted{std::move(key)};
    case core::ResourceKind::kWatchRule:
    case core::ResourceKind::kClusterWatchRule:
      break;
  }
  return core::WatchRuleDeleted{std::move(key)};
}

}  // namespace

ResourceWatches::ResourceWatches(ApiClient& client, Inbox& inbox, std::string scope,
                                 std::function<void(const absl::Status&)> trouble)
    : client_(&client), inbox_(&inbox), namespace_(std::move(scope)), trouble_(std::move(trouble)) {
  Add(core::ResourceKind::kGitRepoConfig);
  Add(core::ResourceKind::kGitDestination);
  Add(core::ResourceKind::kWatchRule);
  if (namespace_.empty()) Add(core::ResourceKind::kClusterWatchRule);
}

ResourceWatches::~ResourceWatches() { informers_.clear(); }

void ResourceWatches::Add(core::ResourceKind kind) {
  const std::string path = CollectionPath(kind, namespace_);
  Informer::Handlers handlers;
  handlers.upsert = [this, kind, path](const nlohmann::json& object) {
    auto input = Observed(kind, object);
    if (!input.ok()) {
      if (trouble_)
        trouble_(absl::Status(input.status().code(),
                              absl::StrCat(path, ": ", input.status().message())));
      return;
    }
    inbox_->Push(*std::move(input));
  };
  handlers.remove = [this, kind](const nlohmann::json& object) {
    auto key = KeyOf(object);
    if (key.ok()) inbox_->Push(Deleted(kind, *std::move(key)));
  };
  handlers.synced = [this] { OneSynced(); };
  handlers.trouble = trouble_;
  unsynced_.fetch_add(1);
  informers_.push_back(std::make_unique<Informer>(*client_, path, std::move(handlers)));
}

void ResourceWatches::OneSynced() {
  if (unsynced_.fetch_sub(1) == 1) inbox_->Push(core::CacheSynced{});
}

void ResourceWatches::Start() {
  for (auto& informer : informers_) informer->Start();
}

bool ResourceWatches::synced() const { return unsynced_.load() == 0; }

}  // namespace gitdest::k8s
