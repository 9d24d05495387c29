#include "adapters/k8s/webhook_server.h"

#include <httplib.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace gitdest::k8s {

WebhookServer::WebhookServer(Options options, ServingCertificate& certificate, Handler handler)
    : options_(std::move(options)), certificate_(&certificate), handler_(std::move(handler)) {}

WebhookServer::~WebhookServer() { Stop(); }

absl::Status WebhookServer::Start() {
  server_ = std::make_unique<httplib::SSLServer>([this](SSL_CTX& ctx) {
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    certificate_->InstallOn(ctx);
    return true;
  });
  const int threads = options_.threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(kMaxReviewBytes);
  server_->set_read_timeout(10, 0);
  server_->set_write_timeout(10, 0);
  server_->Post(kWebhookPath, [this](const httplib::Request& req, httplib::Response& res) {
    HttpReply reply = handler_(req.body);
    res.status = reply.status;
    res.set_content(std::move(reply.body), "application/json");
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  // httplib answers an unknown path 404 and a body over the limit 413, with no body:
  // say what happened.
  server_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const std::string why =
        res.status == 413
            ? absl::StrCat("request body over the limit of ", kMaxReviewBytes, " bytes")
            : absl::StrCat("no handler for ", req.method, " ", req.path,
                           "; AdmissionReviews go to POST ", kWebhookPath);
    res.set_content(
        absl::StrCat("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
                     "\"Failure\",\"code\":",
                     res.status, ",\"message\":\"gitdest admission webhook: ", why, "\"}"),
        "application/json");
  });
  server_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        res.set_content(
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
            "\"code\":500,\"message\":\"gitdest admission webhook: internal error\"}",
            "application/json");
      });
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.bind_address);
  } else if (server_->bind_to_port(options_.bind_address, options_.port)) {
    port_ = options_.port;
  }
  if (port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("webhook: cannot listen on ", options_.bind_address, ":", options_.port));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() before the loop runs would be lost (and the join would hang): wait for it.
  for (int i = 0; i < 500 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return absl::OkStatus();
}

void WebhookServer::Stop() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace gitdest::k8s
