// Resync: a destination's level-based list as a value — asked once while needed, asked
// again when overdue or when what it was for changed. Its request in flight lives in the
// registry (core/requests.h), which ignores late answers (requests_test.cc).
#include "core/resync.h"

#include <gtest/gtest.h>

namespace gitdest::core {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
const absl::Duration kTimeout = absl::Seconds(30);

Request ListSentAt(absl::Time at) {
  return Request{7, RequestKind::kList, DestinationOwner({"team", "a"}), at};
}

TEST(ResyncTest, NothingIsDueUntilNeeded) {
  Resync resync;
  EXPECT_FALSE(resync.Due(nullptr, kT0, kTimeout));
  resync.Need();
  EXPECT_TRUE(resync.Due(nullptr, kT0, kTimeout));
}

TEST(ResyncTest, OneListInFlightUntilItIsOverdue) {
  Resync resync;
  resync.Need();
  resync.Asked({});
  const Request in_flight = ListSentAt(kT0);
  EXPECT_FALSE(resync.Due(&in_flight, kT0 + kTimeout - absl::Milliseconds(1), kTimeout));
  EXPECT_TRUE(resync.Due(&in_flight, kT0 + kTimeout, kTimeout));
}

TEST(ResyncTest, TheAnswerReturnsThePathsQueuedWhenItWasAsked) {
  Resync resync;
  resync.Need();
  resync.Asked({"apps/a.yaml", "apps/b.yaml"});
  EXPECT_EQ(resync.Answered(), (std::set<std::string>{"apps/a.yaml", "apps/b.yaml"}));
  EXPECT_TRUE(resync.needed()) << "only the caller knows whether the answer was usable";
  resync.Done();
  EXPECT_FALSE(resync.Due(nullptr, kT0 + absl::Hours(1), kTimeout));
}

TEST(ResyncTest, NeedAnewDropsThePathsOfTheListInFlightButNeedKeepsThem) {
  Resync kept;
  kept.Asked({"apps/a.yaml"});
  kept.Need();  // the branch lost history: a list in flight lists what is there now
  const Request in_flight = ListSentAt(kT0);
  EXPECT_FALSE(kept.Due(&in_flight, kT0, kTimeout));
  EXPECT_EQ(kept.Answered(), std::set<std::string>{"apps/a.yaml"});

  Resync anew;
  anew.Asked({"apps/a.yaml"});
  anew.NeedAnew();  // admitted to another target: that list was for the old one
  EXPECT_TRUE(anew.Due(nullptr, kT0, kTimeout));  // its caller forgot the request
  EXPECT_TRUE(anew.Answered().empty());
}

TEST(ResyncTest, ForgetEndsEverything) {
  Resync resync;
  resync.Need();
  resync.Asked({"apps/a.yaml"});
  resync.Forget();
  EXPECT_FALSE(resync.needed());
  EXPECT_TRUE(resync.Answered().empty());
}

}  // namespace
}  // namespace gitdest::core
