// The executor: effects run through the ports, results come back as inputs.
#include "core/executor.h"

#include <gtest/gtest.h>

#include "sim/sim_cluster.h"
#include "sim/sim_remote.h"
#include "tests/support/harness.h"

namespace gitdest::testing {
namespace {

class FixedClock : public core::Clock {
 public:
  absl::Time Now() override { return now; }
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
};

TEST(ExecutorTest, RunToQuiescenceDrivesAReconcileThroughThePorts) {
  sim::SimRemote remote;
  sim::SimCluster cluster;
  remote.CreateRepository(kRepoUrl);
  const std::string sha = remote.ExternalCommit(kRepoUrl, "main", "f", "x");
  core::Controller controller;
  core::SyncExecutor executor(remote, cluster);
  FixedClock clock;
  core::RunToQuiescence(controller, executor, clock, core::LeaseAcquired{});
  clock.now += controller.options().push_timeout;  // past the takeover's second resync
  core::RunToQuiescence(controller, executor, clock, core::TimerFired{});
  core::RunToQuiescence(controller, executor, clock,
                        core::ResourceTypesDiscovered{{ConfigMapType()}});
  core::RunToQuiescence(controller, executor, clock,
                        core::RepoConfigObserved{MakeRepoConfig("repo")});
  core::RunToQuiescence(controller, executor, clock,
                        core::WatchRuleObserved{CaptureConfigMaps("a")});
  const absl::Time wake = core::RunToQuiescence(
      controller, executor, clock,
      core::DestinationObserved{MakeDestination("a", "main", "apps", clock.now)});
  EXPECT_GT(wake, clock.now + absl::Minutes(8));  // next: the jittered requeue
  EXPECT_EQ(remote.reads(), 1);
  EXPECT_EQ(cluster.statuses().at({"team", "a"}).last_commit_sha, sha);

  // A captured change is pushed when the commit window closes.
  core::RunToQuiescence(controller, executor, clock,
                        core::ObjectChanged{ConfigMap("ns", "cm"), "uid-1", "1",
                                            core::ChangeOp::kCreate, "k: v\n", "bob"});
  clock.now += absl::Seconds(10);
  core::RunToQuiescence(controller, executor, clock, core::TimerFired{});
  EXPECT_EQ(remote.TreeAt(kRepoUrl, "main").at("apps/v1/configmaps/ns/cm.yaml"), "k: v\n");
  EXPECT_EQ(cluster.statuses().at({"team", "a"}).last_commit_sha, remote.Tip(kRepoUrl, "main"));

  // Events are recorded through the cluster port.
  core::RunToQuiescence(controller, executor, clock,
                        core::ObjectChanged{ConfigMap("ns", "../cm"), "uid-2", "2",
                                            core::ChangeOp::kCreate, "", "bob"});
  ASSERT_EQ(cluster.events().size(), 1u);
  EXPECT_EQ(cluster.events()[0].object, (core::ObjectKey{"team", "a"}));
  EXPECT_EQ(cluster.events()[0].reason, "InvalidObject");
  EXPECT_TRUE(controller.CheckInvariants().ok());
}

// A resync lists what its selectors name, no more; the folder's files come with it.
TEST(ExecutorTest, ResyncListsTheObjectsItsSelectorsName) {
  sim::SimRemote remote;
  sim::SimCluster cluster;
  remote.CreateRepository(kRepoUrl);
  remote.ExternalCommit(kRepoUrl, "main", "apps/v1/configmaps/prod/old.yaml", "x");
  const core::CapturedObject prod = cluster.SetObject(ConfigMap("prod", "cm"), "p", "alice");
  cluster.SetObject(ConfigMap("dev", "cm"), "d", "alice");
  const core::EffectRunner runner(remote, cluster);
  core::ResyncDestination resync;
  resync.request = 5;
  resync.destination = {"team", "a"};
  resync.remote = {{"team", "repo"}, kRepoUrl, {}, "main"};
  resync.base_folder = "apps";
  resync.timeout = absl::Seconds(30);
  resync.selectors = {{ConfigMapType().gvr, "prod"}};
  std::vector<core::Input> results;
  runner.Run(resync, [&](core::Input in) { results.push_back(std::move(in)); });
  ASSERT_EQ(results.size(), 1u);
  const auto& listed = std::get<core::ObjectsListed>(results[0]);
  EXPECT_EQ(listed.request, 5u);
  EXPECT_EQ(listed.destination, resync.destination);
  ASSERT_TRUE(listed.objects.ok()) << listed.objects.status();
  ASSERT_EQ(listed.objects->size(), 1u);
  EXPECT_EQ((*listed.objects)[0].resource, ConfigMap("prod", "cm"));
  EXPECT_EQ((*listed.objects)[0].content, "p");
  EXPECT_EQ((*listed.objects)[0].uid, prod.uid);
  EXPECT_EQ((*listed.objects)[0].resource_version, prod.resource_version);
  EXPECT_FALSE(prod.uid.empty());
  ASSERT_TRUE(listed.files.ok()) << listed.files.status();
  EXPECT_EQ(*listed.files, std::vector<std::string>{"apps/v1/configmaps/prod/old.yaml"});
}

// Watches are the adapter's informers, not a port call: nothing runs, nothing answers.
TEST(ExecutorTest, EnsureWatchesHasNoResult) {
  sim::SimRemote remote;
  sim::SimCluster cluster;
  const core::Effect watches = core::EnsureWatches{{ConfigMapType().gvr}};
  EXPECT_FALSE(core::EffectRunner::HasResult(watches));
  bool answered = false;
  core::EffectRunner(remote, cluster).Run(watches, [&](core::Input) { answered = true; });
  EXPECT_FALSE(answered);
  EXPECT_TRUE(cluster.events().empty());
}

}  // namespace
}  // namespace gitdest::testing
