// The core's ClusterApi port on a real API server: conditional status writes, Events,
// and the lists a resync asks for.
#pragma once

#include <string>
#include <vector>

#include "adapters/k8s/api_client.h"
#include "core/ports.h"

namespace gitdest::k8s {

class KubeClusterApi final : public core::ClusterApi {
 public:
  struct Options {
    absl::Duration timeout = absl::Seconds(30);
    std::string component = "gitdest-controller";  // an Event's reportingController
    std::string instance{};                        // an Event's reportingInstance (the pod)
  };
  // `client` must outlive this.
  KubeClusterApi(ApiClient& client, Options options) : client_(&client), options_(options) {}

  // PUT of the status subresource with metadata.resourceVersion set: the API server
  // refuses it (409 → Aborted) when the object changed since.
  absl::StatusOr<std::string> WriteStatus(const core::StatusTarget& target,
                                          const std::string& resource_version,
                                          const core::ResourceStatus& status) override;
  // An events.k8s.io/v1 Event (Warning) on the GitDestination `object`.
  absl::Status RecordEvent(const core::ObjectKey& object, const std::string& reason,
                           const std::string& message) override;
  // An Event on any object the controller owns; `warning` false = Normal.
  absl::Status RecordEventOn(const core::StatusTarget& target, bool warning,
                             const std::string& reason, const std::string& message);
  absl::StatusOr<std::vector<core::CapturedObject>> ListObjects(
      const std::vector<core::ListSelector>& selectors) override;

 private:
  ApiClient* client_;
  Options options_;
};

// The API path of a resource type's collection in `namespace_` ("" = all namespaces,
// or a cluster-scoped type): "/api/v1/namespaces/ns/configmaps", "/apis/apps/v1/...".
std::string TypeCollectionPath(const core::GroupVersionResource& gvr,
                               const std::string& namespace_);

}  // namespace gitdest::k8s
