// Requests: the one registry of every request the core has sent and not yet had answered.
// As a value: answers are taken once, unknown ones ignored, one request per (kind, owner),
// overdue ones found. In the controller: every effect that has an answer is registered,
// a duplicated or unknown answer changes nothing, and losing the lease forgets them all so
// that a late answer of the old term cannot act.
#include "core/requests.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/harness.h"

namespace gitdest::core {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
const WorkerKey kWorker{{"team", "repo"}, "main"};
const StatusTarget kDestination{ResourceKind::kGitDestination, {"team", "a"}};

TEST(RequestsTest, AnAnswerIsTakenOnce) {
  Requests requests;
  requests.Sent(7, RequestKind::kMetadataRead, kWorker, kT0);
  const Request* in_flight = requests.InFlight(RequestKind::kMetadataRead, kWorker);
  ASSERT_NE(in_flight, nullptr);
  EXPECT_EQ(*in_flight, (Request{7, RequestKind::kMetadataRead, kWorker, kT0}));
  const std::optional<Answered> answered = requests.Answer(7, RequestKind::kMetadataRead);
  ASSERT_TRUE(answered.has_value());
  EXPECT_EQ(answered->id, 7u);
  EXPECT_EQ(answered->sent_at, kT0);
  EXPECT_FALSE(requests.Answer(7, RequestKind::kMetadataRead).has_value()) << "answered";
  EXPECT_EQ(requests.InFlight(RequestKind::kMetadataRead, kWorker), nullptr);
  EXPECT_EQ(requests.size(), 0u);
}

// An answered request's node is reused by the next send, of any kind and owner: the new
// request holds its own id, owner, time and slot, and nothing of the one before.
TEST(RequestsTest, AReusedNodeHoldsOnlyTheNewRequest) {
  Requests requests;
  const WorkerKey other_worker{{"ops", "infra"}, "release/1.0"};
  requests.Sent(1, RequestKind::kMetadataRead, kWorker, kT0, /*owner_slot=*/3);
  ASSERT_TRUE(requests.Answer(1, RequestKind::kMetadataRead).has_value());
  // Another owner's type, kind and slot in the node the read left.
  requests.Sent(2, RequestKind::kStatusWrite, kDestination, kT0 + absl::Seconds(1), 5);
  EXPECT_EQ(requests.InFlight(RequestKind::kMetadataRead, kWorker), nullptr);
  const Request* write = requests.InFlight(RequestKind::kStatusWrite, kDestination);
  ASSERT_NE(write, nullptr);
  EXPECT_EQ(*write,
            (Request{2, RequestKind::kStatusWrite, kDestination, kT0 + absl::Seconds(1), 5}));
  const std::optional<Answered> answered =
      requests.Answer(2, RequestKind::kStatusWrite, &kDestination);
  ASSERT_TRUE(answered.has_value());
  EXPECT_EQ(answered->owner_slot, 5u);
  // The same owner type again, another key and slot.
  requests.Sent(3, RequestKind::kPush, other_worker, kT0 + absl::Seconds(2), 7);
  EXPECT_EQ(requests.InFlight(RequestKind::kPush, kWorker), nullptr);
  EXPECT_EQ(*requests.InFlight(RequestKind::kPush, other_worker),
            (Request{3, RequestKind::kPush, other_worker, kT0 + absl::Seconds(2), 7}));
  EXPECT_EQ(requests, Requests(requests)) << "a copy holds the same requests, without spares";
  EXPECT_EQ(requests.size(), 1u);
}

TEST(RequestsTest, UnknownAnswersAreIgnored) {
  Requests requests;
  requests.Sent(7, RequestKind::kPush, kWorker, kT0);
  EXPECT_FALSE(requests.Answer(99, RequestKind::kPush).has_value()) << "never sent";
  EXPECT_FALSE(requests.Answer(7, RequestKind::kMetadataRead).has_value()) << "another kind";
  const RequestOwner other = StatusTarget{ResourceKind::kGitDestination, {"team", "b"}};
  EXPECT_FALSE(requests.Answer(7, RequestKind::kPush, &other).has_value()) << "another owner";
  EXPECT_EQ(requests.size(), 1u) << "a mismatched answer leaves the request in flight";
  const RequestOwner owner = kWorker;
  EXPECT_TRUE(requests.Answer(7, RequestKind::kPush, &owner).has_value());
}

// The owner an answer names may be given as its own type, compared in place: another key
// of that type, or a key of the other type, does not match.
TEST(RequestsTest, AnOwnerGivenByItsTypeMatchesOnlyItself) {
  Requests requests;
  requests.Sent(7, RequestKind::kStatusWrite, kDestination, kT0);
  const StatusTarget other{ResourceKind::kGitDestination, {"team", "b"}};
  const StatusTarget rule{ResourceKind::kWatchRule, {"team", "a"}};
  EXPECT_FALSE(requests.Answer(7, RequestKind::kStatusWrite, &other).has_value());
  EXPECT_FALSE(requests.Answer(7, RequestKind::kStatusWrite, &rule).has_value()) << "another kind";
  EXPECT_FALSE(requests.Answer(7, RequestKind::kStatusWrite, &kWorker).has_value());
  EXPECT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests.Answer(7, RequestKind::kStatusWrite, &kDestination).has_value());
  EXPECT_EQ(requests.size(), 0u);
}

