#include "adapters/k8s/cluster_api.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "adapters/k8s/resources.h"
#include "adapters/k8s/sanitize.h"

namespace gitdest::k8s {
namespace {

absl::StatusOr<nlohmann::json> ParseBody(const ApiResponse& response, absl::string_view what) {
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return absl::UnavailableError(absl::StrCat(what, ": the API server's answer is not JSON"));
  }
  return body;
}

}  // namespace

std::string TypeCollectionPath(const core::GroupVersionResource& gvr,
                               const std::string& namespace_) {
  std::string path = gvr.group.empty() ? absl::StrCat("/api/", gvr.version)
                                       : absl::StrCat("/apis/", gvr.group, "/", gvr.version);
  if (!namespace_.empty()) absl::StrAppend(&path, "/namespaces/", namespace_);
  absl::StrAppend(&path, "/", gvr.resource);
  return path;
}

absl::StatusOr<std::string> KubeClusterApi::WriteStatus(const core::StatusTarget& target,
                                                        const std::string& resource_version,
                                                        const core::ResourceStatus& status) {
  const std::string what = absl::StrCat("update status of ", target.ToString());
  auto response = client_->Call({.method = "PUT",
                                 .path = StatusPath(target),
                                 .body = StatusWriteBody(target, resource_version, status).dump()},
                                options_.timeout);
  if (!response.ok()) return response.status();
  if (auto s = StatusFromResponse(*response, what); !s.ok()) return s;
  auto body = ParseBody(*response, what);
  if (!body.ok()) return body.status();
  return (*body).value("metadata", nlohmann::json::object()).value("resourceVersion", "");
}

absl::Status KubeClusterApi::RecordEvent(const core::ObjectKey& object, const std::string& reason,
                                         const std::string& message) {
  return RecordEventOn({core::ResourceKind::kGitDestination, object}, true, reason, message);
}

absl::Status KubeClusterApi::RecordEventOn(const core::StatusTarget& target, bool warning,
                                           const std::string& reason, const std::string& message) {
  const core::ObjectKey& object = target.key;
  // A ClusterWatchRule has no namespace: its Events go to "default", as kubectl's do.
  const std::string ns = object.namespace_.empty() ? "default" : object.namespace_;
  nlohmann::json regarding = {{"apiVersion", kApiVersion},
                              {"kind", std::string(KindOf(target.kind))},
                              {"name", object.name}};
  if (!object.namespace_.empty()) regarding["namespace"] = object.namespace_;
  const nlohmann::json event = {
      {"apiVersion", "events.k8s.io/v1"},
      {"kind", "Event"},
      // Named as client-go's recorder names them: generateName would need a valid
      // subdomain prefix, and "name." is not one.
      {"metadata",
       {{"name", absl::StrCat(object.name, ".", absl::Hex(absl::ToUnixNanos(absl::Now())))},
        {"namespace", ns}}},
      {"eventTime", absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone())},
      {"reportingController", options_.component},
      {"reportingInstance", options_.instance.empty() ? options_.component : options_.instance},
      {"action", "Reconcile"},
      {"reason", reason.empty() ? std::string("Unknown") : reason},
      {"note", message.substr(0, 1024)},
      {"type", warning ? "Warning" : "Normal"},
      {"regarding", regarding},
  };
  auto response =
      client_->Call({.method = "POST",
                     .path = absl::StrCat("/apis/events.k8s.io/v1/namespaces/", ns, "/events"),
                     .body = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)},
                    options_.timeout);
  if (!response.ok()) return response.status();
  return StatusFromResponse(*response, absl::StrCat("record event on ", target.ToString()));
}

absl::StatusOr<std::vector<core::CapturedObject>> KubeClusterApi::ListObjects(
    const std::vector<core::ListSelector>& selectors) {
  std::vector<core::CapturedObject> objects;
  for (const core::ListSelector& selector : selectors) {
    const std::string collection = TypeCollectionPath(selector.gvr, selector.namespace_);
    std::string cont;
    do {
      std::string path = absl::StrCat(collection, "?limit=500");
      if (!cont.empty()) absl::StrAppend(&path, "&continue=", cont);
      auto response = client_->Call({.path = path}, options_.timeout);
      if (!response.ok()) return response.status();
      const std::string what = absl::StrCat("list ", selector.gvr.ToString());
      if (auto s = StatusFromResponse(*response, what); !s.ok()) return s;
      auto body = ParseBody(*response, what);
      if (!body.ok()) return body.status();
      for (const nlohmann::json& item : (*body).value("items", nlohmann::json::array())) {
        const nlohmann::json& meta = item.value("metadata", nlohmann::json::object());
        core::CapturedObject object;
        object.resource = {selector.gvr.group, selector.gvr.version, selector.gvr.resource,
                           meta.value("namespace", ""), meta.value("name", "")};
        object.uid = meta.value("uid", "");
        object.resource_version = meta.value("resourceVersion", "");
        nlohmann::json typed = item;  // a list's items carry no apiVersion/kind
        typed["apiVersion"] = (*body).value("apiVersion", "");
        typed["kind"] = std::string(absl::StripSuffix((*body).value("kind", ""), "List"));
        object.content = ToYaml(Sanitize(typed));
        objects.push_back(std::move(object));
      }
      cont = (*body).value("metadata", nlohmann::json::object()).value("continue", "");
    } while (!cont.empty());
  }
  return objects;
}

}  // namespace gitdest::k8s
