// A simulated Kubernetes API for the core's ClusterApi port: the objects of watched types
// (each with its uid and resourceVersion), the resourceVersion and status subresource of
// every object the controller owns (GitDestinations, GitRepoConfigs, WatchRules and
// ClusterWatchRules) as last written (writes conditional on the version, as the API
// server's), the events recorded, and injectable write failures (409 conflicts, outages).
// Every resourceVersion comes from one revision counter, as etcd's.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "core/ports.h"

namespace gitdest::sim {

class SimCluster : public core::ClusterApi {
 public:
  SimCluster() = default;
  // status_slots_ points into statuses_: a copy would point into the original.
  SimCluster(const SimCluster&) = delete;
  SimCluster& operator=(const SimCluster&) = delete;

  // The next `count` status writes fail with `error`; only those to objects of `kind`,
  // if given.
  void FailNextStatusWrites(int count, absl::Status error,
                            std::optional<core::ResourceKind> kind = std::nullopt);
  // The next revision of the store: the resourceVersion of any object written now.
  std::string NextRevision() { return std::to_string(++revision_); }
  std::string Revision() const { return std::to_string(revision_); }  // the store's current
  // The uid of an object the controller owns (a GitRepoConfig or a rule) the world
  // creates: a new one each time, as metadata.uid.
  std::string NewOwnedUid() { return "owned-uid-" + std::to_string(++owned_uids_); }
  // The world changed an object the controller owns (created or updated it): its next
  // resourceVersion. Until an object has one, its status writes are unconditional (a
  // test that models no versions).
  std::string BumpResourceVersion(const core::StatusTarget& target);
  const std::string& ResourceVersion(const core::StatusTarget& target) const;
  // The object is gone, with its status (a GitDestination's is kept: see statuses()).
  void ForgetResourceVersion(const core::StatusTarget& target) {
    resource_versions_.erase(target);
    other_statuses_.erase(target);
  }
  // The same for a GitDestination.
  std::string BumpResourceVersion(const core::ObjectKey& destination) {
    return BumpResourceVersion(DestinationTarget(destination));
  }
  const std::string& ResourceVersion(const core::ObjectKey& destination) const {
    return ResourceVersion(DestinationTarget(destination));
  }
  void ForgetResourceVersion(const core::ObjectKey& destination) {
    ForgetResourceVersion(DestinationTarget(destination));
  }

  // The objects of the cluster. SetObject creates or replaces the object: a creation
  // gets a new uid, every write the next revision as its resourceVersion. Returns the
  // object as stored.
  const core::CapturedObject& SetObject(const core::ResourceId& resource, std::string content,
                                        std::string author);
  // Deletes the object; returns it with the deletion's revision as its resourceVersion
  // (what a watch's delete event carries), or nullopt if there was none.
  std::optional<core::CapturedObject> RemoveObject(const core::ResourceId& resource);
  const core::CapturedObject* FindObject(const core::ResourceId& resource) const;
  const std::map<core::ResourceId, core::CapturedObject>& objects() const { return objects_; }

  void ClearFaults() { write_faults_.clear(); }
  // GitDestinations' statuses.
  const std::map<core::ObjectKey, core::DestinationStatus>& statuses() const { return statuses_; }
  // The statuses of the other kinds (GitRepoConfigs, WatchRules, ClusterWatchRules).
  const std::map<core::StatusTarget, core::ResourceStatus>& other_statuses() const {
    return other_statuses_;
  }
  // One object's status of type S, or nullptr if none was written.
  template <class S>
  const S* StatusOf(const core::StatusTarget& target) const {
    auto it = other_statuses_.find(target);
    return it == other_statuses_.end() ? nullptr : std::get_if<S>(&it->second);
  }
  struct Event {
    core::ObjectKey object;
    std::string reason;
    std::string message;
  };
  const std::vector<Event>& events() const { return events_; }
  int64_t status_writes() const { return status_writes_; }
  int64_t lists() const { return lists_; }

  absl::StatusOr<std::string> WriteStatus(const core::StatusTarget& target,
                                          const std::string& resource_version,
                                          const core::ResourceStatus& status) override;
  absl::Status RecordEvent(const core::ObjectKey& object, const std::string& reason,
                           const std::string& message) override;
  // Every object of each selector's type in its namespace ("" = all), once each, in
  // ResourceId order.
  absl::StatusOr<std::vector<core::CapturedObject>> ListObjects(
      const std::vector<core::ListSelector>& selectors) override;

 private:
  struct KeyHash {
    size_t operator()(const core::ObjectKey& key) const {
      return absl::HashOf(key.namespace_, key.name);
    }
    size_t operator()(const core::StatusTarget& target) const {
      return absl::HashOf(static_cast<int>(target.kind), target.key.namespace_, target.key.name);
    }
  };
  static core::StatusTarget DestinationTarget(const core::ObjectKey& key) {
    return core::StatusTarget{core::ResourceKind::kGitDestination, key};
  }
  void Store(const core::StatusTarget& target, const core::ResourceStatus& status);

  // In key order for statuses(). A write (190k in a simulated day) finds its entry
  // through status_slots_ instead of walking the tree; std::map entries never move.
  std::map<core::ObjectKey, core::DestinationStatus> statuses_;
  absl::flat_hash_map<core::ObjectKey, core::DestinationStatus*, KeyHash> status_slots_;
  std::map<core::StatusTarget, core::ResourceStatus> other_statuses_;
  std::vector<Event> events_;
  absl::flat_hash_map<core::StatusTarget, std::string, KeyHash> resource_versions_;
  uint64_t revision_ = 0;
  // Ordered: a list returns them in key order, and one type's objects are adjacent.
  std::map<core::ResourceId, core::CapturedObject> objects_;
  uint64_t uids_ = 0;
  uint64_t owned_uids_ = 0;
  struct WriteFault {
    std::optional<core::ResourceKind> kind;
    absl::Status error;
  };
  std::deque<WriteFault> write_faults_;
  int64_t status_writes_ = 0;
  int64_t lists_ = 0;
};

}  // namespace gitdest::sim
