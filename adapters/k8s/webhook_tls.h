// The webhook server's certificate, replaceable while the server runs: every TLS
// handshake takes the pair current at that moment (OpenSSL's certificate callback), so a
// renewed certificate (a file cert-manager rewrote, a Secret another replica rotated)
// serves the next connection without a restart.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace gitdest::k8s {

class ServingCertificate {
 public:
  ServingCertificate();
  ~ServingCertificate();
  ServingCertificate(const ServingCertificate&) = delete;
  ServingCertificate& operator=(const ServingCertificate&) = delete;

  // Replaces the pair: `cert_pem` is the certificate followed by any intermediates (as
  // tls.crt holds them), `key_pem` its private key. InvalidArgument, keeping the current
  // pair, when either does not parse or the key is not the certificate's.
  absl::Status Set(std::string_view cert_pem, std::string_view key_pem);
  bool loaded() const;
  // The current certificate's notAfter; InfinitePast when none is loaded.
  absl::Time not_after() const;
  // Makes `ctx` serve the current pair on every handshake. `this` must outlive it.
  void InstallOn(SSL_CTX& ctx);

  struct Pair;
  std::shared_ptr<const Pair> Current() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Pair> current_;
};

// Reads DIR/tls.crt and DIR/tls.key into `certificate`. The files are read whole and
// compared with what was loaded last: returns true when they changed and were loaded.
// NotFound / InvalidArgument name the file; the certificate keeps its current pair.
class CertDirReader {
 public:
  CertDirReader(std::string dir, ServingCertificate& certificate)
      : dir_(std::move(dir)), certificate_(&certificate) {}
  absl::StatusOr<bool> Reload();

 private:
  std::string dir_;
  ServingCertificate* certificate_;
  std::string loaded_;  // the files' contents last loaded
};

}  // namespace gitdest::k8s
