// gitdest's resources between the Kubernetes API's JSON and the core's types. The
// translation decides nothing: a spec the core would refuse (a bad branch, a repoUrl
// with a password) is carried over as written, so that the core can say what is wrong
// in the object's status. Only what cannot be an object of the kind at all (no
// metadata.name, a field of the wrong JSON type) is an error, naming the field.
#pragma once

#include <cstddef>
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
// The kind's name as objects carry it ("GitDestination").
std::string_view KindOf(core::ResourceKind kind);
// The API path of one object's collection (cluster-scoped for a ClusterWatchRule):
// "/apis/gitdest.dev/v1alpha1/namespaces/NS/gitdestinations"; namespace "" = all.
std::string CollectionPath(core::ResourceKind kind, std::string_view namespace_);
// One object's path (CollectionPath + "/NAME"), and that of its status subresource
// (+ "/status"), where StatusWriteBody is PUT.
std::string ObjectPath(const core::StatusTarget& target);
std::string StatusPath(const core::StatusTarget& target);

// metadata.namespace / metadata.name.
absl::StatusOr<core::ObjectKey> KeyOf(const nlohmann::json& object);

// Common to the three below: `object` is a JSON object; `kind` and `apiVersion`, when
// present, are the kind's and kApiVersion; metadata.name is a non-empty string;
// metadata.uid, generation (default 1), resourceVersion and creationTimestamp (RFC 3339)
// are carried over. A field that is absent or JSON null takes the core's default (the
// API server omits empty fields); a field of the wrong JSON type is InvalidArgument
// naming its path and what was expected (`spec.push.maxCommits: expected an integer`,
// `spec.rules[2].resources[0]: expected a string`). Values are quoted in messages
// through core::QuoteForMessage. Unknown fields are ignored (a newer CRD may add some).

// A GitRepoConfig as the core takes it: spec.repoUrl redacted (core::RedactUrl) with
// repo_url_had_credentials set when redaction removed anything (a password, or on
// https/http/git/file a bare user that is usually a token), so the core refuses it
// and names spec.secretRef; spec.secretRef.name; spec.allowedBranches as written;
// spec.push with the core's defaults (PushSettings) for what is absent. A push.interval
// that is no Go duration (ParseGoDuration) is an error naming spec.push.interval: the
// core has no way to carry it, and the CRD's schema refuses it before it is stored.
absl::StatusOr<core::RepoConfig> RepoConfigFromJson(const nlohmann::json& object);
// A GitDestination; spec.repoRef.namespace defaults to the destination's namespace.
// creation_time is metadata.creationTimestamp (the Unix epoch if absent).
absl::StatusOr<core::Destination> DestinationFromJson(const nlohmann::json& object);
// A WatchRule, or a ClusterWatchRule (key.namespace_ == ""). Without `kind` the
// namespace tells which; a WatchRule without a namespace, or a ClusterWatchRule with
// one, is an error naming metadata.namespace.
absl::StatusOr<core::WatchRule> WatchRuleFromJson(const nlohmann::json& object);

// Go's time.ParseDuration: a possibly signed sequence of decimal numbers, each with an
// optional fraction and a unit (ns, us or µs, ms, s, m, h): "10s", "1m30s", "1.5h", "0".
// Limited, as Go is, to an int64 of nanoseconds (about 292 years). Errors
// (InvalidArgument) say what is expected and quote the text.
absl::StatusOr<absl::Duration> ParseGoDuration(std::string_view text);
// A duration in a form ParseGoDuration (and Go) reads back: "1m30s", "10s", "0".
std::string FormatGoDuration(absl::Duration duration);

// The body of a status subresource write: {"apiVersion", "kind", "metadata": {name,
// namespace, resourceVersion}, "status": {...}} for `target`, conditional on
// `resource_version`. It is a replace (PUT to StatusPath): the API server keeps the
// stored spec and metadata, takes the whole status from the body, and answers 409
// Conflict when the object moved past `resource_version`. `status` must fit the kind
// (core::StatusFitsKind), a ClusterWatchRule has no namespace and every other kind
// one: violations are bugs and abort (GITDEST_ASSERT).
nlohmann::json StatusWriteBody(const core::StatusTarget& target,
                               const std::string& resource_version,
                               const core::ResourceStatus& status);
// A status as the API shows it (camelCase fields, RFC 3339 times, conditions):
//  - every kind: conditions [{type, status "True"/"False"/"Unknown", reason, message,
//    observedGeneration, lastTransitionTime}], observedGeneration;
//  - GitDestination: branchExists, lastCommitSHA ("" = none), lastSyncTime (omitted
//    while the branch was never read, i.e. InfinitePast);
//  - GitRepoConfig: branchesRead, branchesExisting (core::RepoConfigStatus);
//  - WatchRule, ClusterWatchRule: nothing more.
// Strings are made valid UTF-8 (an invalid byte becomes U+FFFD), so the result always
// serialises, and cut to the CRDs' limits at a character boundary, so the schema never
// refuses a write: a condition's message to 32768 bytes (metav1.Condition's limit), its
// type and reason and lastCommitSHA to 1024. A time that is infinite is omitted.
nlohmann::json StatusToJson(const core::ResourceStatus& status);

// "True", "False" or "Unknown", as a condition's status is written.
std::string_view ConditionStatusName(core::ConditionStatus status);

// RFC 3339 as metav1.Time writes it: UTC, whole seconds (a fraction is dropped, toward
// the past), "Z": "2024-01-31T12:00:00Z". An infinite time formats as "". Inside
// namespace gitdest::k8s call it qualified (k8s::FormatTime): argument-dependent lookup
// also finds absl::FormatTime(absl::Time), and the unqualified call is ambiguous.
std::string FormatTime(absl::Time time);
// RFC 3339: "YYYY-MM-DDTHH:MM:SS" with an optional fraction of any length (digits beyond
// nanoseconds are dropped) and "Z" or a "+HH:MM"/"-HH:MM" offset; "T" and "Z" in either
// case. Out-of-range fields (month 13, Feb 30, second 60) are InvalidArgument.
absl::StatusOr<absl::Time> ParseTime(std::string_view rfc3339);

// `text` as valid UTF-8 of at most `max_bytes`: each byte that starts no well-formed
// sequence (RFC 3629) becomes U+FFFD, and the text is cut before the first character
// that would not fit whole.
std::string ToValidUtf8(std::string_view text, size_t max_bytes);

}  // namespace gitdest::k8s
