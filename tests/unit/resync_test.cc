// Resync: a destination's level-based list as a value — asked once while needed, asked
// again when overdue or when what it was for changed, late answers ignored.
#include "core/resync.h"

#include <gtest/gtest.h>

namespace gitdest::core {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
const absl::Duration kTimeout = absl::Seconds(30);

TEST(ResyncTest, NothingIsDueUntilNeeded) {
  Resync resync;
  EXPECT_FALSE(resync.Due(kT0, kTimeout));
  resync.Need();
  EXPECT_TRUE(resync.Due(kT0, kTimeout));
}

TEST(ResyncTest, OneListInFlightUntilItIsOverdue) {
  Resync resync;
  resync.Need();
  resync.Asked(7, kT0, {});
  EXPECT_TRUE(resync.in_flight());
  EXPECT_FALSE(resync.Due(kT0 + kTimeout - absl::Milliseconds(1), kTimeout));
  EXPECT_TRUE(resync.Due(kT0 + kTimeout, kTimeout));
}

TEST(ResyncTest, TheAnswerReturnsThePathsQueuedWhenItWasAsked) {
  Resync resync;
  resync.Need();
  resync.Asked(7, kT0, {"apps/a.yaml", "apps/b.yaml"});
  const std::optional<std::set<std::string>> queued = resync.Answered(7);
  ASSERT_TRUE(queued.has_value());
  EXPECT_EQ(*queued, (std::set<std::string>{"apps/a.yaml", "apps/b.yaml"}));
  EXPECT_FALSE(resync.in_flight());
  EXPECT_TRUE(resync.needed()) << "only the caller knows whether the answer was usable";
  resync.Done();
  EXPECT_FALSE(resync.Due(kT0 + absl::Hours(1), kTimeout));
}

TEST(ResyncTest, LateAndUnknownAnswersAreIgnored) {
  Resync resync;
  resync.Need();
  resync.Asked(7, kT0, {});
  resync.Asked(8, kT0 + kTimeout, {});  // asked again: 7 was overdue
  EXPECT_FALSE(resync.Answered(7).has_value());
  EXPECT_FALSE(resync.Answered(99).has_value());
  EXPECT_TRUE(resync.in_flight());
  EXPECT_TRUE(resync.Answered(8).has_value());
  EXPECT_FALSE(resync.Answered(8).has_value()) << "an answer counts once";
}

TEST(ResyncTest, NeedAnewDropsTheListInFlightButNeedKeepsIt) {
  Resync kept;
  kept.Asked(7, kT0, {});
  kept.Need();  // the branch lost history: a list in flight lists what is there now
  EXPECT_TRUE(kept.in_flight());
  EXPECT_FALSE(kept.Due(kT0, kTimeout));

  Resync anew;
  anew.Asked(7, kT0, {});
  anew.NeedAnew();  // admitted to another target: that list was for the old one
  EXPECT_FALSE(anew.in_flight());
  EXPECT_TRUE(anew.Due(kT0, kTimeout));
  EXPECT_FALSE(anew.Answered(7).has_value());
}

TEST(ResyncTest, ForgetEndsEverything) {
  Resync resync;
  resync.Need();
  resync.Asked(7, kT0, {"apps/a.yaml"});
  resync.Forget();
  EXPECT_FALSE(resync.needed());
  EXPECT_FALSE(resync.in_flight());
  EXPECT_FALSE(resync.Answered(7).has_value());
}

}  // namespace
}  // namespace gitdest::core
