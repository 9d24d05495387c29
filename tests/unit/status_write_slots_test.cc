// The bound on status writes in flight (ControllerOptions::max_status_writes_in_flight),
// over every kind of object the controller writes a status to: writes due beyond it wait
// in line, first due first sent, one place per object; the status sent is the one current
// when its turn comes; a write is timed from when it is sent; losing the lease or the
// object takes it out of the line.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/harness.h"

namespace gitdest::testing {
namespace {

using core::ObjectKey;
using core::ResourceKind;
using core::StatusTarget;

core::ControllerOptions WithWriteSlots(size_t slots) {
  core::ControllerOptions options = TestOptions();
  options.max_status_writes_in_flight = slots;
  return options;
}

class StatusWriteSlotsTest : public ::testing::Test {
 protected:
  explicit StatusWriteSlotsTest(size_t slots = 2) : h(WithWriteSlots(slots)) {}
  void TearDown() override { EXPECT_TRUE(h.violation().ok()) << h.violation(); }

  // A destination whose GitRepoConfig does not exist: its reconcile writes its status at
  // once (RepoConfigNotFound), with no read before it.
  core::Destination Orphan(const std::string& name, int64_t generation = 1) {
    core::Destination d = MakeDestination(name, "main", "f/" + name, start_, "missing");
    d.generation = generation;
    d.resource_version = std::to_string(generation);
    return d;
  }
  void AddOrphans(const std::vector<std::string>& names) {
    for (const std::string& name : names) h.Feed(core::DestinationObserved{Orphan(name)});
  }
  // The names of the objects whose status was sent since the last call, in sending order.
  std::vector<std::string> Sent() {
    std::vector<std::string> names;
    for (const auto& [at, effect] : h.TakeEffects()) {
      if (const auto* write = std::get_if<core::WriteStatus>(&effect)) {
        names.push_back(write->target.key.name);
      }
    }
    return names;
  }
  std::vector<std::string> Waiting() {
    std::vector<std::string> names;
    for (const StatusTarget& target : h.controller().status_writes_waiting()) {
      names.push_back(target.key.name);
    }
    return names;
  }
  size_t InFlight() {
    return h.controller().requests().CountInFlight(core::RequestKind::kStatusWrite);
  }

  Harness h;
  absl::Time start_ = h.now();
};

TEST_F(StatusWriteSlotsTest, WritesBeyondTheBoundWaitAndAreSentInTheOrderTheyFellDue) {
  AddOrphans({"d0", "d1", "d2", "d3", "d4"});
  EXPECT_EQ(Sent(), (std::vector<std::string>{"d0", "d1"}));
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"d2", "d3", "d4"}));
  EXPECT_EQ(InFlight(), 2u);

  // The answers free both slots: the two first in line go, the last still waits.
  ASSERT_EQ(h.DeliverStatusWrites(), 2);
  EXPECT_EQ(Sent(), (std::vector<std::string>{"d2", "d3"}));
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"d4"}));
  ASSERT_TRUE(h.Settle());
  EXPECT_EQ(Sent(), (std::vector<std::string>{"d4"}));
  EXPECT_EQ(InFlight(), 0u);
}

TEST_F(StatusWriteSlotsTest, GitRepoConfigsAndRulesWaitInTheSameLineAsDestinations) {
  AddOrphans({"d0", "d1"});
  h.Feed(core::WatchRuleObserved{CaptureConfigMaps("nobody")});  // DestinationNotFound
  h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo")});      // Checking
  AddOrphans({"d2"});
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"capture-nobody", "repo", "d2"}));
  ASSERT_TRUE(h.Settle());
  EXPECT_EQ(Sent(), (std::vector<std::string>{"d0", "d1", "capture-nobody", "repo", "d2"}));
}

