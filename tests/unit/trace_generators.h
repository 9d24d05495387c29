// Generators of every core Input, Effect and trace value for the trace codec's
// properties, and field-by-field equality: Members(v) ties every field of a struct, so a
// field added to a core type breaks the build until generator and comparison cover it.
#pragma once

#include <rapidcheck.h>

#include <cmath>
#include <concepts>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_join.h"
#include "adapters/trace/trace_file.h"
#include "adapters/trace/type_traits.h"

namespace gitdest::trace {

// ---- every struct's fields, unpacked --------------------------------------------------

// Members(v) ties every field of a struct. The structured binding has to name every
// field, so a field added to a core type breaks this test until its generator and
// comparison cover it. Kept apart from the codec's own field lists, so that the test
// does not take the codec's word for what a type holds.
#define GITDEST_MEMBERS(Type, ...)                    \
  template <class T>                                  \
  requires std::same_as<std::remove_const_t<T>, Type> \
  auto Members(T& v) {                                \
    auto& [__VA_ARGS__] = v;                          \
    return std::tie(__VA_ARGS__);                     \
  }

GITDEST_MEMBERS(core::ObjectKey, namespace_, name)
GITDEST_MEMBERS(core::ResourceId, group, version, resource, namespace_, name)
GITDEST_MEMBERS(core::PushSettings, interval, max_commits, max_bytes)
GITDEST_MEMBERS(core::RepoConfigSpec, repo_url, repo_url_had_credentials, allowed_branches,
                secret_name, push)
GITDEST_MEMBERS(core::RepoConfig, key, uid, generation, resource_version, spec)
GITDEST_MEMBERS(core::DestinationSpec, repo_ref, branch, base_folder)
GITDEST_MEMBERS(core::Destination, key, uid, generation, resource_version, creation_time, spec)
GITDEST_MEMBERS(core::Condition, type, status, reason, message, observed_generation,
                last_transition_time)
GITDEST_MEMBERS(core::DestinationStatus, conditions, observed_generation, branch_exists,
                last_commit_sha, last_sync_time)
GITDEST_MEMBERS(core::RepoConfigStatus, conditions, observed_generation, branches_read,
                branches_existing)
GITDEST_MEMBERS(core::WatchRuleStatus, conditions, observed_generation)
GITDEST_MEMBERS(core::StatusTarget, kind, key)
GITDEST_MEMBERS(core::PullReport::Head, sha, short_name, unborn)
GITDEST_MEMBERS(core::PullReport, exists_on_remote, head, incoming_changes, history_rewritten)
GITDEST_MEMBERS(core::PushResult, outcome, tip, history_rewritten)
GITDEST_MEMBERS(core::RemoteRef, repo_config, url, secret, branch)
GITDEST_MEMBERS(core::FileChange, path, op, content, message, author, destination)
GITDEST_MEMBERS(core::ControllerOptions, metadata_cache_ttl, read_timeout, push_timeout,
                read_retry_delay_max, requeue_interval, requeue_jitter_fraction,
                invalid_spec_requeue, status_write_retry_delay, resync_retry_delay, api_timeout,
                push_retry_delay_min, push_retry_delay_max, push_conflict_retries,
                max_pending_changes, max_reads_in_flight, max_status_writes_in_flight,
                max_lists_in_flight)
GITDEST_MEMBERS(core::RepoConfigObserved, config)
GITDEST_MEMBERS(core::RepoConfigDeleted, key)
GITDEST_MEMBERS(core::DestinationObserved, destination)
GITDEST_MEMBERS(core::DestinationDeleted, key)
GITDEST_MEMBERS(core::GroupVersionResource, group, version, resource)
GITDEST_MEMBERS(core::ResourceTypeInfo, gvr, kind, namespaced, preferred)
GITDEST_MEMBERS(core::ListSelector, gvr, namespace_)
GITDEST_MEMBERS(core::ResourceRule, operations, api_groups, api_versions, resources, scope)
GITDEST_MEMBERS(core::WatchRule, key, uid, generation, resource_version, destination_ref, rules)
GITDEST_MEMBERS(core::WatchRuleObserved, rule)
GITDEST_MEMBERS(core::WatchRuleDeleted, key)
GITDEST_MEMBERS(core::ResourceTypesDiscovered, types)
GITDEST_MEMBERS(core::ObjectChanged, object, uid, resource_version, op, content, user)
GITDEST_MEMBERS(core::WatchRelisted, gvr, resource_version)
GITDEST_MEMBERS(core::CapturedObject, resource, content, author, uid, resource_version)
GITDEST_MEMBERS(core::ObjectsListed, request, destination, objects, files)
GITDEST_MEMBERS(core::MetadataFetched, request, result)
GITDEST_MEMBERS(core::PushCompleted, request, result)
GITDEST_MEMBERS(core::StatusWritten, request, target, resource_version)
GITDEST_MEMBERS(core::ControllerRestarted, epoch)
GITDEST_MEMBERS(core::FetchMetadata, request, remote, known_tip, timeout)
GITDEST_MEMBERS(core::PushBatch, request, remote, expected_tip, changes, timeout)
GITDEST_MEMBERS(core::WriteStatus, request, target, resource_version, status)
GITDEST_MEMBERS(core::RequeueAfter, destination, delay)
GITDEST_MEMBERS(core::ResyncDestination, request, destination, remote, base_folder, timeout,
                selectors)
GITDEST_MEMBERS(core::EnsureWatches, types)
GITDEST_MEMBERS(core::RecordEvent, object, reason, message)
GITDEST_MEMBERS(TraceHeader, version, seed, command, options, epochs)
GITDEST_MEMBERS(TraceStep, step, replica, at, input, effects, wake_at, state_hash)
#undef GITDEST_MEMBERS

// Structs without fields (TimerFired, CacheSynced, LeaseAcquired, LeaseLost).
template <class T>
requires std::is_empty_v<std::remove_const_t<T>> std::tuple<> Members(T&) { return {}; }

template <class T>
concept HasMembers = requires(T& v) {
  Members(v);
};

// How many enumerators each enum has, so that generated values stay inside it.
template <class E>
constexpr int kEnumSize = 0;
template <>
inline constexpr int kEnumSize<core::ChangeOp> = 3;
template <>
inline constexpr int kEnumSize<core::ConditionStatus> = 3;
template <>
inline constexpr int kEnumSize<core::Tristate> = 3;
template <>
inline constexpr int kEnumSize<core::PushResult::Outcome> = 2;
template <>
inline constexpr int kEnumSize<core::ResourceKind> = 4;

// ---- generators --------------------------------------------------------------------------

// Pieces that break naive encoders: NUL, invalid UTF-8 (lone continuation, overlong
// NUL, surrogate, > U+10FFFF, truncated sequence), quotes, newlines, U+2028, emoji,
// and strings that look like this format's own encodings.
inline const std::vector<std::string> kFragments = {std::string("\0", 1),
                                                    "\xff",
                                                    "\x80",
                                                    "\xc0\x80",
                                                    "\xed\xa0\x80",
                                                    "\xf4\x90\x80\x80",
                                                    "\xe2\x82",
                                                    "\"",
                                                    "\\",
                                                    "\n",
                                                    "\r\n",
                                                    "\u2028",
                                                    "\xf0\x9f\x92\xa5",
                                                    "é",
                                                    "+inf",
                                                    "{\"b64\":\"AA==\"}",
                                                    "a",
                                                    "main",
                                                    "/",
                                                    "",
                                                    "\t"};

inline rc::Gen<std::string> Bytes() {
  return rc::gen::container<std::string>(rc::gen::cast<char>(rc::gen::inRange(0, 256)));
}

inline rc::Gen<std::string> Text() {
  return rc::gen::weightedOneOf<std::string>(
      {{3, rc::gen::arbitrary<std::string>()},
       {2, Bytes()},
       {4, rc::gen::map(
               rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(kFragments)),
               [](const std::vector<std::string>& parts) { return absl::StrJoin(parts, ""); })}});
}

