// The watches of what WatchRules capture. Discovery tells the core which types the API
// serves (ResourceTypesDiscovered, at start and whenever a later discovery differs: a CRD
// installed later is captured once it is served); the core answers which of them to watch
// (EnsureWatches); each watched type gets an informer whose events become ObjectChanged
// (sanitized YAML) and whose lists become WatchRelisted. The adapter routes nothing: the
// core decides which destinations capture a change.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adapters/k8s/api_client.h"
#include "adapters/k8s/discovery.h"
#include "adapters/k8s/inbox.h"
#include "adapters/k8s/informer.h"
#include "core/watch_rules.h"

namespace gitdest::k8s {

class CaptureWatches {
 public:
  struct Options {
    std::string namespace_{};  // "" = every namespace; otherwise only that one
    absl::Duration rediscover_every = absl::Minutes(5);
    absl::Duration timeout = absl::Seconds(30);  // of each discovery request
  };
  using Trouble = std::function<void(const absl::Status&)>;

  CaptureWatches(ApiClient& client, Inbox& inbox, Options options, Trouble trouble);
  ~CaptureWatches();  // stops discovery and every informer

  // Discovers in the background, retrying until it succeeds; `discovered` runs once, after
  // the first ResourceTypesDiscovered is in the inbox (so that nothing the core decides
  // precedes it: start the watches that lead to CacheSynced there).
  void Start(std::function<void()> discovered);
  // The core's EnsureWatches: an informer for each type named and not yet watched; those
  // no longer named stop, and none of their events reaches the core after this returns
  // (those still queued are dropped). Never blocks on the network. Core thread only.
  void Ensure(const std::vector<core::GroupVersionResource>& types);
  // The types watched now. Core thread only.
  size_t watched() const;

 private:
  // One watched type: its informer, and the gate its events pass to reach the inbox.
  struct Watch {
    struct Gate {
      std::mutex mu;
      bool open = true;
    };
    std::shared_ptr<Gate> gate;
    std::unique_ptr<Informer> informer;
  };

  void Run(std::function<void()> discovered);
  // Pushes the types if they differ from those pushed last; false if discovery failed.
  bool DiscoverOnce();
  Watch StartWatch(const core::ResourceTypeInfo& type);
  void StopWatch(const core::GroupVersionResource& gvr, Watch watch);
  // Waits until `d` passes, Stop, or a stopped informer awaits its end; false on Stop.
  bool Sleep(absl::Duration d);
  void ReapRetired();

  ApiClient* client_;
  Inbox* inbox_;
  Options options_;
  Trouble trouble_;
  Discovery discovery_;  // the background thread's

  std::map<core::GroupVersionResource, Watch> watches_;  // core thread only

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::map<core::GroupVersionResource, core::ResourceTypeInfo> served_;  // as last discovered
  std::vector<core::ResourceTypeInfo> pushed_;                           // as last pushed
  // Stopped informers: destroyed on the background thread, since a stopping informer
  // may be inside a list call for a while, and the core's thread must not wait for it.
  std::vector<std::unique_ptr<Informer>> retired_;
  std::thread thread_;
};

}  // namespace gitdest::k8s
