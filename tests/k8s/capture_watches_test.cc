// Capture on a real kube-apiserver (tests/k8s/with-cluster.sh): discovery of the served
// types, and CaptureWatches turning a watched type's objects into the core's Inputs
// (ObjectChanged with sanitized YAML, WatchRelisted), and nothing of a type once unwatched.
#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/k8s/capture_watches.h"
#include "adapters/k8s/discovery.h"
#include "adapters/k8s/inbox.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/k8s/admin_client.h"

namespace gitdest::k8s {
namespace {

using nlohmann::json;

const core::GroupVersionResource kConfigMaps{"", "v1", "configmaps"};

class CaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto client = AdminClient();
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    ns_ = absl::StrCat("capture-", absl::ToUnixNanos(absl::Now()) % 100000000);
    ASSERT_EQ(Call("POST", "/api/v1/namespaces", {{"metadata", {{"name", ns_}}}}), 201);
  }

  long Call(const std::string& method, const std::string& path, const json& body = nullptr) {
    auto r =
        client_->Call({.method = method, .path = path, .body = body.is_null() ? "" : body.dump()},
                      absl::Seconds(10));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->status : 0;
  }
  std::string ConfigMaps() const { return absl::StrCat("/api/v1/namespaces/", ns_, "/configmaps"); }
  long CreateConfigMap(const std::string& name, const std::string& value) {
    return Call("POST", ConfigMaps(),
                {{"metadata", {{"name", name}}}, {"data", {{"greeting", value}}}});
  }

  // Starts capture in the test's namespace; returns once the served types are in.
  std::unique_ptr<CaptureWatches> StartCapture() {
    auto capture = std::make_unique<CaptureWatches>(*client_, inbox_,
                                                    CaptureWatches::Options{.namespace_ = ns_},
                                                    [this](const absl::Status& s) {
                                                      std::lock_guard lock(troubles_mu_);
                                                      troubles_.push_back(std::string(s.message()));
                                                    });
    auto discovered = std::make_shared<std::promise<void>>();
    std::future<void> done = discovered->get_future();
    capture->Start([discovered] { discovered->set_value(); });
    EXPECT_EQ(done.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    std::optional<core::Input> first = inbox_.Pop(absl::Now() + absl::Seconds(1));
    EXPECT_TRUE(first && std::holds_alternative<core::ResourceTypesDiscovered>(*first))
        << "discovery comes first";
    return capture;
  }

  // The next ObjectChanged of the test's namespace (other inputs are kept in `others`).
  std::optional<core::ObjectChanged> NextChange(absl::Duration within = absl::Seconds(20)) {
    const absl::Time deadline = absl::Now() + within;
    while (std::optional<core::Input> input = inbox_.Pop(deadline)) {
      if (auto* changed = std::get_if<core::ObjectChanged>(&*input)) {
        if (changed->object.namespace_ == ns_) return std::move(*changed);
      } else {
        others_.push_back(std::move(*input));
      }
    }
    return std::nullopt;
  }

  std::unique_ptr<ApiClient> client_;
  std::string ns_;
  Inbox inbox_;
  std::vector<core::Input> others_;
  std::mutex troubles_mu_;
  std::vector<std::string> troubles_;  // what capture reported, for the log
};

TEST_F(CaptureTest, DiscoveryNamesServedTypesWithTheirScopeKindAndPreferredVersion) {
  Discovery discovery(*client_, absl::Seconds(10));
  absl::StatusOr<Discovery::Result> result = discovery.Discover();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->skipped.empty());
  const auto find = [&](const core::GroupVersionResource& gvr) -> const core::ResourceTypeInfo* {
    for (const core::ResourceTypeInfo& type : result->types) {
      if (type.gvr == gvr) return &type;
    }
    return nullptr;
  };
  const core::ResourceTypeInfo* configmaps = find(kConfigMaps);
  ASSERT_NE(configmaps, nullptr);
  EXPECT_EQ(*configmaps, (core::ResourceTypeInfo{kConfigMaps, "ConfigMap", true, true}));
  const core::ResourceTypeInfo* namespaces = find({"", "v1", "namespaces"});
  ASSERT_NE(namespaces, nullptr);
  EXPECT_FALSE(namespaces->namespaced);
  const core::ResourceTypeInfo* deployments = find({"apps", "v1", "deployments"});
  ASSERT_NE(deployments, nullptr);
  EXPECT_TRUE(deployments->preferred);
  for (const core::ResourceTypeInfo& type : result->types) {
    EXPECT_FALSE(absl::StrContains(type.gvr.resource, '/')) << type.gvr.ToString();
  }
  EXPECT_TRUE(std::is_sorted(result->types.begin(), result->types.end(),
                             [](const auto& a, const auto& b) { return a.gvr < b.gvr; }));
}

