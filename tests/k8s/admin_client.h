// The cluster administrator's client of the API server that tests/k8s/with-cluster.sh
// started for a test program.
#pragma once

#include <cstdlib>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "adapters/k8s/api_client.h"
#include "adapters/k8s/kube_config.h"

namespace gitdest::k8s {

inline absl::StatusOr<std::unique_ptr<ApiClient>> AdminClient() {
  const char* path = std::getenv("GITDEST_ADMIN_KUBECONFIG");
  if (path == nullptr) {
    return absl::FailedPreconditionError(
        "no GITDEST_ADMIN_KUBECONFIG: run under tests/k8s/with-cluster.sh");
  }
  absl::StatusOr<KubeConfig> config = LoadKubeconfig(path, "");
  if (!config.ok()) return config.status();
  return ApiClient::Create(*config, {.qps = 200, .burst = 200});
}

}  // namespace gitdest::k8s
