// API discovery: the resource types the API server serves, as the core takes them
// (ResourceTypesDiscovered). Like client-go's ServerPreferredResources, except that every
// served version is kept and marked preferred or not, since a rule may name a version.
// Only types that can be listed and watched, and no subresources (`pods/status`).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adapters/k8s/api_client.h"
#include "core/watch_rules.h"
#include "nlohmann/json.hpp"

namespace gitdest::k8s {

// The types of one APIResourceList (the body of GET /api/v1 or /apis/<group>/<version>).
// Malformed entries are skipped.
std::vector<core::ResourceTypeInfo> ParseResourceList(const nlohmann::json& list,
                                                      const std::string& group,
                                                      const std::string& version, bool preferred);

class Discovery {
 public:
  struct Result {
    std::vector<core::ResourceTypeInfo> types;  // sorted by group, version, resource
    // Group versions that could not be read (an aggregated API that is down). One read
    // before keeps the types it served then, so that a moment's outage unwatches nothing.
    std::vector<absl::Status> skipped;
  };

  Discovery(ApiClient& client, absl::Duration timeout) : client_(&client), timeout_(timeout) {}

  // Fails only when the list of groups (/api, /apis) cannot be read. Not thread-safe.
  absl::StatusOr<Result> Discover();

 private:
  absl::StatusOr<nlohmann::json> Get(const std::string& path);
  // The types of one group version, or those it served at its last read.
  void AddGroupVersion(const std::string& group, const std::string& version, bool preferred,
                       Result& result);

  ApiClient* client_;
  absl::Duration timeout_;
  std::map<std::string, std::vector<core::ResourceTypeInfo>> last_;  // by API path
};

}  // namespace gitdest::k8s
