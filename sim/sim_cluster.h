// A simulated Kubernetes API for the core's ClusterApi port: each GitDestination's
// resourceVersion and status subresource as last written (writes conditional on the
// version, as the API server's), the events recorded, and injectable write failures
// (409 conflicts, outages).
#pragma once

#include <deque>
#include <map>
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
  // The world changed the destination (created or updated it): its next resourceVersion,
  // from one counter for every object as etcd's revision. Until a destination has one,
  // its status writes are unconditional (a test that models no versions).
  std::string BumpResourceVersion(const core::ObjectKey& destination);
  const std::string& ResourceVersion(const core::ObjectKey& destination) const;
  void ForgetResourceVersion(const core::ObjectKey& destination) {
    resource_versions_.erase(destination);
  }
  // The objects each destination captures, as the cluster holds them.
  void SetObject(const core::ObjectKey& destination, const core::CapturedObject& object);
  void RemoveObject(const core::ObjectKey& destination, const core::ResourceId& resource);
  void ClearFaults() { write_faults_.clear(); }
  const std::map<core::ObjectKey, core::DestinationStatus>& statuses() const { return statuses_; }
  struct Event {
    core::ObjectKey object;
    std::string reason;
    std::string message;
  };
  const std::vector<Event>& events() const { return events_; }
  int64_t status_writes() const { return status_writes_; }

  absl::StatusOr<std::string> WriteDestinationStatus(
      const core::ObjectKey& destination, const std::string& resource_version,
      const core::DestinationStatus& status) override;
  absl::Status RecordEvent(const core::ObjectKey& object, const std::string& reason,
                           const std::string& message) override;
  absl::StatusOr<std::vector<core::CapturedObject>> ListCapturedObjects(
      const core::ObjectKey& destination) override;

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
  // Only looked up, never iterated, so hash order cannot reach a trace.
  absl::flat_hash_map<core::ObjectKey, std::map<core::ResourceId, core::CapturedObject>, KeyHash>
      objects_;
  std::deque<absl::Status> write_faults_;
  int64_t status_writes_ = 0;
};

}  // namespace gitdest::sim
