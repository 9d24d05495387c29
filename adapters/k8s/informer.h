// List + watch of one collection, as client-go's reflector: a paginated list, then a
// watch from the list's resourceVersion with bookmarks; a watch that ends is resumed
// from the last resourceVersion seen; 410 Gone (that version is compacted away) lists
// again, and objects that vanished between the two lists are reported deleted. Errors
// back off exponentially (with jitter) up to 30 s. Objects are handed over as the API
// sent them, less metadata.managedFields; the caller translates. A list is handed over
// page by page, and only each object's key and resourceVersion are kept.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adapters/k8s/api_client.h"
#include "nlohmann/json.hpp"

namespace gitdest::k8s {

class Informer {
 public:
  struct Handlers {
    std::function<void(const nlohmann::json& object)> upsert{};  // added or modified
    // Optional: an object the informer did not hold (created, or first seen by a relist)
    // goes here instead of `upsert`.
    std::function<void(const nlohmann::json& object)> added{};
    std::function<void(const nlohmann::json& object)> remove{};  // deleted: its last state
    std::function<void()> synced{};                              // first list delivered; once
    // Optional: after every list (the first, and each relist), once its objects and the
    // deletes of those it lacks were delivered: the list's resourceVersion.
    std::function<void(const std::string& resource_version)> listed{};
    std::function<void(const absl::Status& problem)> trouble{};  // for logs; may be empty
  };
  struct Options {
    int page_size = 500;
    absl::Duration max_backoff = absl::Seconds(30);
    absl::Duration request_timeout = absl::Seconds(60);
  };

  // `collection` is a path such as "/apis/gitdest.dev/v1alpha1/gitdestinations".
  Informer(ApiClient& client, std::string collection, Handlers handlers, Options options);
  Informer(ApiClient& client, std::string collection, Handlers handlers)
      : Informer(client, std::move(collection), std::move(handlers), Options{}) {}
  ~Informer();  // stops and joins; no handler runs after it returns

  void Start();
  bool synced() const { return synced_.load(); }
  // Lists performed so far (the first, and one per 410 or failed watch start).
  int64_t lists() const { return lists_.load(); }

 private:
  void Run();
  absl::Status List();
  // One page of the list from `cont` ("" = the first): a JSON object with an `items` array.
  absl::StatusOr<nlohmann::json> ListPage(const std::string& cont);
  // Reports deleted what `known_` has and the list that ended did not.
  void ReportVanished(const std::set<std::string>& listed);
  // Watches from resource_version_ until the stream ends; OutOfRange on 410 Gone.
  absl::Status WatchOnce();
  absl::Status HandleEvent(const nlohmann::json& event);
  bool SleepUnlessStopped(absl::Duration d);
  // Records the object's version and hands it to `added` (if it is new and set) or `upsert`.
  void Deliver(std::string key, const nlohmann::json& object);

  ApiClient* client_;
  std::string collection_;
  Handlers handlers_;
  Options options_;
  std::thread thread_;
  std::atomic<bool> synced_{false};
  std::atomic<int64_t> lists_{0};
  std::string resource_version_;
  std::map<std::string, std::string> known_;  // namespace/name -> resourceVersion

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::deque<std::string> lines_;  // watch events handed over by the client's thread
  bool stream_ended_ = false;
  absl::Status stream_status_;
};

}  // namespace gitdest::k8s
