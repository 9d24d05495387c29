#include "adapters/k8s/claims_index.h"

#include <mutex>

#include "core/admission.h"

namespace gitdest::k8s {

void ClaimsIndex::UpsertDestination(const core::Destination& destination) {
  std::unique_lock lock(mu_);
  if (auto old = destinations_.find(destination.key); old != destinations_.end()) {
    users_[old->second.spec.repo_ref].erase(destination.key);
  }
  destinations_.insert_or_assign(destination.key, destination);
  users_[destination.spec.repo_ref].insert(destination.key);
  Reclaim(destination.key);
}

void ClaimsIndex::RemoveDestination(const core::ObjectKey& key) {
  std::unique_lock lock(mu_);
  auto it = destinations_.find(key);
  if (it == destinations_.end()) return;
  users_[it->second.spec.repo_ref].erase(key);
  Unclaim(key);
  destinations_.erase(it);
}

void ClaimsIndex::UpsertRepoConfig(const core::RepoConfig& config) {
  std::unique_lock lock(mu_);
  configs_.insert_or_assign(config.key, config);
  for (const core::ObjectKey& user : users_[config.key]) Reclaim(user);
}

void ClaimsIndex::RemoveRepoConfig(const core::ObjectKey& key) {
  std::unique_lock lock(mu_);
  configs_.erase(key);
  for (const core::ObjectKey& user : users_[key]) Reclaim(user);
}

void ClaimsIndex::MarkSynced(bool destinations, bool configs) {
  std::unique_lock lock(mu_);
  destinations_synced_ = destinations_synced_ || destinations;
  configs_synced_ = configs_synced_ || configs;
}

bool ClaimsIndex::synced() const {
  std::shared_lock lock(mu_);
  return destinations_synced_ && configs_synced_;
}

std::optional<core::RepoConfig> ClaimsIndex::FindRepoConfig(const core::ObjectKey& key) const {
  std::shared_lock lock(mu_);
  auto it = configs_.find(key);
  if (it == configs_.end()) return std::nullopt;
  return it->second;
}

std::vector<core::Claim> ClaimsIndex::ClaimsOn(const std::string& repository,
                                               const std::string& branch) const {
  std::shared_lock lock(mu_);
  std::vector<core::Claim> out;
  auto it = claims_.find(Slot{repository, branch});
  if (it == claims_.end()) return out;
  out.reserve(it->second.size());
  for (const auto& [key, claim] : it->second) out.push_back(claim);
  return out;
}

size_t ClaimsIndex::claims() const {
  std::shared_lock lock(mu_);
  return slot_of_.size();
}

void ClaimsIndex::Unclaim(const core::ObjectKey& destination) {
  auto slot = slot_of_.find(destination);
  if (slot == slot_of_.end()) return;
  auto group = claims_.find(slot->second);
  group->second.erase(destination);
  if (group->second.empty()) claims_.erase(group);
  slot_of_.erase(slot);
}

void ClaimsIndex::Reclaim(const core::ObjectKey& destination) {
  Unclaim(destination);
  const core::Destination& d = destinations_.at(destination);
  auto config = configs_.find(d.spec.repo_ref);
  if (config == configs_.end()) return;
  // A destination the controller cannot resolve (bad field, branch not allowed) claims
  // nothing there either.
  absl::StatusOr<core::Claim> claim = core::ResolveClaim(d, &config->second);
  if (!claim.ok()) return;
  Slot slot{claim->target.repository, claim->target.branch};
  claims_[slot].insert_or_assign(destination, *std::move(claim));
  slot_of_.emplace(destination, std::move(slot));
}

}  // namespace gitdest::k8s
