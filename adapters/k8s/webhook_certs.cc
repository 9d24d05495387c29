#include "adapters/k8s/webhook_certs.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "adapters/k8s/webhook_pki.h"
#include "nlohmann/json.hpp"

namespace gitdest::k8s {
namespace {

using nlohmann::json;

std::string DataField(const json& secret, const char* key) {
  const json data = secret.value("data", json::object());
  std::string out;
  if (!data.is_object() || !data.contains(key) || !data[key].is_string()) return out;
  if (!absl::Base64Unescape(data[key].get<std::string>(), &out)) out.clear();
  return out;
}

// The first PEM certificate of a bundle.
std::string FirstCert(const std::string& bundle) {
  const std::string end = "-----END CERTIFICATE-----\n";
  const size_t at = bundle.find(end);
  return at == std::string::npos ? bundle : bundle.substr(0, at + end.size());
}

bool Covers(const CertificateFacts& facts, const std::vector<std::string>& names) {
  return std::all_of(names.begin(), names.end(), [&](const std::string& n) {
    return std::find(facts.dns_names.begin(), facts.dns_names.end(), n) != facts.dns_names.end();
  });
}

std::string ResourceVersionOf(const json& object) {
  return object.value("metadata", json::object()).value("resourceVersion", "");
}

}  // namespace

std::string SelfManagedCertificates::SecretPath() const {
  return absl::StrCat("/api/v1/namespaces/", options_.namespace_, "/secrets/",
                      options_.secret_name);
}

bool SelfManagedCertificates::CaUsable(const Material& m, absl::Time now) const {
  auto ca = ReadCertificate(m.ca_bundle);
  return ca.ok() && !m.ca_key.empty() && ca->not_after - now > options_.ca_validity / 3;
}

bool SelfManagedCertificates::ServingUsable(const Material& m, absl::Time now) const {
  auto tls = ReadCertificate(m.tls_crt);
  return tls.ok() && !m.tls_key.empty() && Covers(*tls, options_.dns_names) &&
         tls->not_after - now > options_.serving_validity / 3 &&
         VerifySignedBy(m.tls_crt, FirstCert(m.ca_bundle)).ok();
}

absl::StatusOr<bool> SelfManagedCertificates::Renew(Material& m, absl::Time now) const {
  bool changed = false;
  if (!CaUsable(m, now)) {
    auto ca = GenerateCa("gitdest-webhook-ca", now, options_.ca_validity);
    if (!ca.ok()) return ca.status();
    // The old CA stays in the bundle while it is valid: a replica may still serve a
    // certificate it signed until it reads the new Secret.
    auto old = ReadCertificate(m.ca_bundle);
    const std::string previous = old.ok() && old->not_after > now ? FirstCert(m.ca_bundle) : "";
    m.ca_bundle = ca->cert_pem + previous;
    m.ca_key = ca->key_pem;
    m.tls_crt.clear();
    changed = true;
  }
  if (!ServingUsable(m, now)) {
    auto tls = GenerateServing({FirstCert(m.ca_bundle), m.ca_key}, options_.dns_names, now,
                               options_.serving_validity);
    if (!tls.ok()) return tls.status();
    m.tls_crt = tls->cert_pem;
    m.tls_key = tls->key_pem;
    changed = true;
  }
  return changed;
}

absl::Status SelfManagedCertificates::Sync(absl::Time now) {
  try {
    bool raced = false;
    absl::Status s = SyncOnce(now, raced);
    if (raced) s = SyncOnce(now, raced);  // another replica wrote first: adopt its Secret
    return s;
  } catch (const json::exception& e) {  // an object of an unexpected shape
    return absl::InternalError(absl::StrCat("webhook certificate upkeep: ", e.what()));
  }
}

absl::Status SelfManagedCertificates::SyncOnce(absl::Time now, bool& raced) {
  raced = false;
  const std::string what = absl::StrCat("Secret ", options_.namespace_, "/", options_.secret_name);
  auto got = client_->Call({.path = SecretPath()}, options_.request_timeout);
  if (!got.ok()) return got.status();
  json secret = json::object();
  if (got->status != 404) {
    if (auto s = StatusFromResponse(*got, "read " + what); !s.ok()) return s;
    secret = json::parse(got->body, nullptr, false);
    if (!secret.is_object()) return absl::UnavailableError("read " + what + ": not JSON");
  }
  Material m{DataField(secret, "ca.crt"), DataField(secret, "ca.key"), DataField(secret, "tls.crt"),
             DataField(secret, "tls.key")};
  absl::StatusOr<bool> changed = Renew(m, now);
  if (!changed.ok()) return changed.status();
  if (*changed) {
    const bool create = got->status == 404;
    json body = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"type", "kubernetes.io/tls"},
                 {"metadata",
                  {{"name", options_.secret_name},
                   {"namespace", options_.namespace_},
                   {"labels", {{"app.kubernetes.io/name", "gitdest"}}}}},
                 {"data",
                  {{"ca.crt", absl::Base64Escape(m.ca_bundle)},
                   {"ca.key", absl::Base64Escape(m.ca_key)},
                   {"tls.crt", absl::Base64Escape(m.tls_crt)},
                   {"tls.key", absl::Base64Escape(m.tls_key)}}}};
    if (!create) body["metadata"]["resourceVersion"] = ResourceVersionOf(secret);
    auto put = client_->Call(
        {.method = create ? "POST" : "PUT",
         .path = create ? absl::StrCat("/api/v1/namespaces/", options_.namespace_, "/secrets")
                        : SecretPath(),
         .body = body.dump()},
        options_.request_timeout);
    if (!put.ok()) return put.status();
    if (put->status == 409) {
      raced = true;
      return absl::AbortedError(what + " was written by another replica first");
    }
    if (auto s = StatusFromResponse(*put, "write " + what); !s.ok()) return s;
  }
  if (auto s = serving_->Set(m.tls_crt, m.tls_key); !s.ok()) {
    return absl::InternalError(absl::StrCat(what, ": ", s.message()));
  }
  ca_bundle_ = m.ca_bundle;
  return options_.webhook_config_name.empty() ? absl::OkStatus() : PatchCaBundle(m.ca_bundle);
}

