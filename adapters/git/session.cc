#include "adapters/git/session.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/git/git_status.h"
#include "adapters/git/host_trust.h"

namespace gitdest::git {
namespace {

// The port of an ssh:// URL, 22 for scp-like and default ones.
int SshPort(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return 22;
  const size_t at = url.find('@', scheme + 3);
  const size_t host = at == std::string::npos ? scheme + 3 : at + 1;
  const size_t slash = url.find('/', host);
  const size_t colon = url.rfind(':', slash);
  if (colon == std::string::npos || colon < host) return 22;
  return std::atoi(url.substr(colon + 1, slash - colon - 1).c_str());
}

// What to add when an SSH key was refused: libssh2 1.10 signs with an RSA key as ssh-rsa
// (SHA-1) only, which OpenSSH 8.8 and later and the hosted Git services refuse.
std::string KeyTypeHint(const std::string& private_key) {
  if (private_key.empty()) return "";
  absl::StatusOr<std::string> public_key = PublicKeyLine(private_key);
  if (!public_key.ok() || !absl::StartsWith(*public_key, "ssh-rsa ")) return "";
  return "; it is an RSA key, which gitdest can only sign with SHA-1 (ssh-rsa), refused by "
         "OpenSSH 8.8+ and by GitHub: use an ed25519 or ECDSA key";
}

bool WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  return static_cast<bool>(out);
}

}  // namespace

Session::Session(const core::RemoteRef& remote, Credentials credentials)
    : remote_(remote), credentials_(std::move(credentials)) {}

Session::~Session() {
  if (!key_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(key_dir_, ec);
  }
}

git_remote_callbacks Session::Callbacks() {
  credential_calls_ = 0;  // a new connection: its first challenge is answered again
  git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
  callbacks.credentials = OnCredentials;
  callbacks.certificate_check = OnCertificate;
  callbacks.payload = this;
  return callbacks;
}

absl::Status Session::Failed(int rc, const std::string& what) const {
  if (!refusal_.ok())
    return absl::Status(refusal_.code(), absl::StrCat(what, ": ", refusal_.message()));
  return FromLibgit2(rc, what);
}

std::string Session::SecretName() const {
  return remote_.secret.name.empty() ? "no Secret (spec.secretRef is not set)"
                                     : absl::StrCat("Secret ", remote_.secret.ToString());
}

int Session::Refuse(absl::StatusCode code, const std::string& why) {
  refusal_ = absl::Status(code, why);
  git_error_set_str(GIT_ERROR_NET, why.c_str());
  return GIT_EAUTH;
}

int Session::OnCredentials(git_credential** out, const char* /*url*/, const char* user_from_url,
                           unsigned int allowed, void* payload) {
  return static_cast<Session*>(payload)->Credential(out, user_from_url, allowed);
}

int Session::Credential(git_credential** out, const char* user_from_url, unsigned int allowed) {
  const Credentials& c = credentials_;
  if (++credential_calls_ > 2 || (credential_calls_ > 1 && !(allowed & GIT_CREDENTIAL_SSH_KEY))) {
    return Refuse(
        absl::StatusCode::kUnauthenticated,
        absl::StrCat("the remote refused the credentials of ", SecretName(),
                     c.username.empty() ? "" : absl::StrCat(" (user \"", c.username, "\")"),
                     ": check its username and password, or its ssh-privatekey",
                     KeyTypeHint(c.ssh_private_key)));
  }
  const std::string user = user_from_url != nullptr && *user_from_url != '\0' ? user_from_url
                           : c.username.empty()                               ? "git"
                                                                              : c.username;
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !c.ssh_private_key.empty()) {
    return SshKeyCredential(out, user);
  }
  if ((allowed & GIT_CREDENTIAL_USERNAME) && !c.ssh_private_key.empty()) {
    return git_credential_username_new(out, user.c_str());
  }
  if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && !c.password.empty()) {
    return git_credential_userpass_plaintext_new(
        out, c.username.empty() ? "x-access-token" : c.username.c_str(), c.password.c_str());
  }
  return Refuse(absl::StatusCode::kUnauthenticated,
                absl::StrCat("the remote asks for credentials and ", SecretName(),
                             " has none it accepts: give it username and password (HTTPS) or "
                             "ssh-privatekey and known_hosts (SSH)"));
}

int Session::SshKeyCredential(git_credential** out, const std::string& user) {
  // libssh2 here reads keys from files only, and cannot derive the public key itself.
  absl::StatusOr<std::string> public_key = PublicKeyLine(credentials_.ssh_private_key);
  if (!public_key.ok()) {
    return Refuse(absl::StatusCode::kInvalidArgument, std::string(public_key.status().message()));
  }
  if (key_dir_.empty()) {
    std::string dir = (std::filesystem::temp_directory_path() / "gitdest-key-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) {
      return Refuse(absl::StatusCode::kInternal, "cannot create a private directory for the key");
    }
    key_dir_ = dir;
  }
  const std::string private_path = key_dir_ + "/id";
  const std::string public_path = key_dir_ + "/id.pub";
  if (!WriteFile(private_path, credentials_.ssh_private_key) ||
      chmod(private_path.c_str(), 0600) != 0 || !WriteFile(public_path, *public_key + "\n")) {
    return Refuse(absl::StatusCode::kInternal, "cannot write the SSH key for libssh2");
  }
  const char* passphrase =
      credentials_.ssh_key_passphrase.empty() ? nullptr : credentials_.ssh_key_passphrase.c_str();
  return git_credential_ssh_key_new(out, user.c_str(), public_path.c_str(), private_path.c_str(),
                                    passphrase);
}

int Session::OnCertificate(git_cert* cert, int valid, const char* host, void* payload) {
  auto* self = static_cast<Session*>(payload);
  if (cert->cert_type == GIT_CERT_X509) {
    if (valid) return 0;
    if (self->credentials_.ca_bundle.empty()) {
      return self->Refuse(absl::StatusCode::kPermissionDenied,
                          absl::StrCat("the server's certificate for ", host,
                                       " is not trusted: put the CA that signs it in the "
                                       "ca.crt key of ",
                                       self->SecretName()));
    }
    const auto* x509 = reinterpret_cast<git_cert_x509*>(cert);
    absl::Status ok =
        VerifyCertificate(absl::string_view(static_cast<const char*>(x509->data), x509->len),
                          self->credentials_.ca_bundle, host);
    return ok.ok() ? 0 : self->Refuse(ok.code(), std::string(ok.message()));
  }
  if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2) {
    const auto* key = reinterpret_cast<git_cert_hostkey*>(cert);
    if (!(key->type & GIT_CERT_SSH_RAW)) {
      return self->Refuse(absl::StatusCode::kUnavailable, "the SSH host key cannot be checked");
    }
    absl::Status ok =
        CheckKnownHost(self->credentials_.known_hosts, host, SshPort(self->remote_.url),
                       absl::string_view(key->hostkey, key->hostkey_len));
    return ok.ok() ? 0 : self->Refuse(ok.code(), std::string(ok.message()));
  }
  return self->Refuse(absl::StatusCode::kUnavailable, "the server's identity cannot be checked");
}

}  // namespace gitdest::git
