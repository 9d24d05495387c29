// gitdest-controller's flags: Kubernetes' spelling, the environment under them, and
// errors that name the flag and what it takes.
#include "adapters/k8s/flags.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace gitdest::k8s {
namespace {

TEST(FlagsTest, DefaultsAreTheProducts) {
  auto f = ParseControllerFlags({});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->leader_elect);
  EXPECT_EQ(f->metadata_cache_ttl, absl::Seconds(30));
  EXPECT_EQ(f->requeue_interval, absl::Minutes(10));
  EXPECT_EQ(f->health_port, 8081);
  EXPECT_EQ(f->metrics_port, 8080);
}

TEST(FlagsTest, BothSpellingsOfAValueAndBareBooleans) {
  auto f = ParseControllerFlags({"--cache-dir", "/c", "--log-format=json", "--leader-elect=false",
                                 "--metadata-cache-ttl=1m30s", "--kube-api-qps=5.5"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->cache_dir, "/c");
  EXPECT_EQ(f->log_format, "json");
  EXPECT_FALSE(f->leader_elect);
  EXPECT_EQ(f->metadata_cache_ttl, absl::Seconds(90));
  EXPECT_EQ(f->kube_api_qps, 5.5);
  EXPECT_TRUE(ParseControllerFlags({"--leader-elect"})->leader_elect);
  EXPECT_TRUE(ParseControllerFlags({"--help"})->help);
}

TEST(FlagsTest, TheEnvironmentUnderTheFlags) {
  ::setenv("GITDEST_LOG_LEVEL", "debug", 1);
  ::setenv("GITDEST_METRICS_PORT", "9999", 1);
  auto f = ParseControllerFlags({"--metrics-port=1234"});
  ::unsetenv("GITDEST_LOG_LEVEL");
  ::unsetenv("GITDEST_METRICS_PORT");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->log_level, "debug");
  EXPECT_EQ(f->metrics_port, 1234);
}

TEST(FlagsTest, ErrorsNameTheFlagAndWhatItTakes) {
  auto message = [](std::vector<std::string> args) {
    return std::string(ParseControllerFlags(args).status().message());
  };
  EXPECT_EQ(message({"--nope=1"}), "unknown flag --nope; --help lists them");
  EXPECT_EQ(message({"--log-format=xml"}), "--log-format: takes text or json (got \"xml\")");
  EXPECT_EQ(message({"--health-port=-1"}), "--health-port: takes an integer ≥ 0 (got \"-1\")");
  EXPECT_EQ(
      message({"--requeue-interval=soon"}),
      "--requeue-interval: takes a positive duration such as 30s, 2m or 1h30m (got \"soon\")");
  EXPECT_EQ(message({"--cache-dir"}), "--cache-dir needs a value");
  EXPECT_EQ(message({"stray"}), "unexpected argument \"stray\"; flags look like --name=value");
  EXPECT_NE(message({"--lease-duration=5s", "--renew-deadline=5s"}).find("--renew-deadline"),
            std::string::npos);
  ::setenv("GITDEST_API_WORKERS", "0", 1);
  EXPECT_EQ(message({}), "GITDEST_API_WORKERS: takes an integer ≥ 1 (got \"0\")");
  ::unsetenv("GITDEST_API_WORKERS");
}

TEST(FlagsTest, UsageListsEveryFlagWithItsDefault) {
  const std::string usage = ControllerUsage();
  for (const char* flag : {"--kubeconfig", "--leader-elect", "--cache-dir", "--metrics-port",
                           "--health-port", "--trace-file", "--log-format", "--kube-api-qps"}) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(usage.find("(default 30s)"), std::string::npos) << usage;
}

}  // namespace
}  // namespace gitdest::k8s
