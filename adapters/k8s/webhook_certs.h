// Self-managed webhook certificates, for clusters without cert-manager: the controller
// keeps a CA and a serving certificate for the webhook Service's DNS names in one Secret
// (so every replica serves the same pair and the API server trusts them all through one
// caBundle), writes the CA into its ValidatingWebhookConfiguration's caBundle, and renews
// before expiry. Every replica runs Sync periodically; writes are conditional on the
// Secret's resourceVersion, so when two replicas race, one writes and the other adopts.
//
// Secret (type kubernetes.io/tls): tls.crt, tls.key (serving pair), ca.crt (the caBundle:
// the current CA, then the previous one while it is still valid, so connections to a
// replica that still serves the old pair stay trusted during a CA rotation), ca.key.
// Renewal: a serving certificate with less than a third of its validity left, or whose
// DNS names or CA no longer match, is replaced (the CA stays, so the caBundle does not
// change); a CA with less than a third left is replaced along with the serving pair.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adapters/k8s/api_client.h"
#include "adapters/k8s/webhook_tls.h"

namespace gitdest::k8s {

class SelfManagedCertificates {
 public:
  struct Options {
    std::string namespace_;              // of the Secret
    std::string secret_name;             // e.g. gitdest-webhook-tls
    std::vector<std::string> dns_names;  // the serving certificate's subjectAltNames
    std::string webhook_config_name;     // ValidatingWebhookConfiguration; "" = none
    absl::Duration ca_validity = absl::Hours(24 * 365 * 10);
    absl::Duration serving_validity = absl::Hours(24 * 365);
    absl::Duration request_timeout = absl::Seconds(10);
  };

  SelfManagedCertificates(ApiClient& client, ServingCertificate& serving, Options options)
      : client_(&client), serving_(&serving), options_(std::move(options)) {}

  // One pass, blocking: reads the Secret, makes or renews what is missing or due (and
  // writes it back, or adopts what a racing replica wrote), loads the serving pair, and
  // patches the caBundle where it differs. Errors name the object and what failed; the
  // serving pair loaded before stays.
  absl::Status Sync(absl::Time now);
  // What the last successful Sync loaded: the caBundle (PEM), for tests and logs.
  const std::string& ca_bundle() const { return ca_bundle_; }

 private:
  struct Material {
    std::string ca_bundle, ca_key, tls_crt, tls_key;
  };
  absl::Status SyncOnce(absl::Time now, bool& raced);
  // Renews what is due in `m`; true when anything changed.
  absl::StatusOr<bool> Renew(Material& m, absl::Time now) const;
  bool CaUsable(const Material& m, absl::Time now) const;
  bool ServingUsable(const Material& m, absl::Time now) const;
  absl::Status PatchCaBundle(const std::string& bundle);
  std::string SecretPath() const;

  ApiClient* client_;
  ServingCertificate* serving_;
  Options options_;
  std::string ca_bundle_;
};

}  // namespace gitdest::k8s
