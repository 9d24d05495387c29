// Controller::StateHash sees the whole state: two controllers fed the same inputs hash
// equal, and one input more (or one input that differs in one value) that changes one
// piece of state changes the hash. The hash is derived field by field (StateFields, in
// core/state_hash.cc), so a field added and not hashed fails the build; these cases
// check that what is hashed is read, not only counted.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "tests/support/harness.h"

namespace gitdest::testing {
namespace {

using core::ChangeOp;

core::ResourceTypeInfo ServiceType() {
  return core::ResourceTypeInfo{{"", "v1", "services"}, "Service", true, true};
}

void AddDestination(Harness& h, const std::string& name, const std::string& branch,
                    const std::string& folder) {
  h.Feed(core::WatchRuleObserved{CaptureConfigMaps(name)});
  h.Feed(core::DestinationObserved{MakeDestination(name, branch, folder, h.now())});
}

// What one twin of a pair does differently while the rich state is built.
struct Variant {
  std::string batched_content = "1";  // the content of the change in the batch in flight
  std::string pending_content = "2";  // the content of the change queued behind it
  std::string pending_author = "alice";
  bool old_branch_moved = false;  // the retired worker remembers another tip
  bool c_before_b = false;        // slots and timer ids are given in arrival order
};

// A controller with something of everything: destinations sharing a branch, one losing
// a conflict, a retired worker's memory, a batch in flight with a change queued behind
// it, a read in flight, status writes and a resync in flight, timers, an unused
// GitRepoConfig, object versions.
void BuildRichState(Harness& h, const Variant& variant = {}) {
  h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo")});
  h.Feed(core::RepoConfigObserved{MakeRepoConfig("spare")});
  h.remote.ExternalCommit(kRepoUrl, "seed", "README.md", "hi");  // no branch is unborn
  if (variant.old_branch_moved) h.remote.ExternalCommit(kRepoUrl, "old", "README.md", "hi");
  AddDestination(h, "a", "main", "clusters/a");
  if (variant.c_before_b) AddDestination(h, "c", "dev", "clusters/c");
  AddDestination(h, "b", "main", "clusters/b");
  if (!variant.c_before_b) AddDestination(h, "c", "dev", "clusters/c");
  AddDestination(h, "old", "old", "clusters/old");
  ASSERT_TRUE(h.Settle());
  h.Feed(core::DestinationDeleted{{"team", "old"}});  // its worker retires, remembering
  h.Feed(h.Changed(ConfigMap("prod", "one"), ChangeOp::kUpdate, variant.batched_content));
  h.Advance(absl::Seconds(10));  // the commit window closes: a batch is in flight
  h.Feed(h.Changed(ConfigMap("prod", "two"), ChangeOp::kUpdate, variant.pending_content,
                   variant.pending_author));
  AddDestination(h, "loser", "main", "clusters/a");  // younger: loses the conflict
  AddDestination(h, "d", "feature", "clusters/d");   // a read in flight
  AddDestination(h, "e", "main", "clusters/e");      // the cache is fresh: a resync
  core::Destination a = MakeDestination("a", "main", "clusters/a", absl::InfinitePast());
  a.creation_time = h.controller().destinations().at({"team", "a"}).destination.creation_time;
  a.generation = 2;
  h.Feed(core::DestinationObserved{a});  // its new observedGeneration: a status write
  ASSERT_TRUE(h.violation().ok()) << h.violation();
}

// The cases below start from it: each kind of work it should hold, it does.
TEST(StateHashTest, TheRichStateHasEveryKindOfWorkInFlight) {
  Harness h;
  BuildRichState(h);
  const core::WorkerManager& workers = h.controller().workers();
  const core::BranchWorker* main = workers.Find({{"team", "repo"}, "main"});
  const core::BranchWorker* feature = workers.Find({{"team", "repo"}, "feature"});
  ASSERT_NE(main, nullptr);
  ASSERT_NE(feature, nullptr);
  EXPECT_TRUE(main->batch().has_value());
  EXPECT_FALSE(main->pending().empty());
  EXPECT_TRUE(feature->read_pending());
  EXPECT_EQ(workers.Find({{"team", "repo"}, "old"}), nullptr);  // retired
  int status_writes = 0, resyncs = 0;
  for (const core::Effect& e : h.held()) {
    status_writes += std::holds_alternative<core::WriteStatus>(e);
    resyncs += std::holds_alternative<core::ResyncDestination>(e);
  }
  EXPECT_GE(status_writes, 1);
  EXPECT_GE(resyncs, 1);
  EXPECT_TRUE(h.controller().destinations().at({"team", "loser"}).lost_to.has_value());
}

TEST(StateHashTest, IdenticalInputsHashEqual) {
  Harness one, two;
  EXPECT_EQ(one.controller().StateHash(), two.controller().StateHash());
  BuildRichState(one);
  BuildRichState(two);
  EXPECT_EQ(one.controller().StateHash(), two.controller().StateHash());
  one.Settle();
  two.Settle();
  EXPECT_EQ(one.controller().StateHash(), two.controller().StateHash());
}

// A controller's state without any input: what a Controller is born with.
uint64_t Fresh(const core::ControllerOptions& options, uint32_t epoch = 0,
               std::vector<core::Input> inputs = {}) {
  core::Controller controller(options, epoch);
  const absl::Time t = absl::FromUnixSeconds(1'700'000'000);
  controller.Handle(core::TimerFired{}, t);  // the same clock for every twin
  for (const core::Input& input : inputs) controller.Handle(input, t);
  return controller.StateHash();
}

TEST(StateHashTest, SeesOptionsRequestIdsSyncAndLease) {
  const core::ControllerOptions options = TestOptions();
  const uint64_t base = Fresh(options);
  core::ControllerOptions other = options;
  other.status_write_retry_delay += absl::Seconds(1);
  EXPECT_NE(Fresh(other), base) << "options";
  other = options;
  other.requeue_jitter_fraction /= 2;
  EXPECT_NE(Fresh(other), base) << "a fractional option";
  EXPECT_NE(Fresh(options, /*epoch=*/1), base) << "the next request id";
  EXPECT_NE(Fresh(options, 0, {core::ControllerRestarted{0}}), base) << "synced";
  EXPECT_NE(Fresh(options, 0, {core::LeaseAcquired{}}), base) << "leader";
}

// A restart loses all memory: a controller restarted by the input is in the state of a
// new process that was fed it (the simulator builds a new one, replay feeds the input).
TEST(StateHashTest, ARestartedControllerIsANewOne) {
  Harness h;
  BuildRichState(h);
  h.controller().Handle(core::ControllerRestarted{7}, h.now());
  core::Controller fresh(TestOptions(), 7);
  fresh.Handle(core::ControllerRestarted{7}, h.now());
  EXPECT_EQ(h.controller().StateHash(), fresh.StateHash());
}

// One input more (or a few) for one of two controllers built alike, and the piece of
// state it changes.
struct Case {
  std::string state;
  std::function<void(Harness&)> twin;
};

std::vector<Case> Cases() {
  auto config = [](const std::string& rv) {
    core::RepoConfig spare = MakeRepoConfig("spare");
    spare.resource_version = rv;
    return core::RepoConfigObserved{spare};
  };
  auto rule = [](const std::string& rv) {
    core::WatchRule r = CaptureConfigMaps("a");
    r.resource_version = rv;
    return core::WatchRuleObserved{r};
  };
  return {
      {"clock",
       [](Harness& h) {
         h.Advance(absl::Milliseconds(1));
         h.Feed(core::TimerFired{});
       }},
      {"an unused GitRepoConfig",
       [](Harness& h) {
         h.Feed(core::RepoConfigDeleted{{"team", "spare"}});
       }},
      {"a GitRepoConfig's resourceVersion", [=](Harness& h) { h.Feed(config("7")); }},
      {"a rule of a missing destination",
       [](Harness& h) { h.Feed(core::WatchRuleObserved{CaptureConfigMaps("nobody")}); }},
      {"a rule's resourceVersion", [=](Harness& h) { h.Feed(rule("9")); }},
      {"a discovered type no rule captures",
       [](Harness& h) {
         h.Feed(core::ResourceTypesDiscovered{{ConfigMapType(), ServiceType()}});
       }},
      // Watched, but written nowhere (no path holds its name): only its version is known.
      {"the version of an object no folder can hold",
       [](Harness& h) {
         h.Feed(h.Changed(ConfigMap("prod", "../../etc"), ChangeOp::kUpdate, "data: {}"));
       }},
      {"a destination's resourceVersion",
       [](Harness& h) {
         core::Destination c = h.controller().destinations().at({"team", "c"}).destination;
         c.resource_version = "99";
         h.Feed(core::DestinationObserved{c});
       }},
      {"a group's verdicts (a claim's age)",
       [](Harness& h) {
         core::Destination l = h.controller().destinations().at({"team", "loser"}).destination;
         l.creation_time += absl::Seconds(1);
         h.Feed(core::DestinationObserved{l});
       }},
      {"a deleted destination",
       [](Harness& h) {
         h.Feed(core::DestinationDeleted{{"team", "c"}});
       }},
      {"a read's waiters", [](Harness& h) { AddDestination(h, "d2", "feature", "clusters/d2"); }},
      {"a status write answered", [](Harness& h) { h.DeliverStatusWrites(); }},
      {"a resync answered", [](Harness& h) { h.DeliverResyncs(); }},
      {"a read answered", [](Harness& h) { h.DeliverReads(); }},
      {"a push answered", [](Harness& h) { h.DeliverPushes(); }},
  };
}

TEST(StateHashTest, EachInputThatChangesStateChangesTheHash) {
  for (const Case& c : Cases()) {
    Harness base, twin;
    BuildRichState(base);
    BuildRichState(twin);
    c.twin(twin);
    EXPECT_NE(base.controller().StateHash(), twin.controller().StateHash()) << c.state;
  }
}

// Two controllers built by the same inputs but for one value: only the pieces of state
// that hold the value differ, so a hash that counts instead of reading misses them.
TEST(StateHashTest, StatesThatDifferInOneValueHashDifferently) {
  const std::vector<std::pair<std::string, Variant>> variants = {
      {"the batch's content", Variant{.batched_content = "one"}},
      {"a queued change's content", Variant{.pending_content = "two"}},
      {"a queued change's author", Variant{.pending_author = "bob"}},
      {"a retired worker's memory", Variant{.old_branch_moved = true}},
      {"slots and timer ids", Variant{.c_before_b = true}},
  };
  for (const auto& [state, variant] : variants) {
    Harness base, twin;
    BuildRichState(base);
    BuildRichState(twin, variant);
    EXPECT_NE(base.controller().StateHash(), twin.controller().StateHash()) << state;
  }
}

// Two objects wait for the one status write slot, in one order or the other: the line's
// order decides which is written first, and only the line tells the two states apart.
TEST(StateHashTest, TheOrderOfTheStatusWriteLineIsHashed) {
  core::ControllerOptions options = TestOptions();
  options.max_status_writes_in_flight = 1;
  auto build = [&](Harness& h, const std::string& first, const std::string& second) {
    h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo")});  // its status takes the slot
    h.Feed(core::WatchRuleObserved{CaptureConfigMaps(first)});
    h.Feed(core::WatchRuleObserved{CaptureConfigMaps(second)});
    ASSERT_EQ(h.controller().status_writes_waiting().size(), 2u);
  };
  Harness base(options), twin(options);
  build(base, "a", "b");
  build(twin, "b", "a");
  EXPECT_NE(base.controller().StateHash(), twin.controller().StateHash());
}

}  // namespace
}  // namespace gitdest::testing