TEST(RequestsTest, ASecondRequestOfAnOwnerGivesUpOnTheFirst) {
  Requests requests;
  requests.Sent(7, RequestKind::kStatusWrite, kDestination, kT0);
  requests.Sent(8, RequestKind::kList, kDestination, kT0);  // another kind: both in flight
  requests.Sent(9, RequestKind::kStatusWrite, kDestination, kT0 + absl::Seconds(30));
  EXPECT_EQ(requests.size(), 2u);
  EXPECT_FALSE(requests.Answer(7, RequestKind::kStatusWrite).has_value()) << "given up on";
  EXPECT_EQ(requests.InFlight(RequestKind::kStatusWrite, kDestination)->id, 9u);
  EXPECT_TRUE(requests.Answer(8, RequestKind::kList).has_value());
}

TEST(RequestsTest, OverdueOnceInFlightForTheTimeout) {
  Requests requests;
  requests.Sent(7, RequestKind::kMetadataRead, kWorker, kT0);
  const absl::Duration timeout = absl::Seconds(20);
  EXPECT_EQ(requests.Overdue(RequestKind::kMetadataRead, kWorker,
                             kT0 + timeout - absl::Nanoseconds(1), timeout),
            nullptr);
  const Request* overdue =
      requests.Overdue(RequestKind::kMetadataRead, kWorker, kT0 + timeout, timeout);
  ASSERT_NE(overdue, nullptr);
  EXPECT_EQ(overdue->id, 7u);
  EXPECT_EQ(requests.Overdue(RequestKind::kPush, kWorker, kT0 + absl::Hours(1), timeout), nullptr);
}

TEST(RequestsTest, ForgettingMakesTheAnswerUnknown) {
  Requests requests;
  requests.Sent(1, RequestKind::kMetadataRead, kWorker, kT0);
  requests.Sent(2, RequestKind::kPush, kWorker, kT0);
  requests.Sent(3, RequestKind::kList, kDestination, kT0);
  requests.Sent(4, RequestKind::kStatusWrite, kDestination, kT0);
  EXPECT_TRUE(requests.AnyInFlight(RequestKind::kList));
  requests.Forget(RequestKind::kList, kDestination);
  EXPECT_FALSE(requests.AnyInFlight(RequestKind::kList));
  EXPECT_FALSE(requests.Answer(3, RequestKind::kList).has_value());
  requests.ForgetOwner(kWorker);  // a worker retired
  EXPECT_FALSE(requests.Answer(1, RequestKind::kMetadataRead).has_value());
  EXPECT_FALSE(requests.Answer(2, RequestKind::kPush).has_value());
  EXPECT_TRUE(requests.AnyInFlight(RequestKind::kStatusWrite));
  requests.Clear();  // the lease was lost
  EXPECT_FALSE(requests.Answer(4, RequestKind::kStatusWrite).has_value());
  EXPECT_EQ(requests.size(), 0u);
}

TEST(RequestsTest, EqualRegistriesAreEqualWhateverTheOrderOfForgetting) {
  Requests a, b;
  a.Sent(1, RequestKind::kList, kDestination, kT0);
  a.Sent(2, RequestKind::kPush, kWorker, kT0);
  a.Forget(RequestKind::kList, kDestination);
  b.Sent(2, RequestKind::kPush, kWorker, kT0);
  EXPECT_TRUE(a == b);
}

