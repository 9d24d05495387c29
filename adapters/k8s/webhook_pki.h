// Certificates the controller makes for its own webhook when no one provides them: a CA
// (whose certificate goes into the ValidatingWebhookConfiguration's caBundle) and a
// serving certificate it signs for the webhook Service's DNS names. ECDSA P-256 keys,
// SHA-256 signatures, random 128-bit serials; PEM in and out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gitdest::k8s {

struct PemPair {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed CA valid from an hour before `now` (clock skew) for `validity`.
absl::StatusOr<PemPair> GenerateCa(std::string_view common_name, absl::Time now,
                                   absl::Duration validity);
// A serving certificate (serverAuth) for `dns_names` (the first is also the CN), signed by
// `ca` (a pair GenerateCa made), valid from an hour before `now` for `validity`.
absl::StatusOr<PemPair> GenerateServing(const PemPair& ca,
                                        const std::vector<std::string>& dns_names, absl::Time now,
                                        absl::Duration validity);

// What a PEM certificate says (its first one, when it holds several).
struct CertificateFacts {
  absl::Time not_before;
  absl::Time not_after;
  std::vector<std::string> dns_names;  // subjectAltName DNS entries
};
absl::StatusOr<CertificateFacts> ReadCertificate(std::string_view cert_pem);
// OK iff the first certificate of `cert_pem` is signed by the first of `ca_pem`.
absl::Status VerifySignedBy(std::string_view cert_pem, std::string_view ca_pem);

}  // namespace gitdest::k8s
