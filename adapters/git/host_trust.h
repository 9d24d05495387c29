// Whether a server is who it claims to be, decided only from what the Secret provides.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gitdest::git {

// OK iff the DER certificate `der` is signed by a CA of the PEM bundle `ca_bundle` and
// is valid now for `host`. Errors say which (InvalidArgument for an unreadable bundle).
absl::Status VerifyCertificate(absl::string_view der, absl::string_view ca_bundle,
                               const std::string& host);

// OK iff `known_hosts` (OpenSSH format: plain or hashed host names, `[host]:port` for a
// port other than 22, comma-separated patterns with `*`, `?` and `!`) lists `host_key`
// (the raw SSH wire-format key) for `host`:`port`. A `@revoked` line for the key refuses
// it; `@cert-authority` lines are not trusted (certificates are not supported).
absl::Status CheckKnownHost(absl::string_view known_hosts, const std::string& host, int port,
                            absl::string_view host_key);

// The raw SSH public key (wire format) of an OpenSSH private key file's contents
// ("-----BEGIN OPENSSH PRIVATE KEY-----"), which stores it unencrypted; as the one line
// of a `.pub` file ("<type> <base64>").
absl::StatusOr<std::string> PublicKeyLine(absl::string_view openssh_private_key);

}  // namespace gitdest::git
