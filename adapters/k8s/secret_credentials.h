// Git credentials from the Secret a GitRepoConfig names, read through the API (get
// only: gitdest never lists or watches Secrets). Kept for a short while so that reads
// of many branches of one repository cost one API call, and read again after that so a
// rotated password takes effect without a restart.
#pragma once

#include <map>
#include <mutex>

#include "adapters/git/credentials.h"
#include "adapters/k8s/api_client.h"
#include "nlohmann/json.hpp"

namespace gitdest::k8s {

class SecretCredentials final : public git::CredentialSource {
 public:
  // `client` must outlive this.
  SecretCredentials(ApiClient& client, absl::Duration keep = absl::Seconds(30))
      : client_(&client), keep_(keep) {}

  // NotFound names the Secret and the GitRepoConfig field to fix; PermissionDenied says
  // which RBAC rule is missing. Never quotes a value.
  absl::StatusOr<git::Credentials> Get(const core::ObjectKey& secret) override;

 private:
  struct Entry {
    git::Credentials credentials;
    absl::Time read_at;
  };
  ApiClient* client_;
  absl::Duration keep_;
  std::mutex mu_;
  std::map<core::ObjectKey, Entry> cache_;
};

// The Secret's `data` (base64 values) as Credentials; unknown keys are ignored.
absl::StatusOr<git::Credentials> CredentialsFromSecret(const nlohmann::json& secret);

}  // namespace gitdest::k8s
