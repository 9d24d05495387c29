// WalkCadence: after which steps the simulator's step checker walks the controller's whole
// state (Controller::CheckInvariants). Every step that decided something — an effect
// emitted, the next wake-up moved — is walked; a run of quiet steps is walked at its
// kMaxQuietSteps-th, so that a state a quiet step broke is found within that many steps.
#include <gtest/gtest.h>

#include "sim/state_checker.h"

namespace gitdest::sim {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

core::Output Quiet(absl::Time wake_at) { return core::Output{{}, wake_at}; }

core::Output Deciding(absl::Time wake_at) {
  core::Output out{{}, wake_at};
  out.effects.push_back(core::RequeueAfter{{"team", "a"}, absl::Minutes(10)});
  return out;
}

TEST(WalkCadenceTest, EveryStepIsWalkedWhenAskedFor) {
  WalkCadence cadence(InvariantWalk::kEveryStep);
  for (int i = 0; i < 3 * WalkCadence::kMaxQuietSteps; ++i) {
    EXPECT_TRUE(cadence.Due(Quiet(kT0))) << "step " << i;
  }
}

TEST(WalkCadenceTest, AStepThatEmitsAnEffectIsWalked) {
  WalkCadence cadence(InvariantWalk::kAfterDecisions);
  ASSERT_TRUE(cadence.Due(Quiet(kT0))) << "the first step moves the wake-up from +inf";
  for (int i = 0; i < 3 * WalkCadence::kMaxQuietSteps; ++i) {
    EXPECT_TRUE(cadence.Due(Deciding(kT0))) << "step " << i;
  }
}

TEST(WalkCadenceTest, AStepThatMovesTheWakeUpIsWalked) {
  WalkCadence cadence(InvariantWalk::kAfterDecisions);
  ASSERT_TRUE(cadence.Due(Quiet(kT0)));
  EXPECT_FALSE(cadence.Due(Quiet(kT0)));
  EXPECT_TRUE(cadence.Due(Quiet(kT0 + absl::Seconds(1)))) << "later";
  EXPECT_TRUE(cadence.Due(Quiet(kT0))) << "earlier";
  EXPECT_TRUE(cadence.Due(Quiet(absl::InfiniteFuture()))) << "none";
}

TEST(WalkCadenceTest, ARunOfQuietStepsIsWalkedAtItsBound) {
  WalkCadence cadence(InvariantWalk::kAfterDecisions);
  ASSERT_TRUE(cadence.Due(Deciding(kT0)));
  for (int round = 0; round < 3; ++round) {
    for (int i = 1; i < WalkCadence::kMaxQuietSteps; ++i) {
      EXPECT_FALSE(cadence.Due(Quiet(kT0))) << "round " << round << ", quiet step " << i;
    }
    EXPECT_TRUE(cadence.Due(Quiet(kT0))) << "round " << round << ": the bound";
  }
  // A decision starts the count again.
  for (int i = 1; i < WalkCadence::kMaxQuietSteps - 2; ++i) EXPECT_FALSE(cadence.Due(Quiet(kT0)));
  EXPECT_TRUE(cadence.Due(Deciding(kT0)));
  for (int i = 1; i < WalkCadence::kMaxQuietSteps; ++i) EXPECT_FALSE(cadence.Due(Quiet(kT0)));
  EXPECT_TRUE(cadence.Due(Quiet(kT0)));
}

}  // namespace
}  // namespace gitdest::sim
