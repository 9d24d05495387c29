#include "adapters/k8s/discovery.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gitdest::k8s {
namespace {

bool HasVerb(const nlohmann::json& resource, absl::string_view verb) {
  const auto verbs = resource.find("verbs");
  if (verbs == resource.end() || !verbs->is_array()) return false;
  return std::any_of(verbs->begin(), verbs->end(), [&](const nlohmann::json& v) {
    return v.is_string() && v.get_ref<const std::string&>() == verb;
  });
}

std::string StringField(const nlohmann::json& object, const char* field) {
  const auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::vector<core::ResourceTypeInfo> ParseResourceList(const nlohmann::json& list,
                                                      const std::string& group,
                                                      const std::string& version, bool preferred) {
  std::vector<core::ResourceTypeInfo> types;
  const auto resources = list.is_object() ? list.find("resources") : list.end();
  if (!list.is_object() || resources == list.end() || !resources->is_array()) return types;
  for (const nlohmann::json& resource : *resources) {
    if (!resource.is_object()) continue;
    const std::string name = StringField(resource, "name");
    if (name.empty() || absl::StrContains(name, '/')) continue;  // a subresource
    if (!HasVerb(resource, "list") || !HasVerb(resource, "watch")) continue;
    const auto namespaced = resource.find("namespaced");
    types.push_back(core::ResourceTypeInfo{
        {group, version, name},
        StringField(resource, "kind"),
        namespaced != resource.end() && namespaced->is_boolean() && namespaced->get<bool>(),
        preferred});
  }
  return types;
}

absl::StatusOr<nlohmann::json> Discovery::Get(const std::string& path) {
  auto response = client_->Call({.path = path}, timeout_);
  if (!response.ok()) return response.status();
  const std::string what = absl::StrCat("discovery ", path);
  if (absl::Status s = StatusFromResponse(*response, what); !s.ok()) return s;
  nlohmann::json body = nlohmann::json::parse(response->body, nullptr, false);
  if (!body.is_object()) return absl::UnavailableError(absl::StrCat(what, ": not a JSON object"));
  return body;
}

void Discovery::AddGroupVersion(const std::string& group, const std::string& version,
                                bool preferred, Result& result) {
  const std::string path =
      group.empty() ? absl::StrCat("/api/", version) : absl::StrCat("/apis/", group, "/", version);
  absl::StatusOr<nlohmann::json> list = Get(path);
  if (list.ok()) {
    last_[path] = ParseResourceList(*list, group, version, preferred);
  } else {
    result.skipped.push_back(list.status());
  }
  const auto known = last_.find(path);
  if (known == last_.end()) return;
  for (core::ResourceTypeInfo type : known->second) {
    type.preferred = preferred;  // the group's preferred version may have moved since
    result.types.push_back(std::move(type));
  }
}

absl::StatusOr<Discovery::Result> Discovery::Discover() {
  Result result;
  absl::StatusOr<nlohmann::json> core_versions = Get("/api");
  if (!core_versions.ok()) return core_versions.status();
  absl::StatusOr<nlohmann::json> groups = Get("/apis");
  if (!groups.ok()) return groups.status();
  // The core group serves v1 alone; were there more, the first is the preferred one.
  bool first = true;
  for (const nlohmann::json& version : core_versions->value("versions", nlohmann::json::array())) {
    if (!version.is_string()) continue;
    AddGroupVersion("", version.get<std::string>(), first, result);
    first = false;
  }
  for (const nlohmann::json& group : groups->value("groups", nlohmann::json::array())) {
    if (!group.is_object()) continue;
    const std::string name = StringField(group, "name");
    const std::string preferred =
        StringField(group.value("preferredVersion", nlohmann::json::object()), "version");
    for (const nlohmann::json& version : group.value("versions", nlohmann::json::array())) {
      if (!version.is_object()) continue;
      const std::string v = StringField(version, "version");
      if (name.empty() || v.empty()) continue;
      AddGroupVersion(name, v, v == preferred, result);
    }
  }
  std::sort(result.types.begin(), result.types.end(),
            [](const core::ResourceTypeInfo& a, const core::ResourceTypeInfo& b) {
              return a.gvr < b.gvr;
            });
  return result;
}

}  // namespace gitdest::k8s
