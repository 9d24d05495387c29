// The Kubernetes client against a real kube-apiserver (tests/kube/with-cluster.sh):
// requests and their error mapping, many watches over one HTTP/2 connection, list +
// watch (informer) and its relist on 410 Gone, and leader election with a real Lease.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/k8s/api_client.h"
#include "adapters/k8s/informer.h"
#include "adapters/k8s/kube_config.h"
#include "adapters/k8s/leader_election.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/k8s/admin_client.h"

namespace gitdest::k8s {
namespace {

using nlohmann::json;

class KubeClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto client = AdminClient();
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    ns_ = absl::StrCat("kube-client-", ::testing::UnitTest::GetInstance()->random_seed(), "-",
                       absl::ToUnixNanos(absl::Now()) % 1000000);
    ASSERT_EQ(Post("/api/v1/namespaces", {{"metadata", {{"name", ns_}}}}).status, 201);
  }

  ApiResponse Post(const std::string& path, const json& body) {
    auto r =
        client_->Call({.method = "POST", .path = path, .body = body.dump()}, absl::Seconds(10));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ApiResponse{};
  }
  // Drops etcd's history before `revision` (a resourceVersion is an etcd revision): a
  // watch that etcd serves from an older version is answered 410 Gone.
  void CompactEtcdUpTo(const std::string& revision) {
    const char* etcd = std::getenv("GITDEST_ETCD_URL");
    ASSERT_NE(etcd, nullptr) << "run under tests/k8s/with-cluster.sh";
    auto client = ApiClient::Create({.server = etcd, .origin = "test"}, {});
    ASSERT_TRUE(client.ok()) << client.status();
    const json body = {{"revision", revision}, {"physical", true}};
    auto compacted = (*client)->Call(
        {.method = "POST", .path = "/v3/kv/compaction", .body = body.dump()}, absl::Seconds(10));
    ASSERT_TRUE(compacted.ok()) << compacted.status();
    ASSERT_EQ(compacted->status, 200) << compacted->body;
  }
  std::string ConfigMaps() const { return absl::StrCat("/api/v1/namespaces/", ns_, "/configmaps"); }
  json ConfigMap(const std::string& name) const {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}}},
            {"data", {{"k", "v"}}}};
  }

  std::unique_ptr<ApiClient> client_;
  std::string ns_;
};

TEST_F(KubeClientTest, ErrorsMapToThePortsCodesWithTheServersMessage) {
  auto missing = client_->Call({.path = ConfigMaps() + "/nope"}, absl::Seconds(10));
  ASSERT_TRUE(missing.ok());
  const absl::Status not_found = StatusFromResponse(*missing, "read ConfigMap nope");
  EXPECT_TRUE(absl::IsNotFound(not_found)) << not_found;
  EXPECT_NE(not_found.message().find("\"nope\" not found"), std::string::npos) << not_found;

  const ApiResponse created = Post(ConfigMaps(), ConfigMap("cm"));
  ASSERT_EQ(created.status, 201) << created.body;
  json stale = json::parse(created.body);
  stale["metadata"]["resourceVersion"] = "1";  // not the object's version
  auto conflict = client_->Call(
      {.method = "PUT", .path = ConfigMaps() + "/cm", .body = stale.dump()}, absl::Seconds(10));
  ASSERT_TRUE(conflict.ok());
  EXPECT_TRUE(absl::IsAborted(StatusFromResponse(*conflict, "update"))) << conflict->body;

  auto invalid = client_->Call({.method = "POST", .path = ConfigMaps(), .body = "{not json"},
                               absl::Seconds(10));
  ASSERT_TRUE(invalid.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(StatusFromResponse(*invalid, "create")));
}

TEST_F(KubeClientTest, AServerThatIsNotThereIsUnavailable) {
  KubeConfig nowhere{.server = "https://127.0.0.1:1", .origin = "test"};
  auto client = ApiClient::Create(nowhere, {});
  ASSERT_TRUE(client.ok());
  auto r = (*client)->Call({.path = "/version"}, absl::Seconds(5));
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("127.0.0.1:1"), std::string::npos);
}

TEST_F(KubeClientTest, ManyWatchesAndCallsShareOneConnection) {
  std::atomic<int> lines{0};
  std::vector<std::unique_ptr<ApiClient::Stream>> watches;
  for (int i = 0; i < 20; ++i) {
    watches.push_back(client_->Watch(
        ConfigMaps() + "?watch=1", [&](std::string_view) { lines.fetch_add(1); },
        [](absl::Status) {}));
  }
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&, i] {
      for (int j = 0; j < 5; ++j) Post(ConfigMaps(), ConfigMap(absl::StrCat("c", i, "-", j)));
    });
  }
  for (std::thread& t : callers) t.join();
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (lines.load() < 20 * 20 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(lines.load(), 20 * 20) << "every watch sees every create";
  watches.clear();
  // SetUp's namespace create may have opened the first; HTTP/2 multiplexes the rest.
  EXPECT_EQ(client_->ConnectionsOpened(), 1);
}

