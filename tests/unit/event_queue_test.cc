// EventQueue: the simulated world's events leave earliest first and, at one time, in the
// order they were scheduled — whatever order they were pushed in and however slots of
// events taken out are reused. A seed replays byte for byte only if this holds.
#include "sim/event_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace gitdest::sim {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TEST(EventQueueTest, EarliestFirstAndTiesInTheOrderScheduled) {
  EventQueue<std::string> queue;
  queue.Push(kT0 + absl::Seconds(2), "late");
  queue.Push(kT0, "first at t0");
  queue.Push(kT0 + absl::Seconds(1), "middle");
  queue.Push(kT0, "second at t0");
  queue.Push(kT0, "third at t0");
  std::vector<std::string> order;
  while (!queue.empty()) {
    const absl::Time at = queue.NextAt();
    order.push_back(queue.Pop());
    if (!queue.empty()) {
      EXPECT_LE(at, queue.NextAt());
    }
  }
  EXPECT_EQ(order, (std::vector<std::string>{"first at t0", "second at t0", "third at t0", "middle",
                                             "late"}));
}

// Against a reference: a stable sort by time of everything pushed, with pushes and pops
// interleaved so that freed slots are reused while older events are still pending.
TEST(EventQueueTest, InterleavedPushesAndPopsMatchAStableSortByTime) {
  std::mt19937_64 prng(7);
  EventQueue<std::pair<int64_t, int>> queue;  // (time in s, insertion number)
  std::vector<std::pair<int64_t, int>> pending;
  int pushed = 0;
  int64_t now = 0;
  for (int round = 0; round < 2000; ++round) {
    if (pending.empty() || prng() % 3 != 0) {
      const int64_t at = now + static_cast<int64_t>(prng() % 5);  // many ties
      queue.Push(kT0 + absl::Seconds(at), std::pair<int64_t, int>{at, pushed});
      pending.emplace_back(at, pushed++);
      continue;
    }
    auto first = std::min_element(pending.begin(), pending.end());  // by time, then order
    ASSERT_EQ(queue.size(), pending.size());
    ASSERT_EQ(queue.NextAt(), kT0 + absl::Seconds(first->first));
    ASSERT_EQ(queue.Pop(), *first) << "round " << round;
    now = first->first;
    pending.erase(first);
  }
}

}  // namespace
}  // namespace gitdest::sim