TEST_F(CaptureTest, AWatchedTypesObjectsBecomeChangesOfCleanYaml) {
  ASSERT_EQ(CreateConfigMap("before", "hello"), 201);
  std::unique_ptr<CaptureWatches> capture = StartCapture();
  capture->Ensure({kConfigMaps});
  EXPECT_EQ(capture->watched(), 1u);

  std::optional<core::ObjectChanged> listed = NextChange();
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(listed->object.name, "before");
  EXPECT_EQ(listed->op, core::ChangeOp::kCreate);
  EXPECT_FALSE(listed->uid.empty());
  EXPECT_FALSE(listed->resource_version.empty());
  // A list's items carry no apiVersion or kind; the file says both, and nothing the server
  // assigns.
  EXPECT_TRUE(absl::StrContains(listed->content, "apiVersion: v1\nkind: ConfigMap\n"))
      << listed->content;
  EXPECT_TRUE(absl::StrContains(listed->content, "greeting: hello")) << listed->content;
  EXPECT_FALSE(absl::StrContains(listed->content, "resourceVersion")) << listed->content;
  EXPECT_FALSE(absl::StrContains(listed->content, "uid:")) << listed->content;

  ASSERT_EQ(CreateConfigMap("after", "one"), 201);
  std::optional<core::ObjectChanged> created = NextChange();
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->object.name, "after");
  EXPECT_EQ(created->op, core::ChangeOp::kCreate);
  EXPECT_TRUE(std::any_of(others_.begin(), others_.end(), [](const core::Input& input) {
    const auto* relisted = std::get_if<core::WatchRelisted>(&input);
    return relisted != nullptr && relisted->gvr == kConfigMaps &&
           !relisted->resource_version.empty();
  })) << "the first list is followed by WatchRelisted";

  ASSERT_EQ(Call("PUT", ConfigMaps() + "/after",
                 {{"metadata", {{"name", "after"}}}, {"data", {{"greeting", "two"}}}}),
            200);
  std::optional<core::ObjectChanged> updated = NextChange();
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(updated->op, core::ChangeOp::kUpdate);
  EXPECT_TRUE(absl::StrContains(updated->content, "greeting: two"));
  EXPECT_EQ(updated->uid, created->uid);

  ASSERT_EQ(Call("DELETE", ConfigMaps() + "/after"), 200);
  std::optional<core::ObjectChanged> deleted = NextChange();
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(deleted->op, core::ChangeOp::kDelete);
  EXPECT_EQ(deleted->object.name, "after");
  EXPECT_TRUE(deleted->content.empty());
}

TEST_F(CaptureTest, AnUnwatchedTypeHandsOverNothingMore) {
  std::unique_ptr<CaptureWatches> capture = StartCapture();
  capture->Ensure({kConfigMaps});
  ASSERT_EQ(CreateConfigMap("one", "1"), 201);
  ASSERT_TRUE(NextChange().has_value());
  for (int i = 0; i < 5; ++i) ASSERT_EQ(CreateConfigMap(absl::StrCat("more-", i), "x"), 201);
  absl::SleepFor(absl::Milliseconds(500));  // some of them queued, not yet taken
  capture->Ensure({});
  EXPECT_EQ(capture->watched(), 0u);
  ASSERT_EQ(CreateConfigMap("later", "y"), 201);
  EXPECT_FALSE(NextChange(absl::Seconds(2)).has_value())
      << "nothing of an unwatched type reaches the core, not even what was queued";
  // Watched again: a new informer lists what is alive.
  capture->Ensure({kConfigMaps});
  int seen = 0;
  while (std::optional<core::ObjectChanged> change = NextChange(absl::Seconds(5))) ++seen;
  EXPECT_EQ(seen, 7) << "one, more-0..4 and later";
}

TEST_F(CaptureTest, ACrdInstalledLaterIsDiscoveredAgain) {
  auto capture = std::make_unique<CaptureWatches>(
      *client_, inbox_,
      CaptureWatches::Options{.namespace_ = ns_, .rediscover_every = absl::Seconds(1)},
      [](const absl::Status&) {});
  capture->Start({});
  std::optional<core::Input> first = inbox_.Pop(absl::Now() + absl::Seconds(30));
  ASSERT_TRUE(first && std::holds_alternative<core::ResourceTypesDiscovered>(*first));
  const std::string group = absl::StrCat(ns_, ".example.com");
  const json crd = {
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", {{"name", absl::StrCat("widgets.", group)}}},
      {"spec",
       {{"group", group},
        {"names", {{"plural", "widgets"}, {"singular", "widget"}, {"kind", "Widget"}}},
        {"scope", "Namespaced"},
        {"versions",
         {{{"name", "v1"},
           {"served", true},
           {"storage", true},
           {"schema", {{"openAPIV3Schema", {{"type", "object"}}}}}}}}}}};
  ASSERT_EQ(Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd), 201);
  const core::ResourceTypeInfo widgets{{group, "v1", "widgets"}, "Widget", true, true};
  bool seen = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!seen) {
    std::optional<core::Input> input = inbox_.Pop(deadline);
    if (!input) break;
    if (const auto* found = std::get_if<core::ResourceTypesDiscovered>(&*input)) {
      seen = std::find(found->types.begin(), found->types.end(), widgets) != found->types.end();
    }
  }
  EXPECT_TRUE(seen) << "the new type is told to the core at the next discovery";
  Call("DELETE",
       absl::StrCat("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.", group));
}

TEST_F(CaptureTest, OneNamespaceWatchesNoClusterScopedType) {
  std::unique_ptr<CaptureWatches> capture = StartCapture();
  capture->Ensure({{"", "v1", "namespaces"}});
  EXPECT_EQ(capture->watched(), 0u);
  std::lock_guard lock(troubles_mu_);
  EXPECT_TRUE(std::any_of(troubles_.begin(), troubles_.end(), [](const std::string& t) {
    return absl::StrContains(t, "v1/namespaces is cluster-scoped") &&
           absl::StrContains(t, "--namespace");
  }));
}

}  // namespace
}  // namespace gitdest::k8s