TEST_F(StatusWriteSlotsTest, AWaitingObjectHoldsOnePlaceAndItsLatestStatusIsWrittenOnce) {
  AddOrphans({"d0", "d1", "d2"});
  // d2's spec changes three times while it waits: each reconcile computes a new status.
  for (int64_t generation = 2; generation <= 4; ++generation) {
    h.Feed(core::DestinationObserved{Orphan("d2", generation)});
  }
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"d2"}));
  ASSERT_TRUE(h.Settle());
  std::vector<core::WriteStatus> writes;
  for (const auto& [at, effect] : h.TakeEffects()) {
    const auto* write = std::get_if<core::WriteStatus>(&effect);
    if (write != nullptr && write->target.key.name == "d2") writes.push_back(*write);
  }
  ASSERT_EQ(writes.size(), 1u);
  // The status and resourceVersion as they were when its turn came.
  EXPECT_EQ(std::get<core::DestinationStatus>(writes[0].status).observed_generation, 4);
  EXPECT_EQ(writes[0].resource_version, "4");
}

TEST_F(StatusWriteSlotsTest, AWriteTimesOutFromWhenItWasSentNotFromWhenItFellDue) {
  AddOrphans({"d0", "d1", "d2"});  // d2 waits
  const absl::Duration timeout = h.controller().options().api_timeout;
  h.Advance(timeout / 2);
  ASSERT_EQ(h.DeliverStatusWrites(), 2);  // d2 is sent now
  const absl::Time sent = h.now();
  h.TakeEffects();
  h.Advance(timeout - absl::Milliseconds(1));  // past the timeout since it fell due
  EXPECT_EQ(Sent(), (std::vector<std::string>{}));
  EXPECT_EQ(InFlight(), 1u);
  h.Advance(absl::Milliseconds(1));  // its port never answered: given up, written again
  const std::vector<Harness::TimedEffect> effects = h.TakeEffects();
  EXPECT_EQ(TimesOf<core::WriteStatus>(effects), (std::vector<absl::Time>{sent + timeout}));
}

TEST_F(StatusWriteSlotsTest, AnUnansweredWriteIsGivenUpAtItsDeadlineAndTheNextInLineTakesItsSlot) {
  AddOrphans({"d0", "d1", "d2", "d3"});  // d2 and d3 wait
  Sent();
  h.Advance(h.controller().options().api_timeout);  // neither d0 nor d1 is answered
  // Their slots go to those that waited; they join the line again, behind them.
  EXPECT_EQ(Sent(), (std::vector<std::string>{"d2", "d3"}));
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"d0", "d1"}));
  EXPECT_EQ(InFlight(), 2u);
}

TEST_F(StatusWriteSlotsTest, LosingTheLeaseEmptiesTheLine) {
  AddOrphans({"d0", "d1", "d2", "d3"});
  h.Feed(core::LeaseLost{});
  EXPECT_EQ(Waiting(), (std::vector<std::string>{}));
  EXPECT_EQ(InFlight(), 0u);
  for (const auto& [key, rec] : h.controller().destinations()) {
    EXPECT_FALSE(rec.status_write.waiting()) << key.ToString();
  }
}

TEST_F(StatusWriteSlotsTest, ADeletedObjectLeavesTheLineAndIsNeverWritten) {
  AddOrphans({"d0", "d1", "d2", "d3"});
  h.Feed(core::WatchRuleObserved{CaptureConfigMaps("nobody")});
  h.Feed(core::DestinationDeleted{{"team", "d2"}});
  h.Feed(core::WatchRuleDeleted{{"", "capture-nobody"}});
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"d3"}));
  ASSERT_TRUE(h.Settle());
  EXPECT_EQ(Sent(), (std::vector<std::string>{"d0", "d1", "d3"}));
}

// One slot: every write waits for the answer to the one before it.
class OneStatusWriteSlotTest : public StatusWriteSlotsTest {
 protected:
  OneStatusWriteSlotTest() : StatusWriteSlotsTest(1) {}
};

TEST_F(OneStatusWriteSlotTest, EachAnswerSendsTheNextInLine) {
  AddOrphans({"d0", "d1", "d2"});
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"d1", "d2"}));
  for (const char* next : {"d0", "d1", "d2"}) {
    EXPECT_EQ(Sent(), (std::vector<std::string>{next}));
    EXPECT_EQ(InFlight(), 1u);
    ASSERT_EQ(h.DeliverStatusWrites(), 1);
  }
  EXPECT_EQ(InFlight(), 0u);
}

}  // namespace
}  // namespace gitdest::testing
