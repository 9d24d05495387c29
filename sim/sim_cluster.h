// A simulated Kubernetes API for the core's ClusterApi port: the status subresource
// of each GitDestination as last written, the events recorded, and injectable
// write failures (409 conflicts, outages).
#pragma once

#include <deque>
#include <map>
#include <vector>

#include "core/ports.h"

namespace gitdest::sim {

class SimCluster : public core::ClusterApi {
 public:
  void FailNextStatusWrites(int count, absl::Status error);
  // The objects each destination captures, as the cluster holds them.
  void SetObject(const core::ObjectKey& destination, const core::CapturedObject& object);
  void RemoveObject(const core::ObjectKey& destination, const core::ResourceId& resource);
  void ClearFaults() { write_faults_.clear(); }
  const std::map<core::ObjectKey, core::DestinationStatus>& statuses() const { return statuses_; }
  const std::vector<core::RecordEvent>& events() const { return events_; }
  int64_t status_writes() const { return status_writes_; }

  absl::Status WriteDestinationStatus(const core::ObjectKey& destination,
                                      const core::DestinationStatus& status) override;
  absl::Status RecordEvent(const core::RecordEvent& event) override;
  absl::StatusOr<std::vector<core::CapturedObject>> ListCapturedObjects(
      const core::ObjectKey& destination) override;

 private:
  std::map<core::ObjectKey, core::DestinationStatus> statuses_;
  std::vector<core::RecordEvent> events_;
  std::map<core::ObjectKey, std::map<core::ResourceId, core::CapturedObject>> objects_;
  std::deque<absl::Status> write_faults_;
  int64_t status_writes_ = 0;
};

}  // namespace gitdest::sim
