// adapters/k8s/webhook_certs.h and webhook_pki.h: self-managed webhook certificates,
// against an in-memory API server (Secrets and one ValidatingWebhookConfiguration).
#include "adapters/k8s/webhook_certs.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/k8s/webhook_pki.h"
#include "nlohmann/json.hpp"

namespace gitdest::k8s {
namespace {

using Json = nlohmann::json;

constexpr char kSecrets[] = "/api/v1/namespaces/sys/secrets";
constexpr char kSecret[] = "/api/v1/namespaces/sys/secrets/tls";
constexpr char kConfig[] =
    "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/hook";

// Objects by path, each write bumping a resourceVersion; PUT is conditional on it.
class FakeApi final : public ApiClient {
 public:
  std::map<std::string, Json> objects;
  int writes = 0;
  int conflicts_to_inject = 0;  // the next PUTs of the Secret answer 409 after a rival write

  absl::StatusOr<ApiResponse> Call(const ApiRequest& r, absl::Duration) override {
    if (r.method == "GET") {
      auto it = objects.find(r.path);
      if (it == objects.end()) return ApiResponse{404, "{}"};
      return ApiResponse{200, it->second.dump()};
    }
    Json body = Json::parse(r.body);
    if (r.method == "POST" && r.path == kSecrets) return Store(kSecret, body);
    if (r.method == "PUT") {
      if (conflicts_to_inject > 0) {
        --conflicts_to_inject;
        Rival();
        return ApiResponse{409, "{}"};
      }
      if (body["metadata"]["resourceVersion"] != objects[r.path]["metadata"]["resourceVersion"]) {
        return ApiResponse{409, "{}"};
      }
      return Store(r.path, body);
    }
    if (r.method == "PATCH") {
      EXPECT_EQ(r.content_type, "application/json-patch+json");
      try {
        return Store(r.path, objects.at(r.path).patch(body));
      } catch (const std::exception&) {
        return ApiResponse{409, "{}"};
      }
    }
    return ApiResponse{405, "{}"};
  }
  std::unique_ptr<Stream> Watch(const std::string&, LineFn, EndFn) override { return nullptr; }
  int64_t ConnectionsOpened() const override { return 0; }
  const std::string& server() const override { return server_; }

  std::string Data(const char* key) {
    std::string out;
    absl::Base64Unescape(objects[kSecret]["data"][key].get<std::string>(), &out);
    return out;
  }
  std::string CaBundle(int webhook) {
    std::string out;
    absl::Base64Unescape(
        objects[kConfig]["webhooks"][webhook]["clientConfig"]["caBundle"].get<std::string>(), &out);
    return out;
  }

 private:
  ApiResponse Store(const std::string& path, Json object) {
    ++writes;
    object["metadata"]["resourceVersion"] = absl::StrCat(writes);
    objects[path] = object;
    return {200, object.dump()};
  }
  // Another replica rewrites the Secret (with its own serving certificate).
  void Rival() {
    Json secret = objects[kSecret];
    PemPair ca{Data("ca.crt"), Data("ca.key")};
    auto tls = GenerateServing(ca, {"svc.sys.svc", "localhost"}, absl::Now(), absl::Hours(8760));
    secret["data"]["tls.crt"] = absl::Base64Escape(tls->cert_pem);
    secret["data"]["tls.key"] = absl::Base64Escape(tls->key_pem);
    Store(kSecret, secret);
  }
  std::string server_ = "https://fake";
};

class WebhookCertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_.objects[kConfig] = {
        {"metadata", {{"name", "hook"}, {"resourceVersion", "0"}}},
        {"webhooks",
         {{{"name", "a"}, {"clientConfig", {{"url", "https://localhost:1/x"}}}},
          {{"name", "b"}, {"clientConfig", {{"caBundle", "c3RhbGU="}}}}}}};
  }
  SelfManagedCertificates::Options Options(std::vector<std::string> names = {"svc.sys.svc",
                                                                             "localhost"}) {
    return {.namespace_ = "sys",
            .secret_name = "tls",
            .dns_names = std::move(names),
            .webhook_config_name = "hook"};
  }
  FakeApi api_;
  const absl::Time t0_ = absl::FromUnixSeconds(1700000000);
};