absl::Status SelfManagedCertificates::PatchCaBundle(const std::string& bundle) {
  const std::string path =
      "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/" +
      options_.webhook_config_name;
  const std::string what = "ValidatingWebhookConfiguration " + options_.webhook_config_name;
  auto got = client_->Call({.path = path}, options_.request_timeout);
  if (!got.ok()) return got.status();
  if (auto s = StatusFromResponse(*got, "read " + what); !s.ok()) return s;
  const json config = json::parse(got->body, nullptr, false);
  if (!config.is_object()) return absl::UnavailableError("read " + what + ": not JSON");
  const std::string encoded = absl::Base64Escape(bundle);
  // A JSON patch, conditional on the version read: a concurrent edit is not overwritten.
  json patch = json::array({{{"op", "test"},
                             {"path", "/metadata/resourceVersion"},
                             {"value", ResourceVersionOf(config)}}});
  const json webhooks = config.value("webhooks", json::array());
  for (size_t i = 0; i < webhooks.size(); ++i) {
    if (webhooks[i].value("clientConfig", json::object()).value("caBundle", "") == encoded)
      continue;
    patch.push_back({{"op", "add"},
                     {"path", absl::StrCat("/webhooks/", i, "/clientConfig/caBundle")},
                     {"value", encoded}});
  }
  if (patch.size() == 1) return absl::OkStatus();  // already in place
  auto put = client_->Call({.method = "PATCH",
                            .path = path,
                            .body = patch.dump(),
                            .content_type = "application/json-patch+json"},
                           options_.request_timeout);
  if (!put.ok()) return put.status();
  return StatusFromResponse(*put, "patch the caBundle of " + what);
}

}  // namespace gitdest::k8s
