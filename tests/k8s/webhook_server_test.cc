// adapters/k8s/webhook_server.h and webhook_tls.h: the HTTPS server on loopback, and its
// certificate replaced while it runs.
#include "adapters/k8s/webhook_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "adapters/k8s/webhook_pki.h"

namespace gitdest::k8s {
namespace {

struct Pki {
  PemPair ca, tls;
  std::string ca_file;
};

Pki MakePki(const std::string& ca_file) {
  Pki p;
  p.ca = *GenerateCa("test-ca", absl::Now(), absl::Hours(24));
  p.tls = *GenerateServing(p.ca, {"localhost"}, absl::Now(), absl::Hours(24));
  p.ca_file = ca_file;
  std::ofstream(ca_file) << p.ca.cert_pem;
  return p;
}

class WebhookServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("webhook_server_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    pki_ = MakePki(dir_ / "ca1.crt");
    ASSERT_TRUE(cert_.Set(pki_.tls.cert_pem, pki_.tls.key_pem).ok());
    index_.MarkSynced(true, true);
    server_ = std::make_unique<WebhookServer>(
        WebhookServer::Options{.bind_address = "127.0.0.1", .port = 0}, cert_,
        [this](std::string_view body) { return ReviewAdmission(index_, body).reply; });
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A fresh client (a new connection, so a new handshake) trusting `ca_file` only.
  std::unique_ptr<httplib::SSLClient> Client(const std::string& ca_file) {
    auto c = std::make_unique<httplib::SSLClient>("localhost", server_->port());
    c->set_ca_cert_path(ca_file.c_str());
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(5);
    return c;
  }

  std::filesystem::path dir_;
  Pki pki_;
  ServingCertificate cert_;
  ClaimsIndex index_;
  std::unique_ptr<WebhookServer> server_;
};

TEST_F(WebhookServerTest, AnswersReviewsAndMalformedBodies) {
  auto c = Client(pki_.ca_file);
  auto health = c->Get("/healthz");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  auto bad = c->Post(kWebhookPath, "{nope", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_TRUE(absl::StrContains(bad->body, "not JSON")) << bad->body;
  auto review = c->Post(kWebhookPath,
                        R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
                           "request":{"uid":"u","operation":"DELETE",
                           "kind":{"group":"gitdest.dev","kind":"GitDestination"}}})",
                        "application/json");
  ASSERT_TRUE(review);
  EXPECT_EQ(review->status, 200);
  EXPECT_TRUE(absl::StrContains(review->body, R"("allowed":true)")) << review->body;
  auto lost = c->Post("/elsewhere", "{}", "application/json");
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->status, 404);
  EXPECT_TRUE(absl::StrContains(lost->body, kWebhookPath)) << lost->body;
  auto big = c->Post(kWebhookPath, std::string(kMaxReviewBytes + 10, ' '), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
}

TEST_F(WebhookServerTest, AReplacedCertificateServesTheNextConnection) {
  const Pki next = MakePki(dir_ / "ca2.crt");
  ASSERT_TRUE(Client(pki_.ca_file)->Get("/healthz"));
  EXPECT_FALSE(Client(next.ca_file)->Get("/healthz"));  // not trusted yet
  ASSERT_TRUE(cert_.Set(next.tls.cert_pem, next.tls.key_pem).ok());
  auto now = Client(next.ca_file)->Get("/healthz");
  ASSERT_TRUE(now) << httplib::to_string(now.error());
  EXPECT_EQ(now->status, 200);
  EXPECT_FALSE(Client(pki_.ca_file)->Get("/healthz"));
  // A key that is not the certificate's is refused, and the pair in use stays.
  EXPECT_FALSE(cert_.Set(pki_.tls.cert_pem, next.tls.key_pem).ok());
  EXPECT_TRUE(Client(next.ca_file)->Get("/healthz"));
}

TEST_F(WebhookServerTest, CertDirReaderLoadsOnlyChangedFiles) {
  const std::string d = dir_ / "certs";
  std::filesystem::create_directories(d);
  CertDirReader reader(d, cert_);
  EXPECT_EQ(reader.Reload().status().code(), absl::StatusCode::kNotFound);
  const Pki next = MakePki(dir_ / "ca3.crt");
  std::ofstream(d + "/tls.crt") << next.tls.cert_pem;
  std::ofstream(d + "/tls.key") << next.tls.key_pem;
  EXPECT_TRUE(*reader.Reload());
  EXPECT_FALSE(*reader.Reload());
  EXPECT_TRUE(Client(next.ca_file)->Get("/healthz"));
  std::ofstream(d + "/tls.key") << "garbage";
  EXPECT_EQ(reader.Reload().status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Client(next.ca_file)->Get("/healthz"));  // the previous pair stays
}

}  // namespace
}  // namespace gitdest::k8s
