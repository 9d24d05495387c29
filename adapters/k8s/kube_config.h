// Where the API server is and who gitdest is to it: from a kubeconfig file (its current
// context, or a named one) or, inside a Pod, from the ServiceAccount that Kubernetes
// mounts. Credentials live only here and in the HTTP client; no message carries them.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace gitdest::k8s {

struct KubeConfig {
  std::string server{};  // "https://host:port", no trailing slash
  // PEM. ca_pem "" = the system's trust store.
  std::string ca_pem{};
  std::string client_cert_pem{};
  std::string client_key_pem{};
  std::string bearer_token{};
  // A token file read again before each request (a projected ServiceAccount token
  // rotates); wins over bearer_token.
  std::string token_file{};
  std::string namespace_{};  // the context's namespace; "" = none given
  // Where it came from, for messages: "kubeconfig /path (context ctx)" or "in-cluster".
  std::string origin{};
};

// The kubeconfig at `path`, for `context` ("" = its current-context). Errors name the
// file and the field (`users[0].user.client-key-data: not base64`) and never quote a
// credential. Relative file references resolve against the kubeconfig's directory.
absl::StatusOr<KubeConfig> LoadKubeconfig(const std::string& path, const std::string& context);

// The ServiceAccount mounted in a Pod: KUBERNETES_SERVICE_HOST/PORT and
// /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}
// (`root` replaces that directory in tests).
absl::StatusOr<KubeConfig> InClusterConfig(
    const std::string& root = "/var/run/secrets/kubernetes.io/serviceaccount");

// Where the flags point: --kubeconfig, else $KUBECONFIG (its first file), else
// in-cluster when KUBERNETES_SERVICE_HOST is set, else ~/.kube/config.
absl::StatusOr<KubeConfig> ResolveKubeConfig(const std::string& kubeconfig_flag,
                                             const std::string& context);

}  // namespace gitdest::k8s
