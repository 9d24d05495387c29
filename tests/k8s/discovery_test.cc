// API discovery's parsing of an APIResourceList (adapters/k8s/discovery.h), no server:
// what becomes a type the core may watch, and what does not.
#include <string>
#include <vector>

#include "adapters/k8s/discovery.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace gitdest::k8s {
namespace {

using nlohmann::json;

json Resource(const char* name, const char* kind, bool namespaced, std::vector<std::string> verbs) {
  return {{"name", name}, {"kind", kind}, {"namespaced", namespaced}, {"verbs", verbs}};
}

TEST(DiscoveryTest, ListableAndWatchableResourcesBecomeTypes) {
  const json list = {
      {"groupVersion", "apps/v1"},
      {"resources",
       {Resource("deployments", "Deployment", true, {"get", "list", "watch", "create"}),
        Resource("deployments/status", "Deployment", true, {"get", "list", "watch"}),
        Resource("deployments/scale", "Scale", true, {"get", "update"})}}};
  const std::vector<core::ResourceTypeInfo> types = ParseResourceList(list, "apps", "v1", true);
  ASSERT_EQ(types.size(), 1u) << "subresources are not types";
  EXPECT_EQ(types[0],
            (core::ResourceTypeInfo{{"apps", "v1", "deployments"}, "Deployment", true, true}));
}

TEST(DiscoveryTest, ScopeAndPreferenceAreKept) {
  const json list = {{"resources",
                      {Resource("namespaces", "Namespace", false, {"list", "watch"}),
                       Resource("configmaps", "ConfigMap", true, {"list", "watch"})}}};
  const std::vector<core::ResourceTypeInfo> types = ParseResourceList(list, "", "v1", false);
  ASSERT_EQ(types.size(), 2u);
  EXPECT_FALSE(types[0].namespaced);
  EXPECT_TRUE(types[1].namespaced);
  EXPECT_FALSE(types[0].preferred);
  EXPECT_FALSE(types[1].preferred);
}

TEST(DiscoveryTest, WhatCannotBeWatchedIsLeftOut) {
  const json list = {
      {"resources",
       {Resource("tokenreviews", "TokenReview", false, {"create"}),
        Resource("bindings", "Binding", true, {"create", "list"}),  // listed, not watched
        Resource("events", "Event", true, {"list", "watch"})}}};
  const std::vector<core::ResourceTypeInfo> types = ParseResourceList(list, "", "v1", true);
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(types[0].gvr.resource, "events");
}

TEST(DiscoveryTest, MalformedAnswersGiveNoTypesAndNoCrash) {
  for (const json& list :
       {json(nullptr), json::array(), json{{"resources", "nope"}},
        json{{"resources", {42, json::object(), json{{"name", 7}}, json{{"verbs", "list"}}}}},
        json{{"resources", {{{"name", "x"}, {"verbs", {1, 2}}}}}}}) {
    EXPECT_TRUE(ParseResourceList(list, "", "v1", true).empty()) << list.dump();
  }
}

}  // namespace
}  // namespace gitdest::k8s