// The owner index refers to the registry's own entries: a copy answers and forgets on
// its own, and leaves the original as it was.
TEST(RequestsTest, ACopyIsARegistryOfItsOwn) {
  Requests original;
  original.Sent(1, RequestKind::kMetadataRead, kWorker, kT0);
  original.Sent(2, RequestKind::kStatusWrite, kDestination, kT0);
  Requests copy = original;
  EXPECT_TRUE(copy.Answer(1, RequestKind::kMetadataRead).has_value());
  copy.Forget(RequestKind::kStatusWrite, kDestination);
  EXPECT_EQ(copy.size(), 0u);
  EXPECT_EQ(copy.InFlight(RequestKind::kMetadataRead, kWorker), nullptr);
  ASSERT_NE(original.InFlight(RequestKind::kMetadataRead, kWorker), nullptr);
  EXPECT_EQ(original.InFlight(RequestKind::kMetadataRead, kWorker)->id, 1u);
  EXPECT_EQ(original.InFlight(RequestKind::kStatusWrite, kDestination)->id, 2u);
  copy = original;
  EXPECT_EQ(copy.InFlight(RequestKind::kStatusWrite, kDestination)->id, 2u);
  EXPECT_EQ(copy.CountInFlight(RequestKind::kStatusWrite), 1u) << "the counts are copied";
  original.Clear();
  EXPECT_EQ(copy.InFlight(RequestKind::kStatusWrite, kDestination)->id, 2u) << "assigned";
  const Requests moved = std::move(copy);
  EXPECT_EQ(moved.InFlight(RequestKind::kMetadataRead, kWorker)->id, 1u) << "moved";
  EXPECT_EQ(moved.CountInFlight(RequestKind::kStatusWrite), 1u) << "the counts move too";
  EXPECT_EQ(original.CountInFlight(RequestKind::kStatusWrite), 0u) << "and are cleared";
}

// The counts by kind follow every way a request comes and goes: sent, replaced by the
// owner's next, answered, forgotten (alone or with its owner), cleared.
TEST(RequestsTest, CountsFollowEveryWayARequestComesAndGoes) {
  const StatusTarget other{ResourceKind::kGitDestination, {"team", "b"}};
  Requests requests;
  auto counts = [&] {
    return std::vector<size_t>{requests.CountInFlight(RequestKind::kMetadataRead),
                               requests.CountInFlight(RequestKind::kPush),
                               requests.CountInFlight(RequestKind::kList),
                               requests.CountInFlight(RequestKind::kStatusWrite)};
  };
  requests.Sent(1, RequestKind::kStatusWrite, kDestination, kT0);
  requests.Sent(2, RequestKind::kStatusWrite, other, kT0);
  requests.Sent(3, RequestKind::kPush, kWorker, kT0);
  requests.Sent(4, RequestKind::kList, kDestination, kT0);
  EXPECT_EQ(counts(), (std::vector<size_t>{0, 1, 1, 2}));
  requests.Sent(5, RequestKind::kStatusWrite, kDestination, kT0);  // gives 1 up
  EXPECT_EQ(counts(), (std::vector<size_t>{0, 1, 1, 2}));
  EXPECT_FALSE(requests.AnyInFlight(RequestKind::kMetadataRead));
  EXPECT_TRUE(requests.AnyInFlight(RequestKind::kPush));
  ASSERT_TRUE(requests.Answer(3, RequestKind::kPush).has_value());
  EXPECT_FALSE(requests.Answer(2, RequestKind::kPush).has_value()) << "another kind: no change";
  EXPECT_EQ(counts(), (std::vector<size_t>{0, 0, 1, 2}));
  requests.Forget(RequestKind::kStatusWrite, other);
  requests.Forget(RequestKind::kStatusWrite, other);  // nothing left to forget
  EXPECT_EQ(counts(), (std::vector<size_t>{0, 0, 1, 1}));
  requests.ForgetOwner(kDestination);
  EXPECT_EQ(counts(), (std::vector<size_t>{0, 0, 0, 0}));
  requests.Sent(6, RequestKind::kMetadataRead, kWorker, kT0);
  requests.Clear();
  EXPECT_EQ(counts(), (std::vector<size_t>{0, 0, 0, 0}));
}

