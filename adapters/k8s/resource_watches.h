// The watches of gitdest's own resources (GitRepoConfig, GitDestination, WatchRule,
// ClusterWatchRule), translated into the core's Inputs: an object observed or deleted,
// and CacheSynced once every first list is in. The core decides everything else.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/k8s/api_client.h"
#include "adapters/k8s/inbox.h"
#include "adapters/k8s/informer.h"

namespace gitdest::k8s {

class ResourceWatches {
 public:
  // `scope` "" = every namespace; otherwise only that one (and cluster rules are
  // not watched). `trouble` is told what could not be read or taken, for the log.
  ResourceWatches(ApiClient& client, Inbox& inbox, std::string scope,
                  std::function<void(const absl::Status&)> trouble);
  ~ResourceWatches();
  void Start();
  bool synced() const;

 private:
  void Add(core::ResourceKind kind);
  void OneSynced();

  ApiClient* client_;
  Inbox* inbox_;
  std::string namespace_;
  std::function<void(const absl::Status&)> trouble_;
  std::vector<std::unique_ptr<Informer>> informers_;
  std::atomic<int> unsynced_{0};
};

}  // namespace gitdest::k8s