// One of n choices, uniform at every size: rc::gen::inRange and arbitrary<bool> scale
// with the size, which would leave a variant's last alternatives and an enum's last
// values untried in most runs.
inline size_t AnyIndex(size_t n) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<size_t>(0, n));
}

// A time or duration: mostly any int64 nanoseconds, sometimes one of the infinities.
template <class T, class FromNanos>
T FiniteOrInfinite(T minus_infinity, T plus_infinity, FromNanos from_nanos) {
  return *rc::gen::weightedOneOf<T>({{1, rc::gen::just(minus_infinity)},
                                     {1, rc::gen::just(plus_infinity)},
                                     {8, rc::gen::map(rc::gen::arbitrary<int64_t>(), from_nanos)}});
}

// `ok` half the time, otherwise an error of any code (a Status or a StatusOr).
template <class S>
S OkOrError(S ok) {
  if (AnyIndex(2) == 0) return ok;
  const auto code = static_cast<absl::StatusCode>(1 + AnyIndex(16));
  return absl::Status(code, *Text());
}

template <class T>
void Fill(T& v);

template <class V, size_t I = 0>
void FillAlternative(V& v, size_t index) {
  if constexpr (I < std::variant_size_v<V>) {
    if (index == I) {
      Fill(v.template emplace<I>());
      return;
    }
    FillAlternative<V, I + 1>(v, index);
  }
}

