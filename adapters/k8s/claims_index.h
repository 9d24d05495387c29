// The admission webhook's view of the cluster: every GitDestination and GitRepoConfig
// the watches delivered, and the claims they make (core::ResolveClaim, exactly as the
// controller resolves them), keyed by (repository identity, branch) so that a review
// reads only the claims of its own branch. Thread-safe: watches write while any number
// of webhook requests read. Nothing here asks the API server.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/types.h"
#include "core/uniqueness.h"

namespace gitdest::k8s {

class ClaimsIndex {
 public:
  void UpsertDestination(const core::Destination& destination);
  void RemoveDestination(const core::ObjectKey& key);
  void UpsertRepoConfig(const core::RepoConfig& config);
  void RemoveRepoConfig(const core::ObjectKey& key);
  // Both watches delivered their first list: until then a review cannot be trusted.
  void MarkSynced(bool destinations, bool configs);
  bool synced() const;

  std::optional<core::RepoConfig> FindRepoConfig(const core::ObjectKey& key) const;
  // The claims on one (core::RepoIdentity, branch), ordered by destination.
  std::vector<core::Claim> ClaimsOn(const std::string& repository, const std::string& branch) const;
  size_t claims() const;  // how many destinations hold a claim (for logs and tests)

 private:
  using Slot = std::pair<std::string, std::string>;  // (repository, branch)
  void Unclaim(const core::ObjectKey& destination);  // callers hold mu_ exclusively
  void Reclaim(const core::ObjectKey& destination);  // callers hold mu_ exclusively

  mutable std::shared_mutex mu_;
  std::map<core::ObjectKey, core::Destination> destinations_;
  std::map<core::ObjectKey, core::RepoConfig> configs_;
  std::map<core::ObjectKey, std::set<core::ObjectKey>> users_;  // config -> destinations
  std::map<Slot, std::map<core::ObjectKey, core::Claim>> claims_;
  std::map<core::ObjectKey, Slot> slot_of_;  // destination -> where its claim is
  bool destinations_synced_ = false;
  bool configs_synced_ = false;
};

}  // namespace gitdest::k8s
