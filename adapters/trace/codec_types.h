// The codecs of the core's value types (core/types.h, core/options.h), shared by the
// codecs of Inputs (codec_inputs.cc) and Effects (codec_effects.cc), which are declared
// here and defined there.
#pragma once

#include "adapters/trace/json_codec.h"
#include "core/effects.h"
#include "core/inputs.h"
#include "core/naming/resource_path.h"
#include "core/options.h"
#include "core/types.h"
#include "core/watch_rules.h"

namespace gitdest::trace::internal {

// Enumerators' names, in the enum's order; the assertion ties the last one to the list.
template <>
struct Codec<core::ChangeOp> {
  static constexpr const char* kNames[] = {"create", "update", "delete"};
  static_assert(static_cast<size_t>(core::ChangeOp::kDelete) + 1 == std::size(kNames));
};

// As in Kubernetes.
template <>
struct Codec<core::ConditionStatus> {
  static constexpr const char* kNames[] = {"True", "False", "Unknown"};
  static_assert(static_cast<size_t>(core::ConditionStatus::kUnknown) + 1 == std::size(kNames));
};

template <>
struct Codec<core::Tristate> {
  static constexpr const char* kNames[] = {"no", "yes", "unknown"};
  static_assert(static_cast<size_t>(core::Tristate::kUnknown) + 1 == std::size(kNames));
};

// As the kinds are named in Kubernetes.
template <>
struct Codec<core::ResourceKind> {
  static constexpr const char* kNames[] = {"GitDestination", "GitRepoConfig", "WatchRule",
                                           "ClusterWatchRule"};
  static_assert(static_cast<size_t>(core::ResourceKind::kClusterWatchRule) + 1 ==
                std::size(kNames));
};

template <>
struct Codec<core::PushResult::Outcome> {
  static constexpr const char* kNames[] = {"pushed", "conflict"};
  static_assert(static_cast<size_t>(core::PushResult::Outcome::kConflict) + 1 == std::size(kNames));
};

GITDEST_TRACE_FIELDS(core::ObjectKey, namespace_, name);
GITDEST_TRACE_FIELDS(core::ResourceId, group, version, resource, namespace_, name);
GITDEST_TRACE_FIELDS(core::PushSettings, interval, max_commits, max_bytes);
GITDEST_TRACE_FIELDS(core::RepoConfigSpec, repo_url, repo_url_had_credentials, allowed_branches,
                     secret_name, push);
GITDEST_TRACE_FIELDS(core::RepoConfig, key, uid, generation, resource_version, spec);
GITDEST_TRACE_FIELDS(core::DestinationSpec, repo_ref, branch, base_folder);
GITDEST_TRACE_FIELDS(core::Destination, key, uid, generation, resource_version, creation_time,
                     spec);
GITDEST_TRACE_FIELDS(core::Condition, type, status, reason, message, observed_generation,
                     last_transition_time);
GITDEST_TRACE_FIELDS(core::DestinationStatus, conditions, observed_generation, branch_exists,
                     last_commit_sha, last_sync_time);
GITDEST_TRACE_FIELDS(core::RepoConfigStatus, conditions, observed_generation, branches_read,
                     branches_existing);
GITDEST_TRACE_FIELDS(core::WatchRuleStatus, conditions, observed_generation);
GITDEST_TRACE_FIELDS(core::StatusTarget, kind, key);
GITDEST_TRACE_FIELDS(core::PullReport::Head, sha, short_name, unborn);
GITDEST_TRACE_FIELDS(core::PullReport, exists_on_remote, head, incoming_changes, history_rewritten);
GITDEST_TRACE_FIELDS(core::PushResult, outcome, tip, history_rewritten);
GITDEST_TRACE_FIELDS(core::RemoteRef, repo_config, url, secret, branch);
GITDEST_TRACE_FIELDS(core::FileChange, path, op, content, message, author, destination);
GITDEST_TRACE_FIELDS(core::GroupVersionResource, group, version, resource);
GITDEST_TRACE_FIELDS(core::ResourceTypeInfo, gvr, kind, namespaced, preferred);
GITDEST_TRACE_FIELDS(core::ListSelector, gvr, namespace_);
GITDEST_TRACE_FIELDS(core::ResourceRule, operations, api_groups, api_versions, resources, scope);
GITDEST_TRACE_FIELDS(core::WatchRule, key, uid, generation, resource_version, destination_ref,
                     rules);
GITDEST_TRACE_FIELDS(core::ControllerOptions, metadata_cache_ttl, read_timeout, push_timeout,
                     read_retry_delay_max, requeue_interval, requeue_jitter_fraction,
                     invalid_spec_requeue, status_write_retry_delay, resync_retry_delay,
                     api_timeout, push_retry_delay_min, push_retry_delay_max, push_conflict_retries,
                     max_pending_changes, max_reads_in_flight, max_status_writes_in_flight,
                     max_lists_in_flight);

// A status is its type's fields plus "type", as an Input or an Effect.
template <>
struct Codec<core::ResourceStatus> {
  static Json Encode(const core::ResourceStatus& status) { return WriteVariant(status); }
  static core::ResourceStatus Decode(ObjectReader& r) {
    return ReadVariant<core::ResourceStatus>(r);
  }
};

// Each in its own translation unit: a variant's codec instantiates every alternative's.
template <>
struct Codec<core::Input> {
  static Json Encode(const core::Input& input);
  static core::Input Decode(ObjectReader& r);
};

template <>
struct Codec<core::Effect> {
  static Json Encode(const core::Effect& effect);
  static core::Effect Decode(ObjectReader& r);
};

}  // namespace gitdest::trace::internal