// Sets every field of `v` to a generated value (NaN excluded: it equals nothing).
template <class T>
void Fill(T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    v = *Text();
  } else if constexpr (std::is_same_v<T, bool> || std::is_integral_v<T>) {
    v = *rc::gen::arbitrary<T>();
  } else if constexpr (std::is_same_v<T, double>) {
    v = *rc::gen::weightedOneOf<double>({{1, rc::gen::just(HUGE_VAL)},
                                         {1, rc::gen::just(-HUGE_VAL)},
                                         {1, rc::gen::just(-0.0)},
                                         {6, rc::gen::arbitrary<double>()}});
  } else if constexpr (std::is_enum_v<T>) {
    static_assert(kEnumSize<T> > 0, "list the enum in kEnumSize");
    v = static_cast<T>(AnyIndex(kEnumSize<T>));
  } else if constexpr (std::is_same_v<T, absl::Time>) {
    v = FiniteOrInfinite(absl::InfinitePast(), absl::InfiniteFuture(),
                         [](int64_t ns) { return absl::FromUnixNanos(ns); });
  } else if constexpr (std::is_same_v<T, absl::Duration>) {
    v = FiniteOrInfinite(-absl::InfiniteDuration(), absl::InfiniteDuration(),
                         [](int64_t ns) { return absl::Nanoseconds(ns); });
  } else if constexpr (std::is_same_v<T, absl::Status>) {
    v = OkOrError(absl::OkStatus());
  } else if constexpr (IsVector<T>::value) {
    v.resize(AnyIndex(4));
    for (auto& element : v) Fill(element);
  } else if constexpr (SharesVector<T>) {
    std::vector<typename T::value_type> elements;
    Fill(elements);
    v = T(std::move(elements));
  } else if constexpr (IsStatusOr<T>::value) {
    typename T::value_type value;
    Fill(value);
    v = OkOrError(T(std::move(value)));
  } else if constexpr (IsVariant<T>::value) {
    FillAlternative(v, AnyIndex(std::variant_size_v<T>));
  } else {
    static_assert(HasMembers<T>);
    std::apply([](auto&... field) { (Fill(field), ...); }, Members(v));
  }
}

template <class T>
T Any() {
  T v{};
  Fill(v);
  return v;
}

// ---- field-by-field equality (Input and Effect structs have no operator==) ------------

template <class T>
bool Same(const T& a, const T& b);

template <class Tuple, size_t... I>
bool SameFields(const Tuple& a, const Tuple& b, std::index_sequence<I...>) {
  return (Same(std::get<I>(a), std::get<I>(b)) && ...);
}

template <class T>
bool Same(const T& a, const T& b) {
  if constexpr (SharesVector<T>) {
    return Same(a.vector(), b.vector());
  } else if constexpr (IsVector<T>::value) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!Same(a[i], b[i])) return false;
    }
    return true;
  } else if constexpr (IsStatusOr<T>::value) {
    if (a.status() != b.status()) return false;
    return !a.ok() || Same(*a, *b);
  } else if constexpr (IsVariant<T>::value) {
    if (a.index() != b.index()) return false;
    return std::visit(
        [&](const auto& x) { return Same(x, std::get<std::decay_t<decltype(x)>>(b)); }, a);
  } else if constexpr (HasMembers<const T>) {
    const auto fa = Members(a);
    const auto fb = Members(b);
    return SameFields(fa, fb, std::make_index_sequence<std::tuple_size_v<decltype(fa)>>());
  } else if constexpr (std::is_same_v<T, double>) {
    return a == b && std::signbit(a) == std::signbit(b);
  } else {
    return a == b;
  }
}

}  // namespace gitdest::trace
