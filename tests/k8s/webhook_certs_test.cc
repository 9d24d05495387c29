// adapters/k8s/webhook_certs.h and webhook_pki.h: self-managed webhook certificates,
// kept in a Secret and a ValidatingWebhookConfiguration of a real kube-apiserver
// (tests/k8s/with-cluster.sh).
#include "adapters/k8s/webhook_certs.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/k8s/webhook_pki.h"
#include "nlohmann/json.hpp"
#include "tests/k8s/admin_client.h"

namespace gitdest::k8s {
namespace {

using Json = nlohmann::json;

// The real client, observed: it counts the writes that reach the server, and can let
// another replica write the Secret just before our next PUT, so that the server itself
// answers ours 409 Conflict.
class ObservedApi final : public ApiClient {
 public:
  explicit ObservedApi(std::unique_ptr<ApiClient> real) : real_(std::move(real)) {}
  int writes = 0;
  std::function<void()> before_next_put;

  absl::StatusOr<ApiResponse> Call(const ApiRequest& r, absl::Duration timeout) override {
    if (r.method == "PUT" && before_next_put) std::exchange(before_next_put, nullptr)();
    if (r.method != "GET") ++writes;
    return real_->Call(r, timeout);
  }
  std::unique_ptr<Stream> Watch(const std::string& path, LineFn on_line, EndFn on_end) override {
    return real_->Watch(path, std::move(on_line), std::move(on_end));
  }
  int64_t ConnectionsOpened() const override { return real_->ConnectionsOpened(); }
  const std::string& server() const override { return real_->server(); }
  ApiClient& real() { return *real_; }

 private:
  std::unique_ptr<ApiClient> real_;
};

class WebhookCertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto client = AdminClient();
    ASSERT_TRUE(client.ok()) << client.status();
    api_ = std::make_unique<ObservedApi>(*std::move(client));
    // Names of this test's own: the cluster outlives one test.
    const std::string suffix = absl::StrCat(absl::ToUnixNanos(absl::Now()) % 1000000000);
    ns_ = "certs-" + suffix;
    hook_ = "gitdest-test-" + suffix;
    ASSERT_EQ(Send("POST", "/api/v1/namespaces", {{"metadata", {{"name", ns_}}}}), 201);
    // Two webhooks that match nothing: one called by URL without a caBundle yet, one
    // with a stale one.
    auto webhook = [](const char* name, Json client_config) {
      return Json{{"name", name},
                  {"clientConfig", std::move(client_config)},
                  {"sideEffects", "None"},
                  {"admissionReviewVersions", {"v1"}},
                  {"failurePolicy", "Ignore"},
                  {"rules", Json::array()}};
    };
    const Json hook = {{"apiVersion", "admissionregistration.k8s.io/v1"},
                       {"kind", "ValidatingWebhookConfiguration"},
                       {"metadata", {{"name", hook_}}},
                       {"webhooks",
                        {webhook("a.gitdest.dev", {{"url", "https://localhost:1/a"}}),
                         webhook("b.gitdest.dev", {{"url", "https://localhost:1/b"},
                                                   {"caBundle", absl::Base64Escape("stale")}})}}};
    ASSERT_EQ(Send("POST", kConfigs, hook), 201);
  }
  void TearDown() override {
    Send("DELETE", absl::StrCat(kConfigs, "/", hook_), {});
    Send("DELETE", "/api/v1/namespaces/" + ns_, {});
  }

  int Send(const std::string& method, const std::string& path, const Json& body) {
    auto r = api_->real().Call(
        {.method = method, .path = path, .body = body.is_null() ? "" : body.dump()},
        absl::Seconds(10));
    if (!r.ok()) {
      ADD_FAILURE() << method << " " << path << ": " << r.status();
      return 0;
    }
    EXPECT_LT(r->status, 300) << method << " " << path << ": " << r->body;
    return r->status;
  }
  Json Get(const std::string& path) {
    auto r = api_->real().Call({.path = path}, absl::Seconds(10));
    EXPECT_TRUE(r.ok() && r->status == 200) << path;
    return r.ok() ? Json::parse(r->body, nullptr, false) : Json();
  }
  std::string SecretPath() const {
    return absl::StrCat("/api/v1/namespaces/", ns_, "/secrets/tls");
  }
  std::string Data(const char* key) {
    std::string out;
    absl::Base64Unescape(Get(SecretPath())["data"].value(key, ""), &out);
    return out;
  }
  std::string CaBundle(int webhook) {
    std::string out;
    const Json config = Get(absl::StrCat(kConfigs, "/", hook_));
    absl::Base64Unescape(config["webhooks"][webhook]["clientConfig"].value("caBundle", ""), &out);
    return out;
  }
  // Another replica rewrites the Secret with a serving certificate of its own.
  void RivalWritesTheSecret() {
    Json secret = Get(SecretPath());
    PemPair ca{Data("ca.crt"), Data("ca.key")};
    auto tls = GenerateServing(ca, {"svc.sys.svc", "localhost"}, absl::Now(), absl::Hours(8760));
    ASSERT_TRUE(tls.ok()) << tls.status();
    rival_cert_ = tls->cert_pem;
    secret["data"]["tls.crt"] = absl::Base64Escape(tls->cert_pem);
    secret["data"]["tls.key"] = absl::Base64Escape(tls->key_pem);
    ASSERT_EQ(Send("PUT", SecretPath(), secret), 200);
  }
  SelfManagedCertificates::Options Options(std::vector<std::string> names = {"svc.sys.svc",
                                                                             "localhost"}) {
    return {.namespace_ = ns_,
            .secret_name = "tls",
            .dns_names = std::move(names),
            .webhook_config_name = hook_};
  }

