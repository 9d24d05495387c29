// gitdest's resources between the Kubernetes API's JSON and the core's types. The
// translation decides nothing: a spec the core would refuse (a bad branch, a repoUrl
// with a password) is carried over as written, so that the core can say what is wrong
// in the object's status. Only what cannot be an object of the kind at all (no
// metadata.name, a field of the wrong JSON type) is an error, naming the field.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/types.h"
#include "core/watch_rules.h"
#include "nlohmann/json.hpp"

namespace gitdest::k8s {

inline constexpr char kGroup[] = "gitdest.dev";
inline constexpr char kVersion[] = "v1alpha1";
inline constexpr char kApiVersion[] = "gitdest.dev/v1alpha1";

// The plural resource name of a kind the controller owns ("gitdestinations").
std::string_view PluralOf(core::ResourceKind kind);
// The API path of one object's collection (cluster-scoped for a ClusterWatchRule):
// "/apis/gitdest.dev/v1alpha1/namespaces/NS/gitdestinations"; namespace "" = all.
std::string CollectionPath(core::ResourceKind kind, std::string_view namespace_);

// metadata.namespace / metadata.name.
absl::StatusOr<core::ObjectKey> KeyOf(const nlohmann::json& object);

// A GitRepoConfig as the core takes it: spec.repoUrl redacted (core::RedactUrl) with
// repo_url_had_credentials set when it carried a password.
absl::StatusOr<core::RepoConfig> RepoConfigFromJson(const nlohmann::json& object);
// A GitDestination; spec.repoRef.namespace defaults to the destination's namespace.
absl::StatusOr<core::Destination> DestinationFromJson(const nlohmann::json& object);
// A WatchRule, or a ClusterWatchRule (key.namespace_ == "").
absl::StatusOr<core::WatchRule> WatchRuleFromJson(const nlohmann::json& object);

// The body of a status subresource write: {"apiVersion", "kind", "metadata": {name,
// namespace, resourceVersion}, "status": {...}} for `target`, conditional on
// `resource_version`.
nlohmann::json StatusWriteBody(const core::StatusTarget& target,
                               const std::string& resource_version,
                               const core::ResourceStatus& status);
// A status as the API shows it (camelCase fields, RFC 3339 times, conditions).
nlohmann::json StatusToJson(const core::ResourceStatus& status);

// RFC 3339 (as metav1.Time: seconds, "Z") and back.
std::string FormatTime(absl::Time time);
absl::StatusOr<absl::Time> ParseTime(std::string_view rfc3339);

}  // namespace gitdest::k8s
