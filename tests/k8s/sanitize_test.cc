// What gitdest writes to Git for an object: desired state, in stable YAML that reads
// back to the same values.
#include "adapters/k8s/sanitize.h"

#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace gitdest::k8s {
namespace {

using nlohmann::json;

TEST(SanitizeTest, DropsStatusAndWhatTheServerManagesKeepsTheRest) {
  const json object = json::parse(R"({
    "apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "cm", "namespace": "ns", "uid": "u", "resourceVersion": "7",
                 "generation": 2, "creationTimestamp": "2026-01-01T00:00:00Z",
                 "managedFields": [{}], "labels": {"app": "x"},
                 "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
    "data": {"k": "v"}, "immutable": true, "status": {"x": 1}})");
  const json clean = Sanitize(object);
  EXPECT_EQ(clean, json::parse(R"({"apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "cm", "namespace": "ns", "labels": {"app": "x"}},
    "data": {"k": "v"}, "immutable": true})"));
}

TEST(SanitizeTest, AServicesAllocatedClusterIpGoesAHeadlessOneStays) {
  json service = {{"kind", "Service"},
                  {"spec", {{"clusterIP", "10.0.0.7"}, {"clusterIPs", {"10.0.0.7"}}}}};
  EXPECT_FALSE(Sanitize(service)["spec"].contains("clusterIP"));
  EXPECT_FALSE(Sanitize(service)["spec"].contains("clusterIPs"));
  service["spec"]["clusterIP"] = "None";
  EXPECT_EQ(Sanitize(service)["spec"]["clusterIP"], "None");
}

// Reads YAML back into JSON the way a YAML 1.1 reader types plain scalars.
json Reread(const YAML::Node& node) {
  if (node.IsMap()) {
    json j = json::object();
    for (const auto& kv : node) j[kv.first.as<std::string>()] = Reread(kv.second);
    return j;
  }
  if (node.IsSequence()) {
    json j = json::array();
    for (const auto& item : node) j.push_back(Reread(item));
    return j;
  }
  if (node.IsNull()) return nullptr;
  const std::string s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted: a string
  if (s == "true" || s == "false") return s == "true";
  if (s.find_first_not_of("-0123456789") == std::string::npos) return std::stoll(s);
  return s;
}

TEST(SanitizeTest, YamlKeepsTypesStringsThatLookLikeOthersAreQuoted) {
  const json object = json::parse(R"({"kind": "ConfigMap", "apiVersion": "v1",
    "metadata": {"name": "n"},
    "data": {"a": "true", "b": "1", "c": "", "d": "null", "e": "yes", "f": "0x1F",
             "g": "1e3", "h": "plain words", "i": "multi\nline", "j": "- dash", "k": "a: b",
             "l": "#hash", "m": "ünïcode"},
    "spec": {"n": 3, "t": true, "empty": {}, "list": [], "nested": [{"x": -2}]}})");
  const std::string yaml = ToYaml(object);
  EXPECT_EQ(yaml.rfind("apiVersion: v1\nkind: ConfigMap\nmetadata:", 0), 0u) << yaml;
  EXPECT_EQ(Reread(YAML::Load(yaml)), object) << yaml;
  EXPECT_EQ(ToYaml(object), yaml) << "same object, same bytes";
}

}  // namespace
}  // namespace gitdest::k8s
