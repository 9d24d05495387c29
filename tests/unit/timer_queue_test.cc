#include "core/timer_queue.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <vector>

namespace gitdest::core {
namespace {

const absl::Time t0 = absl::FromUnixSeconds(100);

TEST(TimerQueueTest, PopsInTimeThenIdOrder) {
  TimerQueue q;
  q.Set(7, t0);
  q.Set(3, t0);
  q.Set(uint64_t{1} << 32, t0 - absl::Seconds(1));
  EXPECT_EQ(q.NextAt(), t0 - absl::Seconds(1));
  EXPECT_FALSE(q.PopDue(t0 - absl::Seconds(2)));
  EXPECT_EQ(q.PopDue(t0), uint64_t{1} << 32);
  EXPECT_EQ(q.PopDue(t0), 3u);
  EXPECT_EQ(q.PopDue(t0), 7u);
  EXPECT_FALSE(q.PopDue(t0));
  EXPECT_EQ(q.NextAt(), absl::InfiniteFuture());
}

TEST(TimerQueueTest, SetReplacesAndNoLaterThanOnlyMovesEarlier) {
  TimerQueue q;
  const TimerId k = 42;
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

// The order and the times the queue gives back are absl::Time's own, to the quarter
// nanosecond, from InfinitePast to InfiniteFuture, for every kind of id and a large slot.
TEST(TimerQueueTest, KeepsTimesExactlyAndInOrderAtTheirExtremes) {
  const TimerId largest_slot = (uint64_t{2} << 32) | ((uint64_t{1} << 30) - 1);
  const std::vector<std::pair<absl::Time, TimerId>> timers = {
      {absl::InfinitePast(), 5},
      // The earliest finite time: its seconds are InfinitePast's own.
      {absl::UnixEpoch() + absl::Seconds(std::numeric_limits<int64_t>::min()), 6},
      {absl::FromUnixSeconds(-3) + absl::Nanoseconds(0.25), uint64_t{1} << 32},
      {absl::UnixEpoch(), largest_slot},
      {t0, 9},
      {t0 + absl::Nanoseconds(0.25), 1},
      {t0 + absl::Nanoseconds(0.5), 0},
      {absl::InfiniteFuture(), 2},
  };
  TimerQueue q;
  for (auto it = timers.rbegin(); it != timers.rend(); ++it) q.Set(it->second, it->first);
  for (const auto& [at, id] : timers) EXPECT_EQ(q.When(id), at);
  EXPECT_EQ(q.NextAt(), absl::InfinitePast());
  for (const auto& [at, id] : timers) {
    EXPECT_EQ(q.NextAt(), at);
    if (at != absl::InfinitePast() && at != absl::InfiniteFuture()) {
      EXPECT_FALSE(q.PopDue(at - absl::Nanoseconds(0.25)));  // a quarter nanosecond early
    }
    EXPECT_EQ(q.PopDue(at), id);
  }
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace gitdest::core

namespace gitdest::core {
namespace {

// The heap against a reference (a sorted set) through random sets, cancels and pops:
// every pop must return the reference's first entry.
RC_GTEST_PROP(TimerQueueProperty, AgreesWithASortedSet, ()) {
  TimerQueue q;
  std::set<std::pair<absl::Time, TimerId>> ref;
  std::map<TimerId, absl::Time> when;
  const auto ops = *rc::gen::container<std::vector<std::tuple<int, TimerId, int>>>(rc::gen::tuple(
      rc::gen::inRange(0, 4), rc::gen::inRange<TimerId>(0, 80), rc::gen::inRange(0, 60)));
  absl::Time now = t0;
  for (const auto& [op, n, seconds] : ops) {
    const TimerId id = (n / 40) << 32 | n % 40;  // both kinds
    const absl::Time at = t0 + absl::Seconds(seconds);
    if (op <= 1) {  // Set / SetNoLaterThan
      const bool replace = op == 0 || !when.contains(id) || when[id] > at;
      if (replace) {
        if (when.contains(id)) ref.erase({when[id], id});
        when[id] = at;
        ref.insert({at, id});
      }
      op == 0 ? q.Set(id, at) : q.SetNoLaterThan(id, at);
    } else if (op == 2) {
      if (when.contains(id)) ref.erase({when[id], id});
      when.erase(id);
      q.Cancel(id);
    } else {
      now = std::max(now, at);
      while (!ref.empty() && ref.begin()->first <= now) {
        const TimerId expected = ref.begin()->second;
        ref.erase(ref.begin());
        when.erase(expected);
        RC_ASSERT(q.PopDue(now) == std::optional(expected));
      }
      RC_ASSERT(!q.PopDue(now));
    }
    RC_ASSERT(q.size() == ref.size());
    RC_ASSERT(q.NextAt() == (ref.empty() ? absl::InfiniteFuture() : ref.begin()->first));
    for (const auto& [timer, t] : when) RC_ASSERT(q.When(timer) == std::optional(t));
  }
}

}  // namespace
}  // namespace gitdest::core
