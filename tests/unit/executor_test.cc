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
  core::RunToQuiescence(controller, executor, clock,
                        core::RepoConfigObserved{MakeRepoConfig("repo")});
  const absl::Time wake = core::RunToQuiescence(
      controller, executor, clock,
      core::DestinationObserved{MakeDestination("a", "main", "apps", clock.now)});
  EXPECT_GT(wake, clock.now + absl::Minutes(8));  // next: the jittered requeue
  EXPECT_EQ(remote.reads(), 1);
  EXPECT_EQ(cluster.statuses().at({"team", "a"}).last_commit_sha, sha);

  // A captured change is pushed when the commit window closes.
  core::RunToQuiescence(
      controller, executor, clock,
      core::ResourceChanged{
          {"team", "a"}, ConfigMap("ns", "cm"), core::ChangeOp::kCreate, "k: v\n", "bob"});
  clock.now += absl::Seconds(10);
  core::RunToQuiescence(controller, executor, clock, core::TimerFired{});
  EXPECT_EQ(remote.TreeAt(kRepoUrl, "main").at("apps/v1/configmaps/ns/cm.yaml"), "k: v\n");
  EXPECT_EQ(cluster.statuses().at({"team", "a"}).last_commit_sha, remote.Tip(kRepoUrl, "main"));

  // Events are recorded through the cluster port.
  core::RunToQuiescence(
      controller, executor, clock,
      core::ResourceChanged{
          {"team", "nope"}, ConfigMap("ns", "cm"), core::ChangeOp::kCreate, "", "bob"});
  ASSERT_EQ(cluster.events().size(), 1u);
  EXPECT_EQ(cluster.events()[0].reason, "ChangeNotWritten");
  EXPECT_TRUE(controller.CheckInvariants().ok());
}

}  // namespace
}  // namespace gitdest::testing
