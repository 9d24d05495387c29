#include "sim/sim_cluster.h"

namespace gitdest::sim {

void SimCluster::FailNextStatusWrites(int count, absl::Status error) {
  for (int i = 0; i < count; ++i) write_faults_.push_back(error);
}

absl::Status SimCluster::WriteDestinationStatus(const core::ObjectKey& destination,
                                                const core::DestinationStatus& status) {
  ++status_writes_;
  if (!write_faults_.empty()) {
    absl::Status error = write_faults_.front();
    write_faults_.pop_front();
    return error;
  }
  auto [slot, inserted] = status_slots_.try_emplace(destination, nullptr);
  if (inserted) slot->second = &statuses_[destination];
  *slot->second = status;  // assigned in place: the strings keep their buffers
  return absl::OkStatus();
}

absl::Status SimCluster::RecordEvent(const core::RecordEvent& event) {
  events_.push_back(event);
  return absl::OkStatus();
}

void SimCluster::SetObject(const core::ObjectKey& destination, const core::CapturedObject& object) {
  objects_[destination].insert_or_assign(object.resource, object);
}

void SimCluster::RemoveObject(const core::ObjectKey& destination,
                              const core::ResourceId& resource) {
  auto it = objects_.find(destination);
  if (it != objects_.end()) it->second.erase(resource);
}

absl::StatusOr<std::vector<core::CapturedObject>> SimCluster::ListCapturedObjects(
    const core::ObjectKey& destination) {
  std::vector<core::CapturedObject> out;
  auto it = objects_.find(destination);
  if (it == objects_.end()) return out;
  for (const auto& [resource, object] : it->second) out.push_back(object);
  return out;
}

}  // namespace gitdest::sim
