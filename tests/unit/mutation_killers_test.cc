// Tests written to kill mutants (scripts/mutants/) that the other suites let survive:
// each pins down one rule whose breakage went unnoticed. `make mutation` shows which
// mutant each one kills.
#include <gtest/gtest.h>

#include <vector>

#include "core/conditions.h"
#include "tests/support/harness.h"

namespace gitdest::testing {
namespace {

using core::ObjectKey;

// The times at which effects of kind E were emitted, oldest first.
template <class E>
std::vector<absl::Time> TimesOf(const std::vector<Harness::TimedEffect>& effects) {
  std::vector<absl::Time> times;
  for (const auto& [at, effect] : effects) {
    if (std::holds_alternative<E>(effect)) times.push_back(at);
  }
  return times;
}

std::vector<absl::Duration> Gaps(const std::vector<absl::Time>& times) {
  std::vector<absl::Duration> gaps;
  for (size_t i = 1; i < times.size(); ++i) gaps.push_back(times[i] - times[i - 1]);
  return gaps;
}

class MutationKillersTest : public ::testing::Test {
 protected:
  explicit MutationKillersTest(core::ControllerOptions options = TestOptions()) : h(options) {}
  void SetUp() override { h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo")}); }
  void TearDown() override { EXPECT_TRUE(h.violation().ok()) << h.violation(); }

  void AddDestination(const std::string& name, const std::string& folder) {
    h.Feed(core::WatchRuleObserved{CaptureConfigMaps(name)});
    h.Feed(core::DestinationObserved{MakeDestination(name, "main", folder, h.now())});
  }
  void Change(const std::string& object, const std::string& content) {
    h.Feed(h.Changed(ConfigMap("prod", object), core::ChangeOp::kUpdate, content));
  }
  const core::DestinationStatus& Status(const std::string& name) {
    return h.controller().destinations().at(ObjectKey{"team", name}).status;
  }

  Harness h;
};

// Kills 18-read-result-not-cached: every read refreshes the cache, not only the first,
// so a reconcile within the TTL of the latest read is answered at once, from it.
TEST_F(MutationKillersTest, EveryReadRefreshesTheCache) {
  AddDestination("a", "fa");
  ASSERT_TRUE(h.Settle());
  h.Advance(absl::Seconds(31));  // the first read is stale now
  AddDestination("b", "fb");
  ASSERT_EQ(h.reads_issued().size(), 2u);
  ASSERT_TRUE(h.Settle());
  const absl::Time second_read = Status("b").last_sync_time;
  h.Advance(absl::Seconds(10));
  AddDestination("c", "fc");  // 10 s after the second read: a cache hit
  EXPECT_EQ(h.reads_issued().size(), 2u);
  const core::Condition* ready = core::FindCondition(Status("c"), core::kConditionReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, core::ConditionStatus::kTrue);
  EXPECT_EQ(Status("c").last_sync_time, second_read);
}

// Kills 17-backoff-uncapped (reads): failed reads back off 30 s, 60 s, ... and never
// wait longer than read_retry_delay_max.
TEST_F(MutationKillersTest, ReadRetriesBackOffUpToTheCap) {
  h.remote.FailNextReads(1000, absl::UnavailableError("connection refused"), "main");
  AddDestination("a", "fa");
  ASSERT_TRUE(h.AdvanceSettling(absl::Hours(1)));
  const std::vector<absl::Duration> gaps = Gaps(TimesOf<core::FetchMetadata>(h.TakeEffects()));
  const absl::Duration cap = h.controller().options().read_retry_delay_max;
  ASSERT_GE(gaps.size(), 8u);
  EXPECT_EQ(gaps[0], h.controller().options().metadata_cache_ttl);
  EXPECT_EQ(gaps[1], 2 * gaps[0]);
  for (absl::Duration gap : gaps) EXPECT_LE(gap, cap);
  EXPECT_EQ(gaps.back(), cap);  // it reached the cap and stayed there
}

// Kills 17-backoff-uncapped (pushes): a push that keeps failing is retried after 1 s,
// 2 s, 4 s, ... and never later than push_retry_delay_max.
TEST_F(MutationKillersTest, PushRetriesBackOffUpToTheCap) {
  AddDestination("a", "fa");
  ASSERT_TRUE(h.Settle());
  h.remote.FailNextPushes(1000, absl::UnavailableError("503"));
  Change("one", "1");
  ASSERT_TRUE(h.AdvanceSettling(absl::Hours(1)));
  const std::vector<absl::Duration> gaps = Gaps(TimesOf<core::PushBatch>(h.TakeEffects()));
  const absl::Duration cap = h.controller().options().push_retry_delay_max;
  ASSERT_GE(gaps.size(), 12u);
  EXPECT_EQ(gaps[0], h.controller().options().push_retry_delay_min);
  for (absl::Duration gap : gaps) EXPECT_LE(gap, cap);
  EXPECT_EQ(gaps.back(), cap);
}

class CoalescingKillersTest : public MutationKillersTest {
 protected:
  static core::ControllerOptions SmallQueue() {
    core::ControllerOptions options = TestOptions();
    options.max_pending_changes = 4;
    return options;
  }
  CoalescingKillersTest() : MutationKillersTest(SmallQueue()) {}
};

// Kills 14-coalesce-keeps-oldest: when the very last change overflows the queue, the
// coalesced queue holds the latest content of each path, in the order of those latest
// changes — the final state is what the cluster holds.
TEST_F(CoalescingKillersTest, OverflowOnTheLastChangeKeepsTheLatestContentPerPath) {
  AddDestination("a", "fa");
  ASSERT_TRUE(h.Settle());
  for (const char* content : {"x1", "y1", "x2", "y2", "x3"}) {
    Change(std::string("cm-") + content[0], content);
  }
  const auto& workers = h.controller().workers().workers();
  ASSERT_EQ(workers.size(), 1u);
  const auto& pending = workers.begin()->second.pending();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].content, "y2");
  EXPECT_EQ(pending[1].content, "x3");
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  const sim::Tree tree = h.remote.TreeAt(kRepoUrl, "main");
  EXPECT_EQ(tree.at("fa/v1/configmaps/prod/cm-x.yaml"), "x3");
  EXPECT_EQ(tree.at("fa/v1/configmaps/prod/cm-y.yaml"), "y2");
}

}  // namespace
}  // namespace gitdest::testing
