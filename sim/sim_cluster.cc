#include "sim/sim_cluster.h"

#include <string>

namespace gitdest::sim {

void SimCluster::FailNextStatusWrites(int count, absl::Status error) {
  for (int i = 0; i < count; ++i) write_faults_.push_back(error);
}

std::string SimCluster::BumpResourceVersion(const core::ObjectKey& destination) {
  std::string version = std::to_string(++revision_);
  resource_versions_.insert_or_assign(destination, version);
  return version;
}

const std::string& SimCluster::ResourceVersion(const core::ObjectKey& destination) const {
  static const std::string kNone;
  auto it = resource_versions_.find(destination);
  return it == resource_versions_.end() ? kNone : it->second;
}

absl::StatusOr<std::string> SimCluster::WriteDestinationStatus(
    const core::ObjectKey& destination, const std::string& resource_version,
    const core::DestinationStatus& status) {
  ++status_writes_;
  if (!write_faults_.empty()) {
    absl::Status error = write_faults_.front();
    write_faults_.pop_front();
    return error;
  }
  auto version = resource_versions_.find(destination);
  if (version != resource_versions_.end() && resource_version != version->second) {
    // An empty version is an unconditional write in Kubernetes; the core never sends one
    // for an object it observed with a version.
    if (!resource_version.empty()) {
      return absl::AbortedError(
          "409 Conflict: the object has been modified; please apply your changes to the "
          "latest version and try again");
    }
  }
  auto [slot, inserted] = status_slots_.try_emplace(destination, nullptr);
  if (inserted) slot->second = &statuses_[destination];
  *slot->second = status;  // assigned in place: the strings keep their buffers
  if (version == resource_versions_.end()) return std::string();
  version->second = std::to_string(++revision_);
  return version->second;
}

absl::Status SimCluster::RecordEvent(const core::ObjectKey& object, const std::string& reason,
                                     const std::string& message) {
  events_.push_back(Event{object, reason, message});
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