// The first sent of a kind is the least id in flight of that kind, whatever was sent
// before it of other kinds, and whichever of its kind was answered or replaced.
TEST(RequestsTest, FirstSentIsTheOldestInFlightOfItsKind) {
  const StatusTarget other{ResourceKind::kGitDestination, {"team", "b"}};
  Requests requests;
  EXPECT_EQ(requests.FirstSent(RequestKind::kStatusWrite), nullptr);
  requests.Sent(1, RequestKind::kPush, kWorker, kT0);
  requests.Sent(2, RequestKind::kStatusWrite, kDestination, kT0 + absl::Seconds(1));
  requests.Sent(3, RequestKind::kStatusWrite, other, kT0 + absl::Seconds(2));
  ASSERT_NE(requests.FirstSent(RequestKind::kStatusWrite), nullptr);
  EXPECT_EQ(requests.FirstSent(RequestKind::kStatusWrite)->id, 2u);
  EXPECT_EQ(requests.FirstSent(RequestKind::kPush)->id, 1u);
  EXPECT_EQ(requests.FirstSent(RequestKind::kList), nullptr);
  // The destination writes again: its first write is given up, the other's is now first.
  requests.Sent(4, RequestKind::kStatusWrite, kDestination, kT0 + absl::Seconds(3));
  EXPECT_EQ(requests.FirstSent(RequestKind::kStatusWrite)->id, 3u);
  ASSERT_TRUE(requests.Answer(3, RequestKind::kStatusWrite).has_value());
  EXPECT_EQ(requests.FirstSent(RequestKind::kStatusWrite)->id, 4u);
  EXPECT_EQ(requests.FirstSent(RequestKind::kStatusWrite)->sent_at, kT0 + absl::Seconds(3));
}

// Many owners at once, more than the owner index scans by pointer (it then searches by
// owner): sent, replaced, answered and forgotten in a scrambled order, the registry
// agrees with a plain model after every operation, and a copy with the original.
TEST(RequestsTest, ManyOwnersInFlightStayFoundByOwnerAndById) {
  Requests requests;
  std::map<std::pair<RequestKind, std::string>, RequestId> model;  // (kind, owner) → id
  auto owner = [](int i) {
    return StatusTarget{ResourceKind::kGitDestination, {"team", absl::StrCat("d", i % 97)}};
  };
  auto agrees = [&] {
    if (requests.size() != model.size()) return false;
    for (const auto& [slot, id] : model) {
      const StatusTarget target{ResourceKind::kGitDestination, {"team", slot.second}};
      const Request* in_flight = requests.InFlight(slot.first, target);
      if (in_flight == nullptr || in_flight->id != id || !requests.Contains(id)) return false;
    }
    return true;
  };
  RequestId next = 1;
  for (int i = 0; i < 400; ++i) {
    const RequestKind kind = i % 3 == 0 ? RequestKind::kList : RequestKind::kStatusWrite;
    const StatusTarget target = owner(i * 37);
    const auto slot = std::make_pair(kind, target.key.name);
    const int step = i % 5;
    if (step == 4 && model.contains(slot)) {  // answered
      ASSERT_TRUE(requests.Answer(model[slot], kind, &target).has_value()) << i;
      model.erase(slot);
    } else if (step == 3) {  // forgotten (if it has one)
      requests.Forget(kind, target);
      model.erase(slot);
    } else {  // sent, replacing its request of that kind if any
      const bool replaced = requests.Sent(next, kind, target, kT0 + absl::Seconds(i));
      EXPECT_EQ(replaced, model.contains(slot)) << i;
      model[slot] = next++;
    }
    ASSERT_TRUE(agrees()) << "after operation " << i << " with " << model.size() << " in flight";
  }
  EXPECT_GT(model.size(), 40u) << "the test must pass the scan's bound";
  const Requests copy = requests;
  EXPECT_EQ(copy, requests);
  for (const auto& [slot, id] : model) {
    const StatusTarget target{ResourceKind::kGitDestination, {"team", slot.second}};
    ASSERT_TRUE(requests.Answer(id, slot.first, &target).has_value());
  }
  EXPECT_EQ(requests.size(), 0u);
  EXPECT_EQ(copy.size(), model.size()) << "a copy keeps its own requests";
}

}  // namespace
}  // namespace gitdest::core

namespace gitdest::testing {
namespace {

using core::RequestKind;

class ControllerRequestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo")});
    h.Feed(core::WatchRuleObserved{CaptureConfigMaps("a")});
    h.Feed(core::DestinationObserved{MakeDestination("a", "main", "clusters/a", h.now())});
  }
  void TearDown() override { EXPECT_TRUE(h.violation().ok()) << h.violation(); }

