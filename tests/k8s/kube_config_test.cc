// Kubeconfig and in-cluster configuration: what gitdest-controller reads to find the
// API server, and the errors an operator sees when it is wrong.
#include "adapters/k8s/kube_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace gitdest::k8s {
namespace {

class KubeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kubeconfig-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

constexpr char kTwoContexts[] = R"(apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: test
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: %CA%
contexts:
- name: admin
  context: {cluster: test, user: admin, namespace: team-a}
- name: robot
  context: {cluster: test, user: robot}
users:
- name: admin
  user:
    client-certificate-data: %CERT%
    client-key: keys/admin.key
- name: robot
  user:
    token: s3cret-token
)";

std::string Fill(std::string text) {
  auto put = [&](const std::string& marker, const std::string& value) {
    text.replace(text.find(marker), marker.size(), absl::Base64Escape(value));
  };
  put("%CA%", "CA PEM");
  put("%CERT%", "CERT PEM");
  return text;
}

TEST_F(KubeConfigTest, TheCurrentContextWithDataAndARelativeKeyFile) {
  std::filesystem::create_directories(dir_ / "keys");
  Write("keys/admin.key", "KEY PEM");
  auto config = LoadKubeconfig(Write("config", Fill(kTwoContexts)), "");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://127.0.0.1:6443");
  EXPECT_EQ(config->ca_pem, "CA PEM");
  EXPECT_EQ(config->client_cert_pem, "CERT PEM");
  EXPECT_EQ(config->client_key_pem, "KEY PEM");
  EXPECT_EQ(config->namespace_, "team-a");
}

TEST_F(KubeConfigTest, ANamedContextWithAToken) {
  std::filesystem::create_directories(dir_ / "keys");
  Write("keys/admin.key", "KEY PEM");
  auto config = LoadKubeconfig(Write("config", Fill(kTwoContexts)), "robot");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->bearer_token, "s3cret-token");
  EXPECT_TRUE(config->client_cert_pem.empty());
}

TEST_F(KubeConfigTest, ErrorsNameTheFileAndTheFieldButNoCredential) {
  const std::string path = Write("config", Fill(kTwoContexts));
  auto missing = LoadKubeconfig(path, "nope");
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_NE(missing.status().message().find("contexts has no entry named \"nope\""),
            std::string::npos)
      << missing.status();
  std::string text = Fill(kTwoContexts);
  text.replace(text.find("client-key: keys/admin.key"), 26, "client-key-data: not*base64");
  auto bad = LoadKubeconfig(Write("bad", text), "");
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_NE(bad.status().message().find("user.client-key-data is not base64"), std::string::npos)
      << bad.status();
  EXPECT_EQ(bad.status().message().find("not*base64"), std::string::npos);
  EXPECT_TRUE(absl::IsInvalidArgument(LoadKubeconfig(Write("junk", "a: [b"), "").status()));
  EXPECT_TRUE(absl::IsNotFound(LoadKubeconfig((dir_ / "absent").string(), "").status()));
}

TEST_F(KubeConfigTest, InClusterReadsTheMountedServiceAccount) {
  Write("token", "tok\n");
  Write("ca.crt", "CA");
  Write("namespace", "gitdest-system\n");
  ::setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto config = InClusterConfig(dir_.string());
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://10.0.0.1:443");
  EXPECT_EQ(config->token_file, (dir_ / "token").string());
  EXPECT_EQ(config->namespace_, "gitdest-system");
  EXPECT_TRUE(absl::IsFailedPrecondition(InClusterConfig(dir_.string()).status()));
}

}  // namespace
}  // namespace gitdest::k8s
