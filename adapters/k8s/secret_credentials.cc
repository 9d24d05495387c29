#include "adapters/k8s/secret_credentials.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

namespace gitdest::k8s {

absl::StatusOr<git::Credentials> CredentialsFromSecret(const nlohmann::json& secret) {
  git::Credentials c;
  const nlohmann::json data = secret.value("data", nlohmann::json::object());
  if (!data.is_object()) return absl::InvalidArgumentError("the Secret's data is not a map");
  const std::pair<const char*, std::string*> keys[] = {{"username", &c.username},
                                                       {"password", &c.password},
                                                       {"ssh-privatekey", &c.ssh_private_key},
                                                       {"ssh-password", &c.ssh_key_passphrase},
                                                       {"known_hosts", &c.known_hosts},
                                                       {"ca.crt", &c.ca_bundle}};
  for (const auto& [key, field] : keys) {
    if (!data.contains(key)) continue;
    if (!data[key].is_string() || !absl::Base64Unescape(data[key].get<std::string>(), field)) {
      return absl::InvalidArgumentError(absl::StrCat("the Secret's data.", key, " is not base64"));
    }
  }
  return c;
}

absl::StatusOr<git::Credentials> SecretCredentials::Get(const core::ObjectKey& secret) {
  if (secret.name.empty()) return git::Credentials{};
  const absl::Time now = absl::Now();
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(secret); it != cache_.end() && now - it->second.read_at < keep_) {
      return it->second.credentials;
    }
  }
  const std::string what = absl::StrCat("Secret ", secret.ToString());
  auto response = client_->Call(
      {.path = absl::StrCat("/api/v1/namespaces/", secret.namespace_, "/secrets/", secret.name)},
      absl::Seconds(20));
  if (!response.ok()) return response.status();
  if (response->status == 404) {
    return absl::NotFoundError(absl::StrCat(
        what, " (the GitRepoConfig's spec.secretRef) does not exist; create it or fix the name"));
  }
  if (response->status == 403) {
    return absl::PermissionDeniedError(
        absl::StrCat("gitdest may not read ", what, ": grant `get` on secrets in namespace ",
                     secret.namespace_, " to its ServiceAccount (deploy/rbac.yaml)"));
  }
  if (auto s = StatusFromResponse(*response, absl::StrCat("read ", what)); !s.ok()) return s;
  const nlohmann::json body = nlohmann::json::parse(response->body, nullptr, false);
  auto credentials = CredentialsFromSecret(body);
  if (!credentials.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", credentials.status().message()));
  }
  std::lock_guard lock(mu_);
  cache_[secret] = Entry{*credentials, now};
  return *credentials;
}

}  // namespace gitdest::k8s
