#include "sim/sim_cluster.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace gitdest::sim {

void SimCluster::FailNextStatusWrites(int count, absl::Status error,
                                      std::optional<core::ResourceKind> kind) {
  for (int i = 0; i < count; ++i) write_faults_.push_back(WriteFault{kind, error});
}

std::string SimCluster::BumpResourceVersion(const core::StatusTarget& target) {
  std::string version = NextRevision();
  resource_versions_.insert_or_assign(target, version);
  return version;
}

const std::string& SimCluster::ResourceVersion(const core::StatusTarget& target) const {
  static const std::string kNone;
  auto it = resource_versions_.find(target);
  return it == resource_versions_.end() ? kNone : it->second;
}

absl::StatusOr<std::string> SimCluster::WriteStatus(const core::StatusTarget& target,
                                                    const std::string& resource_version,
                                                    const core::ResourceStatus& status) {
  ++status_writes_;
  if (!core::StatusFitsKind(target.kind, status)) {
    return absl::InvalidArgumentError(
        absl::StrCat("422: a status of another kind written to ", target.ToString()));
  }
  auto fault = std::find_if(write_faults_.begin(), write_faults_.end(),
                            [&](const auto& f) { return !f.kind || *f.kind == target.kind; });
  if (fault != write_faults_.end()) {
    absl::Status error = fault->error;
    write_faults_.erase(fault);
    return error;
  }
  auto version = resource_versions_.find(target);
  if (version != resource_versions_.end() && resource_version != version->second) {
    // An empty version is an unconditional write in Kubernetes; the core never sends one
    // for an object it observed with a version.
    if (!resource_version.empty()) {
      return absl::AbortedError(
          "409 Conflict: the object has been modified; please apply your changes to the "
          "latest version and try again");
    }
  }
  Store(target, status);
  if (version == resource_versions_.end()) return std::string();
  version->second = NextRevision();
  return version->second;
}

void SimCluster::Store(const core::StatusTarget& target, const core::ResourceStatus& status) {
  if (target.kind != core::ResourceKind::kGitDestination) {
    other_statuses_.insert_or_assign(target, status);
    return;
  }
  auto [slot, inserted] = status_slots_.try_emplace(target.key, nullptr);
  if (inserted) slot->second = &statuses_[target.key];
  *slot->second = std::get<core::DestinationStatus>(status);  // assigned in place
}

absl::Status SimCluster::RecordEvent(const core::ObjectKey& object, const std::string& reason,
                                     const std::string& message) {
  events_.push_back(Event{object, reason, message});
  return absl::OkStatus();
}

const core::CapturedObject& SimCluster::SetObject(const core::ResourceId& resource,
                                                  std::string content, std::string author) {
  auto [it, created] = objects_.try_emplace(resource);
  core::CapturedObject& object = it->second;
  if (created) {
    object.resource = resource;
    object.uid = absl::StrCat("object-uid-", ++uids_);
  }
  object.content = std::move(content);
  object.author = std::move(author);
  object.resource_version = NextRevision();
  return object;
}

std::optional<core::CapturedObject> SimCluster::RemoveObject(const core::ResourceId& resource) {
  auto it = objects_.find(resource);
  if (it == objects_.end()) return std::nullopt;
  core::CapturedObject gone = std::move(it->second);
  objects_.erase(it);
  gone.content.clear();
  gone.resource_version = NextRevision();
  return gone;
}

const core::CapturedObject* SimCluster::FindObject(const core::ResourceId& resource) const {
  auto it = objects_.find(resource);
  return it == objects_.end() ? nullptr : &it->second;
}

absl::StatusOr<std::vector<core::CapturedObject>> SimCluster::ListObjects(
    const std::vector<core::ListSelector>& selectors) {
  ++lists_;
  std::vector<const core::CapturedObject*> found;
  for (const core::ListSelector& selector : selectors) {
    const core::GroupVersionResource& gvr = selector.gvr;
    // One type's objects are adjacent, and within it one namespace's.
    auto it = objects_.lower_bound(
        core::ResourceId{gvr.group, gvr.version, gvr.resource, selector.namespace_, ""});
    for (; it != objects_.end(); ++it) {
      const core::ResourceId& id = it->first;
      if (id.group != gvr.group || id.version != gvr.version || id.resource != gvr.resource) break;
      if (!selector.namespace_.empty() && id.namespace_ != selector.namespace_) break;
      found.push_back(&it->second);
    }
  }
  // Selectors may overlap (one namespace and all of them): each object once.
  auto by_id = [](const core::CapturedObject* a, const core::CapturedObject* b) {
    return a->resource < b->resource;
  };
  std::sort(found.begin(), found.end(), by_id);
  found.erase(std::unique(found.begin(), found.end()), found.end());
  std::vector<core::CapturedObject> out;
  out.reserve(found.size());
  for (const core::CapturedObject* object : found) out.push_back(*object);
  return out;
}

}  // namespace gitdest::sim
