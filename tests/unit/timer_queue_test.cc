#include "core/timer_queue.h"

#include <gtest/gtest.h>

namespace gitdest::core {
namespace {

const absl::Time t0 = absl::FromUnixSeconds(100);

TEST(TimerQueueTest, PopsInTimeThenKeyOrder) {
  TimerQueue q;
  q.Set(ObjectKey{"ns", "b"}, t0);
  q.Set(ObjectKey{"ns", "a"}, t0);
  q.Set(WorkerKey{{"ns", "r"}, "main"}, t0 - absl::Seconds(1));
  EXPECT_EQ(q.NextAt(), t0 - absl::Seconds(1));
  EXPECT_FALSE(q.PopDue(t0 - absl::Seconds(2)));
  EXPECT_TRUE(std::holds_alternative<WorkerKey>(*q.PopDue(t0)));
  EXPECT_EQ(std::get<ObjectKey>(*q.PopDue(t0)).name, "a");
  EXPECT_EQ(std::get<ObjectKey>(*q.PopDue(t0)).name, "b");
  EXPECT_FALSE(q.PopDue(t0));
  EXPECT_EQ(q.NextAt(), absl::InfiniteFuture());
}

TEST(TimerQueueTest, SetReplacesAndNoLaterThanOnlyMovesEarlier) {
  TimerQueue q;
  const ObjectKey k{"ns", "a"};
  q.Set(k, t0);
  q.Set(k, t0 + absl::Seconds(5));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.When(k), t0 + absl::Seconds(5));
  q.SetNoLaterThan(k, t0 + absl::Seconds(9));
  EXPECT_EQ(q.When(k), t0 + absl::Seconds(5));
  q.SetNoLaterThan(k, t0);
  EXPECT_EQ(q.When(k), t0);
  q.Cancel(k);
  EXPECT_FALSE(q.When(k));
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace gitdest::core
