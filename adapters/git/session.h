// One Git operation's view of its remote: the credentials offered to libgit2 (at most
// once: a refused password is not retried in a loop), the server's identity checked
// strictly (TLS against the Secret's ca.crt when the system does not trust it; SSH host
// keys only against the Secret's known_hosts, never accepted blindly), and why the
// remote was refused, for a message that says what to fix.
#pragma once

#include <git2.h>

#include <string>

#include "absl/status/status.h"
#include "adapters/git/credentials.h"
#include "core/types.h"

namespace gitdest::git {

class Session {
 public:
  Session(const core::RemoteRef& remote, Credentials credentials);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Callbacks with this session as payload (credentials, certificate check), for one
  // new connection.
  git_remote_callbacks Callbacks();

  // The status for libgit2's failure `rc` of step `what`: a refusal this session saw
  // (credentials, certificate, host key) explains it better than libgit2's message.
  absl::Status Failed(int rc, const std::string& what) const;

  const core::RemoteRef& remote() const { return remote_; }

 private:
  static int OnCredentials(git_credential** out, const char* url, const char* user_from_url,
                           unsigned int allowed, void* payload);
  static int OnCertificate(git_cert* cert, int valid, const char* host, void* payload);
  int Credential(git_credential** out, const char* user_from_url, unsigned int allowed);
  int SshKeyCredential(git_credential** out, const std::string& user);
  int Refuse(absl::StatusCode code, const std::string& why);
  std::string SecretName() const;

  core::RemoteRef remote_;
  Credentials credentials_;
  int credential_calls_ = 0;
  absl::Status refusal_;
  std::string key_dir_;  // the SSH key as files for libssh2, removed with the session
};

}  // namespace gitdest::git