TEST_F(KubeClientTest, TheInformerListsThenWatchesAndReportsDeletes) {
  ASSERT_EQ(Post(ConfigMaps(), ConfigMap("before")).status, 201);
  std::mutex mu;
  std::set<std::string> present;
  std::atomic<bool> synced{false};
  std::atomic<int> with_managed_fields{0};
  std::atomic<int> without_data{0};
  Informer informer(*client_, ConfigMaps(),
                    {.upsert =
                         [&](const json& o) {
                           std::lock_guard lock(mu);
                           present.insert(o["metadata"]["name"].get<std::string>());
                           with_managed_fields += o["metadata"].contains("managedFields");
                           without_data += o.value("data", json::object()) != json{{"k", "v"}};
                         },
                     .remove =
                         [&](const json& o) {
                           std::lock_guard lock(mu);
                           present.erase(o["metadata"]["name"].get<std::string>());
                         },
                     .synced = [&] { synced = true; }},
                    {.page_size = 1});  // pages: the list follows `continue`
  ASSERT_EQ(Post(ConfigMaps(), ConfigMap("before2")).status, 201);
  informer.Start();
  auto wait_for = [&](const std::set<std::string>& want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    for (;;) {
      {
        std::lock_guard lock(mu);
        if (present == want) return true;
      }
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(20));
    }
  };
  ASSERT_TRUE(wait_for({"before", "before2"}));
  EXPECT_TRUE(synced.load());
  ASSERT_EQ(Post(ConfigMaps(), ConfigMap("after")).status, 201);
  ASSERT_TRUE(wait_for({"before", "before2", "after"}));
  auto del =
      client_->Call({.method = "DELETE", .path = ConfigMaps() + "/before"}, absl::Seconds(10));
  ASSERT_TRUE(del.ok());
  ASSERT_TRUE(wait_for({"before2", "after"}));
  EXPECT_EQ(informer.lists(), 1);
  EXPECT_EQ(with_managed_fields.load(), 0) << "managedFields are dropped as they are read";
  EXPECT_EQ(without_data.load(), 0) << "and nothing else is";
}

// The real client, but a watch waits at a gate until the test opens it, so that the
// test can change the cluster and compact etcd's history while the informer watches
// nothing; it notes whether the server answered a watch with 410 Gone.
class GatedWatches final : public ApiClient {
 public:
  explicit GatedWatches(ApiClient& real) : real_(&real) {}
  absl::StatusOr<ApiResponse> Call(const ApiRequest& request, absl::Duration timeout) override {
    return real_->Call(request, timeout);
  }
  std::unique_ptr<Stream> Watch(const std::string& path, LineFn on_line, EndFn on_end) override {
    {
      std::unique_lock lock(mu_);
      ++waiting_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return open_; });
      --waiting_;
    }
    return real_->Watch(
        path,
        [this, on_line = std::move(on_line)](std::string_view line) {
          if (line.find("\"code\":410") != std::string_view::npos) gone_ = true;
          on_line(line);
        },
        [this, on_end = std::move(on_end)](absl::Status status) {
          if (absl::IsOutOfRange(status)) gone_ = true;
          on_end(std::move(status));
        });
  }
  int64_t ConnectionsOpened() const override { return real_->ConnectionsOpened(); }
  const std::string& server() const override { return real_->server(); }

  // Returns once a watch waits at the closed gate: the informer watches nothing now.
  bool WaitForAWatchAtTheGate(absl::Duration timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [&] { return waiting_ > 0; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool server_said_gone() const { return gone_.load(); }

 private:
  ApiClient* real_;
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
  bool open_ = false;
  std::atomic<bool> gone_{false};
};

// Events, because the API server keeps no watch cache of them (its default): their
// watches are served by etcd, whose compacted history is then gone for real.
TEST_F(KubeClientTest, AfterA410GoneTheInformerListsAgainAndReportsWhatWasDeletedMeanwhile) {
  const std::string events = absl::StrCat("/api/v1/namespaces/", ns_, "/events");
  auto event = [&](const std::string& name) {
    return json{{"metadata", {{"name", name}}},
                {"involvedObject", {{"kind", "ConfigMap"}, {"name", "x"}, {"namespace", ns_}}},
                {"reason", "Test"},
                {"message", name}};
  };
  ASSERT_EQ(Post(events, event("kept")).status, 201);
  ASSERT_EQ(Post(events, event("doomed")).status, 201);
  GatedWatches gated(*client_);
  std::mutex mu;
  std::set<std::string> present;
  std::vector<std::string> removed;
  Informer informer(gated, events,
                    {.upsert =
                         [&](const json& o) {
                           std::lock_guard lock(mu);
                           present.insert(o["metadata"]["name"].get<std::string>());
                         },
                     .remove =
                         [&](const json& o) {
                           std::lock_guard lock(mu);
                           present.erase(o["metadata"]["name"].get<std::string>());
                           removed.push_back(o["metadata"]["name"].get<std::string>());
                         }});
  informer.Start();
  // Listed, and not watching: what changes now reaches it only through another list.
  ASSERT_TRUE(gated.WaitForAWatchAtTheGate(absl::Seconds(20)));
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(present, (std::set<std::string>{"kept", "doomed"}));
  }
  auto del = client_->Call({.method = "DELETE", .path = events + "/doomed"}, absl::Seconds(10));
  ASSERT_TRUE(del.ok());
  ASSERT_EQ(del->status, 200) << del->body;
  const ApiResponse created = Post(events, event("new"));
  ASSERT_EQ(created.status, 201);
  // The version the informer resumes from, and the delete after it, are history now.
  CompactEtcdUpTo(json::parse(created.body)["metadata"]["resourceVersion"].get<std::string>());
  gated.Open();
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (present == std::set<std::string>{"kept", "new"}) break;
    }
    ASSERT_LT(absl::Now(), deadline) << "the informer never caught up";
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(gated.server_said_gone()) << "the server did not answer 410 Gone";
  EXPECT_EQ(informer.lists(), 2) << "one list at the start, one after the 410";
  std::lock_guard lock(mu);
  EXPECT_EQ(removed, (std::vector<std::string>{"doomed"}));
}

