// The bound on remote reads in flight (ControllerOptions::max_reads_in_flight): reads
// asked beyond it wait, first asked first sent; their destinations wait with them (they
// do not fail); a read's TTL, deadline and read time run from when it is sent.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/conditions.h"
#include "tests/support/harness.h"

namespace gitdest::testing {
namespace {

using core::ConditionStatus;
using core::ObjectKey;

core::ControllerOptions WithReadSlots(size_t slots) {
  core::ControllerOptions options = TestOptions();
  options.max_reads_in_flight = slots;
  return options;
}

class ReadSlotsTest : public ::testing::Test {
 protected:
  explicit ReadSlotsTest(size_t slots = 2) : h(WithReadSlots(slots)) {}
  void SetUp() override { h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo")}); }
  void TearDown() override { EXPECT_TRUE(h.violation().ok()) << h.violation(); }

  void AddDestination(const std::string& name, const std::string& branch) {
    h.Feed(core::WatchRuleObserved{CaptureConfigMaps(name)});
    h.Feed(core::DestinationObserved{MakeDestination(name, branch, "f/" + name, h.now())});
  }
  const core::DestinationStatus& Status(const std::string& name) {
    return h.controller().destinations().at(ObjectKey{"team", name}).status;
  }
  std::string ReadyReason(const std::string& name) {
    const core::Condition* c = core::FindCondition(Status(name), core::kConditionReady);
    return c == nullptr ? "" : c->reason;
  }
  // The branches of the reads sent so far, in the order they were sent.
  std::vector<std::string> BranchesRead() const {
    std::vector<std::string> branches;
    for (const core::FetchMetadata& read : h.reads_issued()) {
      branches.push_back(read.remote.branch);
    }
    return branches;
  }
  std::vector<std::string> BranchesWaiting() {
    std::vector<std::string> branches;
    for (const core::WorkerKey& key : h.controller().reads_waiting()) {
      branches.push_back(key.branch);
    }
    return branches;
  }
  size_t ReadsInFlight() {
    return h.controller().requests().CountInFlight(core::RequestKind::kMetadataRead);
  }

  Harness h;
};

TEST_F(ReadSlotsTest, ReadsBeyondTheBoundWaitAndAreSentInTheOrderAsked) {
  for (const char* branch : {"b0", "b1", "b2", "b3", "b4"}) {
    AddDestination(std::string("d-") + branch, branch);
  }
  EXPECT_EQ(BranchesRead(), (std::vector<std::string>{"b0", "b1"}));
  EXPECT_EQ(BranchesWaiting(), (std::vector<std::string>{"b2", "b3", "b4"}));
  EXPECT_EQ(ReadsInFlight(), 2u);
  // Waiting is not failing: nothing is decided for them until their read answers.
  EXPECT_EQ(ReadyReason("d-b2"), "");
  EXPECT_FALSE(h.controller().ReconcileAt(ObjectKey{"team", "d-b2"}).has_value());

  // The answers free both slots: the two oldest waiting reads go, the last still waits.
  h.Advance(absl::Seconds(15));
  ASSERT_EQ(h.DeliverReads(), 2);
  EXPECT_EQ(ReadyReason("d-b0"), core::kReasonSynced);
  EXPECT_EQ(BranchesRead(), (std::vector<std::string>{"b0", "b1", "b2", "b3"}));
  EXPECT_EQ(BranchesWaiting(), (std::vector<std::string>{"b4"}));
  const absl::Time sent = h.now();

  // Past the read timeout since they were asked, but not since they were sent: no
  // timeout, they are answered, and the status shows when the remote was read (sent).
  h.Advance(h.controller().options().read_timeout - absl::Seconds(1));
  EXPECT_EQ(ReadyReason("d-b2"), "");
  ASSERT_EQ(h.DeliverReads(), 2);
  EXPECT_EQ(ReadyReason("d-b2"), core::kReasonSynced);
  EXPECT_EQ(Status("d-b2").last_sync_time, sent);
  EXPECT_EQ(BranchesWaiting(), (std::vector<std::string>{}));
  EXPECT_EQ(BranchesRead().back(), "b4");
  ASSERT_TRUE(h.Settle());
  EXPECT_EQ(ReadyReason("d-b4"), core::kReasonSynced);
}

TEST_F(ReadSlotsTest, ASentReadTimesOutFromWhenItWasSent) {
  AddDestination("a", "b0");
  AddDestination("b", "b1");
  AddDestination("c", "b2");  // waits
  h.Advance(absl::Seconds(10));
  ASSERT_EQ(h.DeliverReads(), 2);  // b2's read is sent now
  h.Advance(h.controller().options().read_timeout - absl::Milliseconds(1));
  EXPECT_EQ(ReadyReason("c"), "");
  h.Advance(absl::Milliseconds(1));  // its port never answered
  EXPECT_EQ(ReadyReason("c"), core::kReasonFetchFailed);
  EXPECT_EQ(ReadsInFlight(), 0u);
}

TEST_F(ReadSlotsTest, DestinationsOfABranchShareItsWaitingRead) {
  AddDestination("a", "b0");
  AddDestination("b", "b1");
  AddDestination("c1", "b2");
  AddDestination("c2", "b2");  // joins the read of b2 that waits
  EXPECT_EQ(BranchesWaiting(), (std::vector<std::string>{"b2"}));
  ASSERT_TRUE(h.Settle());
  EXPECT_EQ(BranchesRead(), (std::vector<std::string>{"b0", "b1", "b2"}));
  EXPECT_EQ(ReadyReason("c1"), core::kReasonSynced);
  EXPECT_EQ(ReadyReason("c2"), core::kReasonSynced);
}

TEST_F(ReadSlotsTest, AWaitingReadOfARetiredWorkerIsNeverSent) {
  AddDestination("a", "b0");
  AddDestination("b", "b1");
  AddDestination("c", "b2");                        // waits
  h.Feed(core::DestinationDeleted{{"team", "c"}});  // its worker retires
  EXPECT_EQ(BranchesWaiting(), (std::vector<std::string>{}));
  ASSERT_TRUE(h.Settle());
  EXPECT_EQ(BranchesRead(), (std::vector<std::string>{"b0", "b1"}));
}

TEST_F(ReadSlotsTest, LosingTheLeaseForgetsTheWaitingReads) {
  AddDestination("a", "b0");
  AddDestination("b", "b1");
  AddDestination("c", "b2");  // waits
  h.Feed(core::LeaseLost{});
  EXPECT_EQ(BranchesWaiting(), (std::vector<std::string>{}));
  EXPECT_EQ(ReadsInFlight(), 0u);
}

// One slot: every read waits for the one before it to be answered.
class OneReadSlotTest : public ReadSlotsTest {
 protected:
  OneReadSlotTest() : ReadSlotsTest(1) {}
};

TEST_F(OneReadSlotTest, EveryReadWaitsForTheOneSlot) {
  AddDestination("a", "b0");
  AddDestination("b", "b1");
  AddDestination("c", "b2");
  EXPECT_EQ(BranchesWaiting(), (std::vector<std::string>{"b1", "b2"}));
  for (int answered = 1; answered <= 3; ++answered) {
    EXPECT_EQ(ReadsInFlight(), 1u);
    ASSERT_EQ(h.DeliverReads(), 1);
  }
  EXPECT_EQ(BranchesRead(), (std::vector<std::string>{"b0", "b1", "b2"}));
  ASSERT_TRUE(h.Settle());
  EXPECT_EQ(ReadyReason("c"), core::kReasonSynced);
}

}  // namespace
}  // namespace gitdest::testing