  // The first held effect of type E (a default one, and a failure, if none is held).
  template <class E>
  E HeldEffect() const {
    for (const core::Effect& e : h.held()) {
      if (std::holds_alternative<E>(e)) return std::get<E>(e);
    }
    ADD_FAILURE() << "no such effect held";
    return E{};
  }

  Harness h;
};

// Every effect that has an answer is a request: its id, kind, owner, send time and the
// owner's slot (the first worker's and the first record's: 0).
TEST_F(ControllerRequestsTest, EveryEffectWithAnAnswerIsRegistered) {
  const core::FetchMetadata read = HeldEffect<core::FetchMetadata>();
  const core::ResyncDestination list = HeldEffect<core::ResyncDestination>();
  const core::Requests& requests = h.controller().requests();
  EXPECT_EQ(
      *requests.InFlight(RequestKind::kMetadataRead, core::WorkerKey{{"team", "repo"}, "main"}),
      (core::Request{read.request, RequestKind::kMetadataRead,
                     core::WorkerKey{{"team", "repo"}, "main"}, h.now(), /*owner_slot=*/0}));
  const core::Request* listed =
      requests.InFlight(RequestKind::kList, core::DestinationOwner({"team", "a"}));
  ASSERT_NE(listed, nullptr);
  EXPECT_EQ(listed->id, list.request);
  EXPECT_EQ(listed->owner_slot, 0u);
  h.Settle();
  EXPECT_EQ(h.controller().requests().size(), 0u) << "every answer arrived";
}

// A duplicated answer (the transport delivered it twice) acts once.
TEST_F(ControllerRequestsTest, ADuplicatedAnswerActsOnce) {
  const core::RequestId read = HeldEffect<core::FetchMetadata>().request;
  core::PullReport report;  // the branch does not exist yet
  h.Feed(core::MetadataFetched{read, report});
  h.TakeEffects();
  const uint64_t before = h.controller().StateHash();
  h.Feed(core::MetadataFetched{read, absl::UnavailableError("a second answer")});
  EXPECT_TRUE(h.TakeEffects().empty());
  EXPECT_EQ(h.controller().StateHash(), before);
}

// An id the core never sent (another incarnation's, a corrupted one) changes nothing.
TEST_F(ControllerRequestsTest, AnAnswerToAnUnknownIdChangesNothing) {
  h.TakeEffects();
  const uint64_t before = h.controller().StateHash();
  const core::StatusTarget target{core::ResourceKind::kGitDestination, {"team", "a"}};
  h.Feed(core::StatusWritten{987654321, target, std::string("99")});
  h.Feed(core::ObjectsListed{987654321, {"team", "a"}, std::vector<core::CapturedObject>{}});
  h.Feed(core::PushCompleted{987654321, absl::UnavailableError("not ours")});
  EXPECT_TRUE(h.TakeEffects().empty());
  EXPECT_EQ(h.controller().StateHash(), before);
}

// LeaseLost forgets every request of the term: their late answers find nothing to act on,
// and the next term's requests are its own.
TEST_F(ControllerRequestsTest, LosingTheLeaseForgetsEveryRequestOfTheTerm) {
  const core::RequestId read = HeldEffect<core::FetchMetadata>().request;
  const core::RequestId list = HeldEffect<core::ResyncDestination>().request;
  ASSERT_GT(h.controller().requests().size(), 0u);
  h.Feed(core::LeaseLost{});
  EXPECT_EQ(h.controller().requests().size(), 0u);
  h.TakeEffects();
  const uint64_t before = h.controller().StateHash();
  h.Feed(core::MetadataFetched{read, core::PullReport{}});
  h.Feed(core::ObjectsListed{list, {"team", "a"}, std::vector<core::CapturedObject>{}});
  EXPECT_TRUE(h.TakeEffects().empty());
  EXPECT_EQ(h.controller().StateHash(), before);
  h.Feed(core::LeaseAcquired{});
  h.Advance(absl::Seconds(1));
  EXPECT_NE(
      h.controller().requests().InFlight(RequestKind::kList, core::DestinationOwner({"team", "a"})),
      nullptr)
      << "the new term lists anew";
}

}  // namespace
}  // namespace gitdest::testing