  static constexpr char kConfigs[] =
      "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
  std::unique_ptr<ObservedApi> api_;
  std::string ns_, hook_;
  std::string rival_cert_;  // what RivalWritesTheSecret wrote
  const absl::Time t0_ = absl::FromUnixSeconds(1700000000);
};

TEST_F(WebhookCertsTest, FirstSyncMakesTheSecretLoadsItAndWritesTheCaBundle) {
  ServingCertificate serving;
  SelfManagedCertificates certs(*api_, serving, Options());
  ASSERT_TRUE(certs.Sync(t0_).ok());
  EXPECT_TRUE(serving.loaded());
  EXPECT_EQ(Get(SecretPath())["type"], "kubernetes.io/tls");
  auto facts = ReadCertificate(Data("tls.crt"));
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->dns_names, (std::vector<std::string>{"svc.sys.svc", "localhost"}));
  EXPECT_TRUE(VerifySignedBy(Data("tls.crt"), Data("ca.crt")).ok());
  EXPECT_EQ(CaBundle(0), Data("ca.crt"));
  EXPECT_EQ(CaBundle(1), Data("ca.crt"));
  EXPECT_EQ(serving.not_after(), facts->not_after);
  // Nothing due: a second pass writes nothing.
  const int writes = api_->writes;
  ASSERT_TRUE(certs.Sync(t0_ + absl::Hours(1)).ok());
  EXPECT_EQ(api_->writes, writes);
}

TEST_F(WebhookCertsTest, AnotherReplicaAdoptsTheSameCertificate) {
  ServingCertificate one, two;
  ASSERT_TRUE(SelfManagedCertificates(*api_, one, Options()).Sync(t0_).ok());
  const int writes = api_->writes;
  ASSERT_TRUE(SelfManagedCertificates(*api_, two, Options()).Sync(t0_).ok());
  EXPECT_EQ(api_->writes, writes);
  EXPECT_EQ(one.not_after(), two.not_after());
}

TEST_F(WebhookCertsTest, ServingCertificateIsRenewedUnderTheSameCa) {
  ServingCertificate serving;
  SelfManagedCertificates certs(*api_, serving, Options());
  ASSERT_TRUE(certs.Sync(t0_).ok());
  const std::string ca = Data("ca.crt");
  const std::string tls = Data("tls.crt");
  const absl::Time later = t0_ + absl::Hours(24 * 250);  // less than a third of a year left
  ASSERT_TRUE(certs.Sync(later).ok());
  EXPECT_NE(Data("tls.crt"), tls);
  EXPECT_EQ(Data("ca.crt"), ca);
  EXPECT_GT(serving.not_after(), later + absl::Hours(24 * 300));
}

TEST_F(WebhookCertsTest, NewDnsNamesRenewTheServingCertificate) {
  ServingCertificate serving;
  ASSERT_TRUE(SelfManagedCertificates(*api_, serving, Options({"svc.sys.svc"})).Sync(t0_).ok());
  ASSERT_TRUE(SelfManagedCertificates(*api_, serving, Options()).Sync(t0_).ok());
  EXPECT_EQ(ReadCertificate(Data("tls.crt"))->dns_names.size(), 2u);
}

TEST_F(WebhookCertsTest, CaRotationKeepsTheOldCaInTheBundle) {
  ServingCertificate serving;
  SelfManagedCertificates certs(*api_, serving, Options());
  ASSERT_TRUE(certs.Sync(t0_).ok());
  const std::string old_ca = Data("ca.crt");
  ASSERT_TRUE(certs.Sync(t0_ + absl::Hours(24 * 365 * 7)).ok());
  const std::string bundle = Data("ca.crt");
  EXPECT_NE(bundle, old_ca);
  EXPECT_TRUE(absl::EndsWith(bundle, old_ca));
  EXPECT_TRUE(VerifySignedBy(Data("tls.crt"), bundle).ok());  // the new CA comes first
  EXPECT_EQ(CaBundle(0), bundle);
}

TEST_F(WebhookCertsTest, ARaceIsLostByAdoptingTheWinnersSecret) {
  ServingCertificate serving;
  SelfManagedCertificates certs(*api_, serving, Options());
  ASSERT_TRUE(certs.Sync(t0_).ok());
  api_->before_next_put = [this] { RivalWritesTheSecret(); };
  ASSERT_TRUE(certs.Sync(t0_ + absl::Hours(24 * 250)).ok()) << "adopts after the 409";
  EXPECT_EQ(Data("tls.crt"), rival_cert_) << "the winner's certificate is not overwritten";
  EXPECT_EQ(serving.not_after(), ReadCertificate(rival_cert_)->not_after);
}

}  // namespace
}  // namespace gitdest::k8s
