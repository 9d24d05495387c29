#include "adapters/git/credentials.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace gitdest::git {
namespace {

// The file's bytes, or "" when it does not exist. A trailing newline of a one-line key
// (username, password) is what `echo x > file` leaves: dropped.
std::string ReadKey(const std::string& dir, const char* key, bool one_line) {
  std::ifstream in(absl::StrCat(dir, "/", key), std::ios::binary);
  if (!in) return std::string();
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::string value = bytes.str();
  if (one_line) {
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  }
  return value;
}

}  // namespace

absl::StatusOr<Credentials> DirectoryCredentials::Get(const core::ObjectKey& secret) {
  Credentials c;
  if (secret.name.empty()) return c;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir_, ec)) {
    return absl::NotFoundError(absl::StrCat("the Secret's directory ", dir_, " does not exist"));
  }
  struct Key {
    const char* name;
    std::string* value;
    bool one_line;
  };
  for (const Key& key :
       {Key{"username", &c.username, true}, Key{"password", &c.password, true},
        Key{"ssh-privatekey", &c.ssh_private_key, false},
        Key{"ssh-password", &c.ssh_key_passphrase, true}, Key{"known_hosts", &c.known_hosts, false},
        Key{"ca.crt", &c.ca_bundle, false}}) {
    *key.value = ReadKey(dir_, key.name, key.one_line);
  }
  return c;
}

void StaticCredentials::Set(const core::ObjectKey& secret, Credentials credentials) {
  secrets_[secret] = std::move(credentials);
}

absl::StatusOr<Credentials> StaticCredentials::Get(const core::ObjectKey& secret) {
  if (secret.name.empty()) return Credentials{};
  auto it = secrets_.find(secret);
  if (it == secrets_.end()) {
    return absl::NotFoundError(absl::StrCat("Secret ", secret.ToString(), " not found"));
  }
  return it->second;
}

}  // namespace gitdest::git
