// The validating admission webhook for GitDestinations, as gitdest-controller runs it on
// every replica (leader or not): watches of GitDestinations and GitRepoConfigs feed a
// ClaimsIndex, an HTTPS server answers AdmissionReviews from it (no API request per
// review), and the serving certificate is either provided (a directory with tls.crt and
// tls.key, re-read when the files change, as cert-manager rewrites them) or self-managed
// (webhook_certs.h). docs/webhook.md describes both.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adapters/k8s/api_client.h"
#include "adapters/k8s/claims_index.h"
#include "adapters/k8s/flags.h"
#include "adapters/k8s/informer.h"
#include "adapters/k8s/webhook_certs.h"
#include "adapters/k8s/webhook_server.h"
#include "adapters/k8s/webhook_tls.h"

namespace gitdest::k8s {

struct WebhookOptions {
  std::string bind_address = "0.0.0.0";
  int port = 9443;
  std::string watch_namespace;  // "" = every namespace (as the controller watches)
  // Provided certificate: a directory with tls.crt and tls.key; "" = self-managed.
  std::string cert_dir;
  // Self-managed: the Secret, the names certified, the configuration whose caBundle is
  // kept ("" = none).
  std::string secret_namespace;
  std::string secret_name;
  std::vector<std::string> dns_names;
  std::string webhook_config_name;
  absl::Duration cert_refresh_interval = absl::Minutes(1);
};

class Webhook {
 public:
  // Starts the watches, the certificate's upkeep and the server; Unavailable when the
  // port cannot be bound, NotFound/InvalidArgument when a provided certificate cannot be
  // read. A self-managed certificate that cannot be made yet is retried in the
  // background (handshakes fail until it exists).
  static absl::StatusOr<std::unique_ptr<Webhook>> Start(ApiClient& client, WebhookOptions options);
  ~Webhook();  // stops the server, the upkeep and the watches

  int port() const { return server_->port(); }

 private:
  Webhook(ApiClient& client, WebhookOptions options);
  void StartWatches(ApiClient& client);
  // One round of certificate upkeep: true when a certificate is loaded.
  bool RefreshCertificate();
  void RunUpkeep();

  WebhookOptions options_;
  ClaimsIndex index_;
  ServingCertificate certificate_;
  std::unique_ptr<CertDirReader> cert_dir_;
  std::unique_ptr<SelfManagedCertificates> self_managed_;
  std::vector<std::unique_ptr<Informer>> informers_;
  std::unique_ptr<WebhookServer> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread upkeep_;
};

// gitdest-controller's webhook as its flags say (--webhook-*); nullptr when
// --webhook-port=0. `pod_namespace` is the Pod's namespace ("" outside a cluster), the
// default of --webhook-service-namespace before gitdest-system.
absl::StatusOr<std::unique_ptr<Webhook>> StartWebhook(ApiClient& client,
                                                      const ControllerFlags& flags,
                                                      const std::string& pod_namespace);

}  // namespace gitdest::k8s
