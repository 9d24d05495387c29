// The bound on resync lists in flight (ControllerOptions::max_lists_in_flight): lists due
// beyond it wait in line, first asked first sent, one place per destination, and their
// destinations do not fail or reconcile again meanwhile; what a list lists is decided when
// it is sent; a list is timed from when it is sent; losing the lease or the destination
// takes it out of the line.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/conditions.h"
#include "tests/support/harness.h"

namespace gitdest::testing {
namespace {

using core::ObjectKey;

core::ControllerOptions WithListSlots(size_t slots) {
  core::ControllerOptions options = TestOptions();
  options.max_lists_in_flight = slots;
  return options;
}

class ListSlotsTest : public ::testing::Test {
 protected:
  explicit ListSlotsTest(size_t slots = 2) : h(WithListSlots(slots)) {}
  void SetUp() override { h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo")}); }
  void TearDown() override { EXPECT_TRUE(h.violation().ok()) << h.violation(); }

  // Each admitted destination lists its objects and files once: on admission.
  void AddDestinations(const std::vector<std::string>& names) {
    for (const std::string& name : names) {
      h.Feed(core::WatchRuleObserved{CaptureConfigMaps(name)});
      h.Feed(core::DestinationObserved{MakeDestination(name, "main", "f/" + name, h.now())});
    }
  }
  // The destinations listed since the last call, in sending order.
  std::vector<std::string> Listed() {
    std::vector<std::string> names;
    for (const auto& [at, effect] : h.TakeEffects()) {
      if (const auto* list = std::get_if<core::ResyncDestination>(&effect)) {
        names.push_back(list->destination.name);
      }
    }
    return names;
  }
  std::vector<std::string> Waiting() {
    std::vector<std::string> names;
    for (const ObjectKey& key : h.controller().lists_waiting()) names.push_back(key.name);
    return names;
  }
  size_t InFlight() { return h.controller().requests().CountInFlight(core::RequestKind::kList); }
  std::string ReadyReason(const std::string& name) {
    const core::Condition* c = core::FindCondition(
        h.controller().destinations().at(ObjectKey{"team", name}).status, core::kConditionReady);
    return c == nullptr ? "" : c->reason;
  }

  Harness h;
};

TEST_F(ListSlotsTest, ListsBeyondTheBoundWaitAndAreSentInTheOrderAsked) {
  AddDestinations({"d0", "d1", "d2", "d3", "d4"});
  EXPECT_EQ(Listed(), (std::vector<std::string>{"d0", "d1"}));
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"d2", "d3", "d4"}));
  EXPECT_EQ(InFlight(), 2u);
  // The answers free both slots: the two first in line go, the last still waits.
  ASSERT_EQ(h.DeliverResyncs(), 2);
  EXPECT_EQ(Listed(), (std::vector<std::string>{"d2", "d3"}));
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"d4"}));
  ASSERT_TRUE(h.Settle());
  EXPECT_EQ(Listed(), (std::vector<std::string>{"d4"}));
}

TEST_F(ListSlotsTest, AWaitingListNeitherFailsNorReconcilesItsDestination) {
  AddDestinations({"d0", "d1", "d2"});
  ASSERT_EQ(h.DeliverReads(), 1);  // the branch's one read: every destination is Ready
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"d2"}));
  EXPECT_EQ(ReadyReason("d2"), core::kReasonSynced);
  h.TakeFinished();
  // No list is ever answered: they take turns in the two slots, given up on at each
  // deadline, and no destination fails or reconciles for it.
  h.Advance(absl::Minutes(5));
  EXPECT_EQ(h.TakeFinished().size(), 0u);
  EXPECT_EQ(ReadyReason("d2"), core::kReasonSynced);
}

TEST_F(ListSlotsTest, AListTimesOutFromWhenItWasSentNotFromWhenItWasAsked) {
  AddDestinations({"d0", "d1", "d2"});  // d2 waits
  const absl::Duration timeout = h.controller().options().api_timeout;
  h.Advance(timeout / 2);
  ASSERT_EQ(h.DeliverResyncs(), 2);  // d2 is sent now
  const absl::Time sent = h.now();
  h.TakeEffects();
  h.Advance(timeout - absl::Milliseconds(1));  // past the timeout since it was asked
  EXPECT_EQ(Listed(), (std::vector<std::string>{}));
  EXPECT_EQ(InFlight(), 1u);
  h.Advance(absl::Milliseconds(1));  // never answered: given up, and asked again
  EXPECT_EQ(TimesOf<core::ResyncDestination>(h.TakeEffects()),
            (std::vector<absl::Time>{sent + timeout}));
}

TEST_F(ListSlotsTest, AnUnansweredListIsGivenUpAtItsDeadlineAndTheNextInLineTakesItsSlot) {
  AddDestinations({"d0", "d1", "d2", "d3"});  // d2 and d3 wait
  Listed();
  h.Advance(h.controller().options().api_timeout);  // neither d0 nor d1 is answered
  EXPECT_EQ(Listed(), (std::vector<std::string>{"d2", "d3"}));
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"d0", "d1"}));
}

TEST_F(ListSlotsTest, ADestinationNotAdmittedWhenItsTurnComesListsOnceAdmittedAgain) {
  AddDestinations({"d0", "d1", "d2", "d3"});  // d2 and d3 wait
  core::Destination d2 = h.controller().destinations().at({"team", "d2"}).destination;
  d2.spec.base_folder = "../outside";  // invalid: d2 is detached while it waits
  d2.generation = 2;
  h.Feed(core::DestinationObserved{d2});
  Listed();
  ASSERT_EQ(h.DeliverResyncs(), 2);
  EXPECT_EQ(Listed(), (std::vector<std::string>{"d3"}));  // d2's turn passed unlisted
  d2.spec.base_folder = "f/d2";
  d2.generation = 3;
  h.Feed(core::DestinationObserved{d2});  // admitted again
  EXPECT_EQ(Listed(), (std::vector<std::string>{"d2"}));
}

TEST_F(ListSlotsTest, LosingTheLeaseEmptiesTheLine) {
  AddDestinations({"d0", "d1", "d2", "d3"});
  h.Feed(core::LeaseLost{});
  EXPECT_EQ(Waiting(), (std::vector<std::string>{}));
  EXPECT_EQ(InFlight(), 0u);
  for (const auto& [key, rec] : h.controller().destinations()) {
    EXPECT_FALSE(rec.resync.waiting()) << key.ToString();
  }
}

TEST_F(ListSlotsTest, ADeletedDestinationLeavesTheLineAndIsNeverListed) {
  AddDestinations({"d0", "d1", "d2", "d3"});
  h.Feed(core::DestinationDeleted{{"team", "d2"}});
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"d3"}));
  ASSERT_TRUE(h.Settle());
  EXPECT_EQ(Listed(), (std::vector<std::string>{"d0", "d1", "d3"}));
}

// One slot: every list waits for the answer to the one before it.
class OneListSlotTest : public ListSlotsTest {
 protected:
  OneListSlotTest() : ListSlotsTest(1) {}
};

TEST_F(OneListSlotTest, EachAnswerSendsTheNextInLine) {
  AddDestinations({"d0", "d1", "d2"});
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"d1", "d2"}));
  for (const char* next : {"d0", "d1", "d2"}) {
    EXPECT_EQ(Listed(), (std::vector<std::string>{next}));
    EXPECT_EQ(InFlight(), 1u);
    ASSERT_EQ(h.DeliverResyncs(), 1);
  }
  EXPECT_EQ(InFlight(), 0u);
}

}  // namespace
}  // namespace gitdest::testing
