// A simulated Kubernetes API for the core's ClusterApi port: the objects of watched types
// (each with its uid and resourceVersion), each GitDestination's resourceVersion and
// status subresource as last written (writes conditional on the version, as the API
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

  void FailNextStatusWrites(int count, absl::Status error);
  // The next revision of the store: the resourceVersion of any object written now.
  std::string NextRevision() { return std::to_string(++revision_); }
  // The world changed the destination (created or updated it): its next resourceVersion.
  // Until a destination has one, its status writes are unconditional (a test that models
  // no versions).
  std::string BumpResourceVersion(const core::ObjectKey& destination);
  const std::string& ResourceVersion(const core::ObjectKey& destination) const;
  void ForgetResourceVersion(const core::ObjectKey& destination) {
    resource_versions_.erase(destination);
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
  const std::map<core::ObjectKey, core::DestinationStatus>& statuses() const { return statuses_; }
  struct Event {
    core::ObjectKey object;
    std::string reason;
    std::string message;
  };
  const std::vector<Event>& events() const { return events_; }
  int64_t status_writes() const { return status_writes_; }
  int64_t lists() const { return lists_; }

  absl::StatusOr<std::string> WriteDestinationStatus(
      const core::ObjectKey& destination, const std::string& resource_version,
      const core::DestinationStatus& status) override;
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
  };

  // In key order for statuses(). A write (190k in a simulated day) finds its entry
  // through status_slots_ instead of walking the tree; std::map entries never move.
  std::map<core::ObjectKey, core::DestinationStatus> statuses_;
  absl::flat_hash_map<core::ObjectKey, core::DestinationStatus*, KeyHash> status_slots_;
  std::vector<Event> events_;
  absl::flat_hash_map<core::ObjectKey, std::string, KeyHash> resource_versions_;
  uint64_t revision_ = 0;
  // Ordered: a list returns them in key order, and one type's objects are adjacent.
  std::map<core::ResourceId, core::CapturedObject> objects_;
  uint64_t uids_ = 0;
  std::deque<absl::Status> write_faults_;
  int64_t status_writes_ = 0;
  int64_t lists_ = 0;
};

}  // namespace gitdest::sim
