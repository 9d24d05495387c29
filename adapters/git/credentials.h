// Credentials for a remote, as the GitRepoConfig's Secret holds them (keys `username`,
// `password`, `ssh-privatekey`, `ssh-password`, `known_hosts`, `ca.crt`). They live only in
// memory and in the libgit2 callbacks; no message, log or file name ever carries them.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "core/types.h"

namespace gitdest::git {

struct Credentials {
  std::string username;
  std::string password;            // or a token
  std::string ssh_private_key;     // PEM / OpenSSH
  std::string ssh_key_passphrase;  // the Secret's `ssh-password`
  std::string known_hosts;         // OpenSSH known_hosts lines (hashed ones too)
  std::string ca_bundle;           // PEM: the CA that signs the server's certificate
};

// Where the adapter gets the Secret a RemoteRef names (the Kubernetes adapter reads the
// API; the CLI and tests read files).
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // The credentials of `secret` (name "" = anonymous: empty). NotFound when it is
  // missing. Thread-safe.
  virtual absl::StatusOr<Credentials> Get(const core::ObjectKey& secret) = 0;
};

// The Secret's keys as the files a mounted Secret shows: DIR/username, DIR/password, ...
// A missing file is an absent key. Any secret name is read from the same directory.
class DirectoryCredentials : public CredentialSource {
 public:
  explicit DirectoryCredentials(std::string dir) : dir_(std::move(dir)) {}
  absl::StatusOr<Credentials> Get(const core::ObjectKey& secret) override;

 private:
  std::string dir_;
};

// Fixed credentials per Secret (tests, and the CLI without --secret-dir: anonymous).
class StaticCredentials : public CredentialSource {
 public:
  void Set(const core::ObjectKey& secret, Credentials credentials);
  absl::StatusOr<Credentials> Get(const core::ObjectKey& secret) override;

 private:
  std::map<core::ObjectKey, Credentials> secrets_;
};

}  // namespace gitdest::git