TEST_F(KubeClientTest, OneLeaderAtATimeAndAReleasedLeaseIsTakenAtOnce) {
  std::atomic<int> leading{0};
  std::atomic<int> max_leading{0};
  auto options = [&](const std::string& id) {
    return LeaderElector::Options{.namespace_ = ns_,
                                  .name = "lease",
                                  .identity = id,
                                  .lease_duration = absl::Seconds(3),
                                  .renew_deadline = absl::Seconds(2),
                                  .retry_period = absl::Milliseconds(200)};
  };
  auto callbacks = [&] {
    return LeaderElector::Callbacks{
        .acquired =
            [&] {
              const int now = ++leading;
              int seen = max_leading.load();
              while (now > seen && !max_leading.compare_exchange_weak(seen, now)) {
              }
            },
        .lost = [&] { --leading; }};
  };
  auto a = std::make_unique<LeaderElector>(*client_, options("a"), callbacks());
  auto b = std::make_unique<LeaderElector>(*client_, options("b"), callbacks());
  a->Start();
  absl::SleepFor(absl::Seconds(1));
  b->Start();
  absl::SleepFor(absl::Seconds(2));
  EXPECT_TRUE(a->leading());
  EXPECT_FALSE(b->leading());
  const absl::Time stopped = absl::Now();
  a.reset();  // a clean stop releases the lease
  while (!b->leading() && absl::Now() - stopped < absl::Seconds(10)) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(b->leading());
  EXPECT_LT(absl::Now() - stopped, absl::Seconds(2)) << "a released lease need not expire";
  EXPECT_EQ(max_leading.load(), 1);
}

TEST_F(KubeClientTest, AnotherHoldersLeaseIsTakenOnlyAfterItExpires) {
  const std::string leases =
      absl::StrCat("/apis/coordination.k8s.io/v1/namespaces/", ns_, "/leases");
  const std::string renew =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone());
  ASSERT_EQ(Post(leases, {{"apiVersion", "coordination.k8s.io/v1"},
                          {"kind", "Lease"},
                          {"metadata", {{"name", "lease"}}},
                          {"spec",
                           {{"holderIdentity", "crashed-replica"},
                            {"leaseDurationSeconds", 3},
                            {"renewTime", renew}}}})
                .status,
            201);
  std::atomic<bool> acquired{false};
  LeaderElector b(*client_,
                  {.namespace_ = ns_,
                   .name = "lease",
                   .identity = "b",
                   .lease_duration = absl::Seconds(3),
                   .renew_deadline = absl::Seconds(2),
                   .retry_period = absl::Milliseconds(200)},
                  {.acquired = [&] { acquired = true; }});
  const absl::Time start = absl::Now();
  b.Start();
  while (!acquired && absl::Now() - start < absl::Seconds(15))
    absl::SleepFor(absl::Milliseconds(20));
  ASSERT_TRUE(acquired.load());
  EXPECT_GE(absl::Now() - start, absl::Seconds(3)) << "taken before the holder's lease expired";
}

}  // namespace
}  // namespace gitdest::k8s
