// The admission webhook's HTTPS server (cpp-httplib with OpenSSL): POST
// /validate-gitdestination answers AdmissionReviews (webhook_review.h), GET /healthz
// answers "ok". Bodies over kMaxReviewBytes are refused (413) before they are read whole.
// The certificate is taken from a ServingCertificate at every handshake, so it can be
// replaced while the server runs.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "adapters/k8s/webhook_review.h"
#include "adapters/k8s/webhook_tls.h"

namespace httplib {
class SSLServer;
}

namespace gitdest::k8s {

class WebhookServer {
 public:
  using Handler = std::function<HttpReply(std::string_view body)>;
  struct Options {
    std::string bind_address = "0.0.0.0";
    int port = 9443;  // 0 = any free port (see port())
    int threads = 8;
  };

  WebhookServer(Options options, ServingCertificate& certificate, Handler handler);
  ~WebhookServer();  // stops and joins

  // Binds and starts serving on a thread of its own; Unavailable when it cannot bind.
  absl::Status Start();
  int port() const { return port_; }
  void Stop();

 private:
  Options options_;
  ServingCertificate* certificate_;
  Handler handler_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace gitdest::k8s