TEST_F(WebhookCertsTest, FirstSyncMakesTheSecretLoadsItAndWritesTheCaBundle) {
  ServingCertificate serving;
  SelfManagedCertificates certs(api_, serving, Options());
  ASSERT_TRUE(certs.Sync(t0_).ok());
  EXPECT_TRUE(serving.loaded());
  EXPECT_EQ(api_.objects[kSecret]["type"], "kubernetes.io/tls");
  auto facts = ReadCertificate(api_.Data("tls.crt"));
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->dns_names, (std::vector<std::string>{"svc.sys.svc", "localhost"}));
  EXPECT_TRUE(VerifySignedBy(api_.Data("tls.crt"), api_.Data("ca.crt")).ok());
  EXPECT_EQ(api_.CaBundle(0), api_.Data("ca.crt"));
  EXPECT_EQ(api_.CaBundle(1), api_.Data("ca.crt"));
  EXPECT_EQ(serving.not_after(), facts->not_after);
  // Nothing due: a second pass writes nothing.
  const int writes = api_.writes;
  ASSERT_TRUE(certs.Sync(t0_ + absl::Hours(1)).ok());
  EXPECT_EQ(api_.writes, writes);
}

TEST_F(WebhookCertsTest, AnotherReplicaAdoptsTheSameCertificate) {
  ServingCertificate one, two;
  ASSERT_TRUE(SelfManagedCertificates(api_, one, Options()).Sync(t0_).ok());
  const int writes = api_.writes;
  ASSERT_TRUE(SelfManagedCertificates(api_, two, Options()).Sync(t0_).ok());
  EXPECT_EQ(api_.writes, writes);
  EXPECT_EQ(one.not_after(), two.not_after());
}

TEST_F(WebhookCertsTest, ServingCertificateIsRenewedUnderTheSameCa) {
  ServingCertificate serving;
  SelfManagedCertificates certs(api_, serving, Options());
  ASSERT_TRUE(certs.Sync(t0_).ok());
  const std::string ca = api_.Data("ca.crt");
  const std::string tls = api_.Data("tls.crt");
  const absl::Time later = t0_ + absl::Hours(24 * 250);  // less than a third of a year left
  ASSERT_TRUE(certs.Sync(later).ok());
  EXPECT_NE(api_.Data("tls.crt"), tls);
  EXPECT_EQ(api_.Data("ca.crt"), ca);
  EXPECT_GT(serving.not_after(), later + absl::Hours(24 * 300));
}

TEST_F(WebhookCertsTest, NewDnsNamesRenewTheServingCertificate) {
  ServingCertificate serving;
  ASSERT_TRUE(SelfManagedCertificates(api_, serving, Options({"svc.sys.svc"})).Sync(t0_).ok());
  ASSERT_TRUE(SelfManagedCertificates(api_, serving, Options()).Sync(t0_).ok());
  EXPECT_EQ(ReadCertificate(api_.Data("tls.crt"))->dns_names.size(), 2u);
}

TEST_F(WebhookCertsTest, CaRotationKeepsTheOldCaInTheBundle) {
  ServingCertificate serving;
  SelfManagedCertificates certs(api_, serving, Options());
  ASSERT_TRUE(certs.Sync(t0_).ok());
  const std::string old_ca = api_.Data("ca.crt");
  ASSERT_TRUE(certs.Sync(t0_ + absl::Hours(24 * 365 * 7)).ok());
  const std::string bundle = api_.Data("ca.crt");
  EXPECT_NE(bundle, old_ca);
  EXPECT_TRUE(absl::EndsWith(bundle, old_ca));
  EXPECT_TRUE(VerifySignedBy(api_.Data("tls.crt"), bundle).ok());  // the new CA comes first
  EXPECT_EQ(api_.CaBundle(0), bundle);
}

TEST_F(WebhookCertsTest, ARaceIsLostByAdoptingTheWinnersSecret) {
  ServingCertificate serving;
  SelfManagedCertificates certs(api_, serving, Options());
  ASSERT_TRUE(certs.Sync(t0_).ok());
  api_.conflicts_to_inject = 1;
  ASSERT_TRUE(certs.Sync(t0_ + absl::Hours(24 * 250)).ok()) << "adopts after the 409";
  EXPECT_EQ(serving.not_after(), ReadCertificate(api_.Data("tls.crt"))->not_after);
}

}  // namespace
}  // namespace gitdest::k8s
