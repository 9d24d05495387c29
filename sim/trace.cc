// The trace codec (format in trace.h) and replay.
//
// Each C++ type has one Codec<T> specialization holding its Encode/Decode pair. The
// encoders unpack their argument with a structured binding, so that a field added to
// a core type breaks the build here instead of silently vanishing from traces; the
// decoders use designated initializers, which GCC's -Wmissing-field-initializers
// (an error here) requires to name every field; the round-trip property test
// (tests/unit/trace_test.cc) catches a field decoded from the wrong key.
//
// Decoding reports the first problem by throwing DecodeError up to the public
// boundary (DecodeHeader / DecodeStep), which returns it as a Status: nlohmann throws
// anyway, and one exception path keeps every decoder a straight line of field reads.
// Nothing throws out of this file's public functions.
#include "sim/trace.h"
#include "sim/type_traits.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <exception>
#include <optional>
#include <set>
#include <type_traits>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/controller.h"

namespace gitdest::sim {
namespace {

// std::map-ordered objects: one value always encodes to the same bytes.
using Json = nlohmann::json;

constexpr char kFormat[] = "gitdest-trace";

class DecodeError : public std::exception {
 public:
  DecodeError(const std::string& path, absl::string_view problem)
      : message_(path.empty() ? std::string(problem) : absl::StrCat(path, ": ", problem)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// A JSON value and its path from the line's root ("input.destination.key.name").
struct Node {
  const Json& json;
  std::string path;

  [[noreturn]] void Fail(absl::string_view problem) const { throw DecodeError(path, problem); }
  [[noreturn]] void WrongType(absl::string_view expected) const {
    Fail(absl::StrCat("expected ", expected, ", got ", json.type_name()));
  }
  Node Element(size_t i) const { return Node{json[i], absl::StrCat(path, "[", i, "]")}; }
};

std::string ChildPath(const std::string& path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

template <class T>
T Read(const Node& node);
template <class T>
Json Write(const T& value);

// Reads one JSON object's fields; Done() rejects fields that nobody read, so that a
// misspelt key is an error rather than a silently defaulted field.
class ObjectReader {
 public:
  explicit ObjectReader(const Node& node) : node_(node) {
    if (!node_.json.is_object()) node_.WrongType("object");
  }
  bool Has(absl::string_view key) const { return node_.json.contains(std::string(key)); }
  Node Field(absl::string_view key) {
    const std::string k(key);
    auto it = node_.json.find(k);
    if (it == node_.json.end()) throw DecodeError(ChildPath(node_.path, key), "missing field");
    used_.insert(k);
    return Node{*it, ChildPath(node_.path, key)};
  }
  template <class T>
  T Get(absl::string_view key) {
    return Read<T>(Field(key));
  }
  void Done() const {
    for (auto it = node_.json.begin(); it != node_.json.end(); ++it) {
      if (!used_.contains(it.key()))
        throw DecodeError(ChildPath(node_.path, it.key()), "unknown field");
    }
  }

 private:
  Node node_;
  std::set<std::string> used_;
};

// ---- scalars ---------------------------------------------------------------------------

Json WriteString(const std::string& s) {
  if (IsValidUtf8(s)) return s;
  return Json::object({{"b64", absl::Base64Escape(s)}});
}

std::string ReadString(const Node& node) {
  if (node.json.is_string()) return node.json.get<std::string>();
  if (!node.json.is_object()) node.WrongType("string");
  ObjectReader r(node);
  const Node b64 = r.Field("b64");
  r.Done();
  if (!b64.json.is_string()) b64.WrongType("string");
  const std::string text = b64.json.get<std::string>();
  std::string bytes;
  // Base64Unescape tolerates missing padding; insist on the canonical form.
  if (!absl::Base64Unescape(text, &bytes) || absl::Base64Escape(bytes) != text) {
    b64.Fail("invalid base64");
  }
  return bytes;
}

template <class I>
I ReadInt(const Node& node) {
  if (node.json.is_number_unsigned()) {
    const auto v = node.json.get<uint64_t>();
    if (!std::in_range<I>(v)) node.Fail(absl::StrCat("integer ", v, " out of range"));
    return static_cast<I>(v);
  }
  if (node.json.is_number_integer()) {
    const auto v = node.json.get<int64_t>();
    if (!std::in_range<I>(v)) node.Fail(absl::StrCat("integer ", v, " out of range"));
    return static_cast<I>(v);
  }
  node.WrongType("integer");
}

// Non-finite doubles have no JSON number.
Json WriteDouble(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "+inf" : "-inf";
  return d;
}

double ReadDouble(const Node& node) {
  if (node.json.is_number()) return node.json.get<double>();
  if (node.json == "nan") return std::nan("");
  if (node.json == "+inf") return HUGE_VAL;
  if (node.json == "-inf") return -HUGE_VAL;
  node.WrongType("number, \"nan\", \"+inf\" or \"-inf\"");
}

Json WriteTime(absl::Time t) {
  if (t == absl::InfinitePast()) return "-inf";
  if (t == absl::InfiniteFuture()) return "+inf";
  return absl::ToUnixNanos(t);
}

absl::Time ReadTime(const Node& node) {
  if (node.json == "-inf") return absl::InfinitePast();
  if (node.json == "+inf") return absl::InfiniteFuture();
  if (!node.json.is_number_integer()) node.WrongType("integer Unix nanoseconds or \"±inf\"");
  return absl::FromUnixNanos(ReadInt<int64_t>(node));
}

Json WriteDuration(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return "+inf";
  if (d == -absl::InfiniteDuration()) return "-inf";
  return absl::ToInt64Nanoseconds(d);
}

absl::Duration ReadDuration(const Node& node) {
  if (node.json == "-inf") return -absl::InfiniteDuration();
  if (node.json == "+inf") return absl::InfiniteDuration();
  if (!node.json.is_number_integer()) node.WrongType("integer nanoseconds or \"±inf\"");
  return absl::Nanoseconds(ReadInt<int64_t>(node));
}

Json WriteStatus(const absl::Status& s) {
  Json j = Json::object({{"code", absl::StatusCodeToString(s.code())}});
  if (!s.ok()) j["message"] = WriteString(std::string(s.message()));
  return j;
}

absl::Status ReadStatus(const Node& node) {
  ObjectReader r(node);
  const Node code_node = r.Field("code");
  const std::string name = ReadString(code_node);
  for (int c = 0; c <= static_cast<int>(absl::StatusCode::kUnauthenticated); ++c) {
    const auto code = static_cast<absl::StatusCode>(c);
    if (absl::StatusCodeToString(code) != name) continue;
    if (code == absl::StatusCode::kOk) {
      r.Done();  // an OK status has no message
      return absl::OkStatus();
    }
    absl::Status status(code, r.Get<std::string>("message"));
    r.Done();
    return status;
  }
  code_node.Fail(absl::StrCat("unknown status code \"", name, "\""));
}

// ---- containers ------------------------------------------------------------------------

template <class T>
Json WriteVector(const std::vector<T>& values) {
  Json j = Json::array();
  for (const T& v : values) j.push_back(Write(v));
  return j;
}

template <class V>
V ReadVector(const Node& node) {
  if (!node.json.is_array()) node.WrongType("array");
  V values;
  for (size_t i = 0; i < node.json.size(); ++i) {
    values.push_back(Read<typename V::value_type>(node.Element(i)));
  }
  return values;
}

template <class T>
Json WriteStatusOr(const absl::StatusOr<T>& v) {
  if (v.ok()) return Json::object({{"ok", Write(*v)}});
  return Json::object({{"error", WriteStatus(v.status())}});
}

template <class S>
S ReadStatusOr(const Node& node) {
  ObjectReader r(node);
  if (r.Has("ok")) {
    S value = r.Get<typename S::value_type>("ok");
    r.Done();
    return value;
  }
  const Node error = r.Field("error");
  r.Done();
  absl::Status status = ReadStatus(error);
  if (status.ok()) error.Fail("an error must not be OK");
  return status;
}

// ---- structs and variants --------------------------------------------------------------

// One specialization per struct: `static Json Encode(const T&)` and
// `static T Decode(ObjectReader&)`; Input and Effect alternatives also name their
// "type" in kType.
template <class T>
struct Codec;

template <class V>
Json WriteVariant(const V& v) {
  return std::visit(
      [](const auto& alternative) {
        using T = std::decay_t<decltype(alternative)>;
        Json j = Codec<T>::Encode(alternative);
        j["type"] = Codec<T>::kType;
        return j;
      },
      v);
}

template <class V, size_t I = 0>
V ReadAlternative(ObjectReader& r, const std::string& type, const Node& type_node) {
  if constexpr (I == std::variant_size_v<V>) {
    type_node.Fail(absl::StrCat("unknown type \"", type, "\""));
  } else {
    using T = std::variant_alternative_t<I, V>;
    if (type == Codec<T>::kType) return V(std::in_place_index<I>, Codec<T>::Decode(r));
    return ReadAlternative<V, I + 1>(r, type, type_node);
  }
}

template <class V>
V ReadVariant(const Node& node) {
  ObjectReader r(node);
  const Node type_node = r.Field("type");
  V value = ReadAlternative<V>(r, ReadString(type_node), type_node);
  r.Done();
  return value;
}

template <class T>
Json Write(const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    return WriteString(value);
  } else if constexpr (std::is_same_v<T, bool> || std::is_integral_v<T>) {
    return value;
  } else if constexpr (std::is_same_v<T, double>) {
    return WriteDouble(value);
  } else if constexpr (std::is_same_v<T, absl::Time>) {
    return WriteTime(value);
  } else if constexpr (std::is_same_v<T, absl::Duration>) {
    return WriteDuration(value);
  } else if constexpr (std::is_same_v<T, absl::Status>) {
    return WriteStatus(value);
  } else if constexpr (IsStatusOr<T>::value) {
    return WriteStatusOr(value);
  } else if constexpr (IsVector<T>::value) {
    return WriteVector(value);
  } else if constexpr (IsVariant<T>::value) {
    return WriteVariant(value);
  } else {
    return Codec<T>::Encode(value);
  }
}

template <class T>
T Read(const Node& node) {
  if constexpr (std::is_same_v<T, std::string>) {
    return ReadString(node);
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!node.json.is_boolean()) node.WrongType("boolean");
    return node.json.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    return ReadInt<T>(node);
  } else if constexpr (std::is_same_v<T, double>) {
    return ReadDouble(node);
  } else if constexpr (std::is_same_v<T, absl::Time>) {
    return ReadTime(node);
  } else if constexpr (std::is_same_v<T, absl::Duration>) {
    return ReadDuration(node);
  } else if constexpr (std::is_same_v<T, absl::Status>) {
    return ReadStatus(node);
  } else if constexpr (IsStatusOr<T>::value) {
    return ReadStatusOr<T>(node);
  } else if constexpr (IsVector<T>::value) {
    return ReadVector<T>(node);
  } else if constexpr (IsVariant<T>::value) {
    return ReadVariant<T>(node);
  } else if constexpr (std::is_enum_v<T>) {
    return Codec<T>::Decode(node);
  } else {
    ObjectReader r(node);
    T value = Codec<T>::Decode(r);
    r.Done();
    return value;
  }
}

// Enums are strings; kNames lists every enumerator in order.
template <class E, size_t N>
struct EnumCodec {
  static Json Encode(E e) { return Codec<E>::kNames[static_cast<size_t>(e)]; }
  static E Decode(const Node& node) {
    const std::string name = ReadString(node);
    for (size_t i = 0; i < N; ++i) {
      if (name == Codec<E>::kNames[i]) return static_cast<E>(i);
    }
    node.Fail(absl::StrCat("unknown value \"", name, "\""));
  }
};

template <>
struct Codec<core::ChangeOp> : EnumCodec<core::ChangeOp, 3> {
  static_assert(static_cast<int>(core::ChangeOp::kDelete) == 2);
  static constexpr const char* kNames[] = {"create", "update", "delete"};
};

template <>
struct Codec<core::ConditionStatus> : EnumCodec<core::ConditionStatus, 3> {
  static_assert(static_cast<int>(core::ConditionStatus::kUnknown) == 2);
  static constexpr const char* kNames[] = {"True", "False", "Unknown"};
};

// ---- core/types.h ----------------------------------------------------------------------

template <>
struct Codec<core::ObjectKey> {
  static Json Encode(const core::ObjectKey& v) {
    const auto& [namespace_, name] = v;
    return Json::object({{"namespace", Write(namespace_)}, {"name", Write(name)}});
  }
  static core::ObjectKey Decode(ObjectReader& r) {
    return {.namespace_ = r.Get<std::string>("namespace"), .name = r.Get<std::string>("name")};
  }
};

template <>
struct Codec<core::ResourceId> {
  static Json Encode(const core::ResourceId& v) {
    const auto& [group, version, resource, namespace_, name] = v;
    return Json::object({{"group", Write(group)},
                         {"version", Write(version)},
                         {"resource", Write(resource)},
                         {"namespace", Write(namespace_)},
                         {"name", Write(name)}});
  }
  static core::ResourceId Decode(ObjectReader& r) {
    return {.group = r.Get<std::string>("group"),
            .version = r.Get<std::string>("version"),
            .resource = r.Get<std::string>("resource"),
            .namespace_ = r.Get<std::string>("namespace"),
            .name = r.Get<std::string>("name")};
  }
};

template <>
struct Codec<core::PushSettings> {
  static Json Encode(const core::PushSettings& v) {
    const auto& [interval, max_commits, max_bytes] = v;
    return Json::object({{"interval", Write(interval)},
                         {"max_commits", Write(max_commits)},
                         {"max_bytes", Write(max_bytes)}});
  }
  static core::PushSettings Decode(ObjectReader& r) {
    return {.interval = r.Get<absl::Duration>("interval"),
            .max_commits = r.Get<int64_t>("max_commits"),
            .max_bytes = r.Get<int64_t>("max_bytes")};
  }
};

template <>
struct Codec<core::RepoConfigSpec> {
  static Json Encode(const core::RepoConfigSpec& v) {
    const auto& [repo_url, allowed_branches, secret_name, push] = v;
    return Json::object({{"repo_url", Write(repo_url)},
                         {"allowed_branches", Write(allowed_branches)},
                         {"secret_name", Write(secret_name)},
                         {"push", Write(push)}});
  }
  static core::RepoConfigSpec Decode(ObjectReader& r) {
    return {.repo_url = r.Get<std::string>("repo_url"),
            .allowed_branches = r.Get<std::vector<std::string>>("allowed_branches"),
            .secret_name = r.Get<std::string>("secret_name"),
            .push = r.Get<core::PushSettings>("push")};
  }
};

template <>
struct Codec<core::RepoConfig> {
  static Json Encode(const core::RepoConfig& v) {
    const auto& [key, generation, spec] = v;
    return Json::object(
        {{"key", Write(key)}, {"generation", Write(generation)}, {"spec", Write(spec)}});
  }
  static core::RepoConfig Decode(ObjectReader& r) {
    return {.key = r.Get<core::ObjectKey>("key"),
            .generation = r.Get<int64_t>("generation"),
            .spec = r.Get<core::RepoConfigSpec>("spec")};
  }
};

template <>
struct Codec<core::DestinationSpec> {
  static Json Encode(const core::DestinationSpec& v) {
    const auto& [repo_ref, branch, base_folder] = v;
    return Json::object({{"repo_ref", Write(repo_ref)},
                         {"branch", Write(branch)},
                         {"base_folder", Write(base_folder)}});
  }
  static core::DestinationSpec Decode(ObjectReader& r) {
    return {.repo_ref = r.Get<core::ObjectKey>("repo_ref"),
            .branch = r.Get<std::string>("branch"),
            .base_folder = r.Get<std::string>("base_folder")};
  }
};

template <>
struct Codec<core::Destination> {
  static Json Encode(const core::Destination& v) {
    const auto& [key, generation, creation_time, spec] = v;
    return Json::object({{"key", Write(key)},
                         {"generation", Write(generation)},
                         {"creation_time", Write(creation_time)},
                         {"spec", Write(spec)}});
  }
  static core::Destination Decode(ObjectReader& r) {
    return {.key = r.Get<core::ObjectKey>("key"),
            .generation = r.Get<int64_t>("generation"),
            .creation_time = r.Get<absl::Time>("creation_time"),
            .spec = r.Get<core::DestinationSpec>("spec")};
  }
};

template <>
struct Codec<core::Condition> {
  static Json Encode(const core::Condition& v) {
    const auto& [type, status, reason, message, observed_generation, last_transition_time] = v;
    return Json::object({{"type", Write(type)},
                         {"status", Write(status)},
                         {"reason", Write(reason)},
                         {"message", Write(message)},
                         {"observed_generation", Write(observed_generation)},
                         {"last_transition_time", Write(last_transition_time)}});
  }
  static core::Condition Decode(ObjectReader& r) {
    return {.type = r.Get<std::string>("type"),
            .status = r.Get<core::ConditionStatus>("status"),
            .reason = r.Get<std::string>("reason"),
            .message = r.Get<std::string>("message"),
            .observed_generation = r.Get<int64_t>("observed_generation"),
            .last_transition_time = r.Get<absl::Time>("last_transition_time")};
  }
};

template <>
struct Codec<core::DestinationStatus> {
  static Json Encode(const core::DestinationStatus& v) {
    const auto& [conditions, observed_generation, branch_exists, last_commit_sha, last_sync_time] =
        v;
    return Json::object({{"conditions", Write(conditions)},
                         {"observed_generation", Write(observed_generation)},
                         {"branch_exists", Write(branch_exists)},
                         {"last_commit_sha", Write(last_commit_sha)},
                         {"last_sync_time", Write(last_sync_time)}});
  }
  static core::DestinationStatus Decode(ObjectReader& r) {
    return {.conditions = r.Get<std::vector<core::Condition>>("conditions"),
            .observed_generation = r.Get<int64_t>("observed_generation"),
            .branch_exists = r.Get<bool>("branch_exists"),
            .last_commit_sha = r.Get<std::string>("last_commit_sha"),
            .last_sync_time = r.Get<absl::Time>("last_sync_time")};
  }
};

template <>
struct Codec<core::PullReport::Head> {
  static Json Encode(const core::PullReport::Head& v) {
    const auto& [sha, short_name, unborn] = v;
    return Json::object(
        {{"sha", Write(sha)}, {"short_name", Write(short_name)}, {"unborn", Write(unborn)}});
  }
  static core::PullReport::Head Decode(ObjectReader& r) {
    return {.sha = r.Get<std::string>("sha"),
            .short_name = r.Get<std::string>("short_name"),
            .unborn = r.Get<bool>("unborn")};
  }
};

template <>
struct Codec<core::PullReport> {
  static Json Encode(const core::PullReport& v) {
    const auto& [exists_on_remote, head, incoming_changes, history_rewritten] = v;
    return Json::object({{"exists_on_remote", Write(exists_on_remote)},
                         {"head", Write(head)},
                         {"incoming_changes", Write(incoming_changes)},
                         {"history_rewritten", Write(history_rewritten)}});
  }
  static core::PullReport Decode(ObjectReader& r) {
    return {.exists_on_remote = r.Get<bool>("exists_on_remote"),
            .head = r.Get<core::PullReport::Head>("head"),
            .incoming_changes = r.Get<int64_t>("incoming_changes"),
            .history_rewritten = r.Get<bool>("history_rewritten")};
  }
};

template <>
struct Codec<core::WorkerKey> {
  static Json Encode(const core::WorkerKey& v) {
    const auto& [repo_config, branch] = v;
    return Json::object({{"repo_config", Write(repo_config)}, {"branch", Write(branch)}});
  }
  static core::WorkerKey Decode(ObjectReader& r) {
    return {.repo_config = r.Get<core::ObjectKey>("repo_config"),
            .branch = r.Get<std::string>("branch")};
  }
};

template <>
struct Codec<core::FileChange> {
  static Json Encode(const core::FileChange& v) {
    const auto& [path, op, content, message, author, destination] = v;
    return Json::object({{"path", Write(path)},
                         {"op", Write(op)},
                         {"content", Write(content)},
                         {"message", Write(message)},
                         {"author", Write(author)},
                         {"destination", Write(destination)}});
  }
  static core::FileChange Decode(ObjectReader& r) {
    return {.path = r.Get<std::string>("path"),
            .op = r.Get<core::ChangeOp>("op"),
            .content = r.Get<std::string>("content"),
            .message = r.Get<std::string>("message"),
            .author = r.Get<std::string>("author"),
            .destination = r.Get<core::ObjectKey>("destination")};
  }
};

template <>
struct Codec<core::ControllerOptions> {
  static Json Encode(const core::ControllerOptions& v) {
    const auto& [metadata_cache_ttl, read_timeout, push_timeout, read_retry_delay_max,
                 requeue_interval, requeue_jitter_fraction, invalid_spec_requeue,
                 status_write_retry_delay, resync_retry_delay, api_timeout, push_retry_delay_min,
                 push_retry_delay_max, push_conflict_retries, max_pending_changes] = v;
    return Json::object({{"metadata_cache_ttl", Write(metadata_cache_ttl)},
                         {"read_timeout", Write(read_timeout)},
                         {"push_timeout", Write(push_timeout)},
                         {"read_retry_delay_max", Write(read_retry_delay_max)},
                         {"requeue_interval", Write(requeue_interval)},
                         {"requeue_jitter_fraction", Write(requeue_jitter_fraction)},
                         {"invalid_spec_requeue", Write(invalid_spec_requeue)},
                         {"status_write_retry_delay", Write(status_write_retry_delay)},
                         {"resync_retry_delay", Write(resync_retry_delay)},
                         {"api_timeout", Write(api_timeout)},
                         {"push_retry_delay_min", Write(push_retry_delay_min)},
                         {"push_retry_delay_max", Write(push_retry_delay_max)},
                         {"push_conflict_retries", Write(push_conflict_retries)},
                         {"max_pending_changes", Write(max_pending_changes)}});
  }
  static core::ControllerOptions Decode(ObjectReader& r) {
    return {.metadata_cache_ttl = r.Get<absl::Duration>("metadata_cache_ttl"),
            .read_timeout = r.Get<absl::Duration>("read_timeout"),
            .push_timeout = r.Get<absl::Duration>("push_timeout"),
            .read_retry_delay_max = r.Get<absl::Duration>("read_retry_delay_max"),
            .requeue_interval = r.Get<absl::Duration>("requeue_interval"),
            .requeue_jitter_fraction = r.Get<double>("requeue_jitter_fraction"),
            .invalid_spec_requeue = r.Get<absl::Duration>("invalid_spec_requeue"),
            .status_write_retry_delay = r.Get<absl::Duration>("status_write_retry_delay"),
            .resync_retry_delay = r.Get<absl::Duration>("resync_retry_delay"),
            .api_timeout = r.Get<absl::Duration>("api_timeout"),
            .push_retry_delay_min = r.Get<absl::Duration>("push_retry_delay_min"),
            .push_retry_delay_max = r.Get<absl::Duration>("push_retry_delay_max"),
            .push_conflict_retries = r.Get<int>("push_conflict_retries"),
            .max_pending_changes = r.Get<size_t>("max_pending_changes")};
  }
};

// ---- core/inputs.h ---------------------------------------------------------------------

template <>
struct Codec<core::RepoConfigObserved> {
  static constexpr char kType[] = "RepoConfigObserved";
  static Json Encode(const core::RepoConfigObserved& v) {
    const auto& [config] = v;
    return Json::object({{"config", Write(config)}});
  }
  static core::RepoConfigObserved Decode(ObjectReader& r) {
    return {.config = r.Get<core::RepoConfig>("config")};
  }
};

template <>
struct Codec<core::RepoConfigDeleted> {
  static constexpr char kType[] = "RepoConfigDeleted";
  static Json Encode(const core::RepoConfigDeleted& v) {
    const auto& [key] = v;
    return Json::object({{"key", Write(key)}});
  }
  static core::RepoConfigDeleted Decode(ObjectReader& r) {
    return {.key = r.Get<core::ObjectKey>("key")};
  }
};

template <>
struct Codec<core::DestinationObserved> {
  static constexpr char kType[] = "DestinationObserved";
  static Json Encode(const core::DestinationObserved& v) {
    const auto& [destination] = v;
    return Json::object({{"destination", Write(destination)}});
  }
  static core::DestinationObserved Decode(ObjectReader& r) {
    return {.destination = r.Get<core::Destination>("destination")};
  }
};

template <>
struct Codec<core::DestinationDeleted> {
  static constexpr char kType[] = "DestinationDeleted";
  static Json Encode(const core::DestinationDeleted& v) {
    const auto& [key] = v;
    return Json::object({{"key", Write(key)}});
  }
  static core::DestinationDeleted Decode(ObjectReader& r) {
    return {.key = r.Get<core::ObjectKey>("key")};
  }
};

template <>
struct Codec<core::ResourceChanged> {
  static constexpr char kType[] = "ResourceChanged";
  static Json Encode(const core::ResourceChanged& v) {
    const auto& [destination, resource, op, content, author] = v;
    return Json::object({{"destination", Write(destination)},
                         {"resource", Write(resource)},
                         {"op", Write(op)},
                         {"content", Write(content)},
                         {"author", Write(author)}});
  }
  static core::ResourceChanged Decode(ObjectReader& r) {
    return {.destination = r.Get<core::ObjectKey>("destination"),
            .resource = r.Get<core::ResourceId>("resource"),
            .op = r.Get<core::ChangeOp>("op"),
            .content = r.Get<std::string>("content"),
            .author = r.Get<std::string>("author")};
  }
};

template <>
struct Codec<core::CacheSynced> {
  static constexpr char kType[] = "CacheSynced";
  static Json Encode(const core::CacheSynced&) { return Json::object(); }
  static core::CacheSynced Decode(ObjectReader&) { return {}; }
};

template <>
struct Codec<core::CapturedObject> {
  static Json Encode(const core::CapturedObject& v) {
    const auto& [resource, content, author] = v;
    return Json::object(
        {{"resource", Write(resource)}, {"content", Write(content)}, {"author", Write(author)}});
  }
  static core::CapturedObject Decode(ObjectReader& r) {
    return {.resource = r.Get<core::ResourceId>("resource"),
            .content = r.Get<std::string>("content"),
            .author = r.Get<std::string>("author")};
  }
};

template <>
struct Codec<core::ObjectsListed> {
  static constexpr char kType[] = "ObjectsListed";
  static Json Encode(const core::ObjectsListed& v) {
    const auto& [destination, objects, request, files] = v;
    return Json::object({{"destination", Write(destination)},
                         {"objects", Write(objects)},
                         {"request", Write(request)},
                         {"files", Write(files)}});
  }
  static core::ObjectsListed Decode(ObjectReader& r) {
    return {.destination = r.Get<core::ObjectKey>("destination"),
            .objects = r.Get<absl::StatusOr<std::vector<core::CapturedObject>>>("objects"),
            .request = r.Get<core::RequestId>("request"),
            .files = r.Get<absl::StatusOr<std::vector<std::string>>>("files")};
  }
};

template <>
struct Codec<core::MetadataFetched> {
  static constexpr char kType[] = "MetadataFetched";
  static Json Encode(const core::MetadataFetched& v) {
    const auto& [request, result] = v;
    return Json::object({{"request", Write(request)}, {"result", Write(result)}});
  }
  static core::MetadataFetched Decode(ObjectReader& r) {
    return {.request = r.Get<core::RequestId>("request"),
            .result = r.Get<absl::StatusOr<core::PullReport>>("result")};
  }
};

template <>
struct Codec<core::PushCompleted> {
  static constexpr char kType[] = "PushCompleted";
  static Json Encode(const core::PushCompleted& v) {
    const auto& [request, status, tip, history_rewritten] = v;
    return Json::object({{"request", Write(request)},
                         {"status", Write(status)},
                         {"tip", Write(tip)},
                         {"history_rewritten", Write(history_rewritten)}});
  }
  static core::PushCompleted Decode(ObjectReader& r) {
    return {.request = r.Get<core::RequestId>("request"),
            .status = r.Get<absl::Status>("status"),
            .tip = r.Get<std::string>("tip"),
            .history_rewritten = r.Get<bool>("history_rewritten")};
  }
};

template <>
struct Codec<core::StatusWritten> {
  static constexpr char kType[] = "StatusWritten";
  static Json Encode(const core::StatusWritten& v) {
    const auto& [destination, status, request] = v;
    return Json::object({{"destination", Write(destination)},
                         {"status", Write(status)},
                         {"request", Write(request)}});
  }
  static core::StatusWritten Decode(ObjectReader& r) {
    return {.destination = r.Get<core::ObjectKey>("destination"),
            .status = r.Get<absl::Status>("status"),
            .request = r.Get<core::RequestId>("request")};
  }
};

template <>
struct Codec<core::TimerFired> {
  static constexpr char kType[] = "TimerFired";
  static Json Encode(const core::TimerFired&) { return Json::object(); }
  static core::TimerFired Decode(ObjectReader&) { return {}; }
};

template <>
struct Codec<core::ControllerRestarted> {
  static constexpr char kType[] = "ControllerRestarted";
  static Json Encode(const core::ControllerRestarted& v) {
    const auto& [epoch] = v;
    return Json::object({{"epoch", Write(epoch)}});
  }
  static core::ControllerRestarted Decode(ObjectReader& r) {
    return {.epoch = r.Get<uint32_t>("epoch")};
  }
};

// ---- core/effects.h --------------------------------------------------------------------

template <>
struct Codec<core::FetchMetadata> {
  static constexpr char kType[] = "FetchMetadata";
  static Json Encode(const core::FetchMetadata& v) {
    const auto& [request, worker, repo_url, secret_name, known_tip] = v;
    return Json::object({{"request", Write(request)},
                         {"worker", Write(worker)},
                         {"repo_url", Write(repo_url)},
                         {"secret_name", Write(secret_name)},
                         {"known_tip", Write(known_tip)}});
  }
  static core::FetchMetadata Decode(ObjectReader& r) {
    return {.request = r.Get<core::RequestId>("request"),
            .worker = r.Get<core::WorkerKey>("worker"),
            .repo_url = r.Get<std::string>("repo_url"),
            .secret_name = r.Get<std::string>("secret_name"),
            .known_tip = r.Get<std::string>("known_tip")};
  }
};

template <>
struct Codec<core::PushBatch> {
  static constexpr char kType[] = "PushBatch";
  static Json Encode(const core::PushBatch& v) {
    const auto& [request, worker, repo_url, secret_name, expected_tip, changes] = v;
    return Json::object({{"request", Write(request)},
                         {"worker", Write(worker)},
                         {"repo_url", Write(repo_url)},
                         {"secret_name", Write(secret_name)},
                         {"expected_tip", Write(expected_tip)},
                         {"changes", Write(changes)}});
  }
  static core::PushBatch Decode(ObjectReader& r) {
    return {.request = r.Get<core::RequestId>("request"),
            .worker = r.Get<core::WorkerKey>("worker"),
            .repo_url = r.Get<std::string>("repo_url"),
            .secret_name = r.Get<std::string>("secret_name"),
            .expected_tip = r.Get<std::string>("expected_tip"),
            .changes = r.Get<std::vector<core::FileChange>>("changes")};
  }
};

template <>
struct Codec<core::WriteStatus> {
  static constexpr char kType[] = "WriteStatus";
  static Json Encode(const core::WriteStatus& v) {
    const auto& [destination, status, request] = v;
    return Json::object({{"destination", Write(destination)},
                         {"status", Write(status)},
                         {"request", Write(request)}});
  }
  static core::WriteStatus Decode(ObjectReader& r) {
    return {.destination = r.Get<core::ObjectKey>("destination"),
            .status = r.Get<core::DestinationStatus>("status"),
            .request = r.Get<core::RequestId>("request")};
  }
};

template <>
struct Codec<core::RequeueAfter> {
  static constexpr char kType[] = "RequeueAfter";
  static Json Encode(const core::RequeueAfter& v) {
    const auto& [destination, delay] = v;
    return Json::object({{"destination", Write(destination)}, {"delay", Write(delay)}});
  }
  static core::RequeueAfter Decode(ObjectReader& r) {
    return {.destination = r.Get<core::ObjectKey>("destination"),
            .delay = r.Get<absl::Duration>("delay")};
  }
};

template <>
struct Codec<core::ResyncDestination> {
  static constexpr char kType[] = "ResyncDestination";
  static Json Encode(const core::ResyncDestination& v) {
    const auto& [destination, request, branch, repo_url, secret_name, base_folder] = v;
    return Json::object({{"destination", Write(destination)},
                         {"request", Write(request)},
                         {"branch", Write(branch)},
                         {"repo_url", Write(repo_url)},
                         {"secret_name", Write(secret_name)},
                         {"base_folder", Write(base_folder)}});
  }
  static core::ResyncDestination Decode(ObjectReader& r) {
    return {.destination = r.Get<core::ObjectKey>("destination"),
            .request = r.Get<core::RequestId>("request"),
            .branch = r.Get<std::string>("branch"),
            .repo_url = r.Get<std::string>("repo_url"),
            .secret_name = r.Get<std::string>("secret_name"),
            .base_folder = r.Get<std::string>("base_folder")};
  }
};

template <>
struct Codec<core::RecordEvent> {
  static constexpr char kType[] = "RecordEvent";
  static Json Encode(const core::RecordEvent& v) {
    const auto& [object, reason, message] = v;
    return Json::object(
        {{"object", Write(object)}, {"reason", Write(reason)}, {"message", Write(message)}});
  }
  static core::RecordEvent Decode(ObjectReader& r) {
    return {.object = r.Get<core::ObjectKey>("object"),
            .reason = r.Get<std::string>("reason"),
            .message = r.Get<std::string>("message")};
  }
};

// ---- trace lines -----------------------------------------------------------------------

std::string HashHex(uint64_t hash) { return absl::StrFormat("%016x", hash); }

uint64_t ReadHash(const Node& node) {
  if (!node.json.is_string()) node.WrongType("string of 16 hex digits");
  const std::string hex = node.json.get<std::string>();
  uint64_t hash = 0;
  const char* end = hex.data() + hex.size();
  const auto [ptr, ec] = std::from_chars(hex.data(), end, hash, 16);
  const bool digits_only = hex.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
  if (hex.size() != 16 || !digits_only || ec != std::errc() || ptr != end) {
    node.Fail(absl::StrCat("expected 16 hex digits, got \"", hex, "\""));
  }
  return hash;
}

template <>
struct Codec<TraceHeader> {
  static Json Encode(const TraceHeader& v) {
    const auto& [version, seed, command, options, epoch] = v;
    return Json::object({{"format", kFormat},
                         {"version", Write(version)},
                         {"seed", Write(seed)},
                         {"command", Write(command)},
                         {"options", Write(options)},
                         {"epoch", Write(epoch)}});
  }
  static TraceHeader Decode(ObjectReader& r) {
    const Node format = r.Field("format");
    if (!format.json.is_string() || format.json.get<std::string>() != kFormat) {
      format.Fail(absl::StrCat("expected \"", kFormat, "\""));
    }
    const Node version = r.Field("version");
    if (Read<int>(version) != kTraceVersion) {
      version.Fail(absl::StrCat("unsupported version ", version.json.dump()));
    }
    return {.version = kTraceVersion,
            .seed = r.Get<uint64_t>("seed"),
            .command = r.Get<std::string>("command"),
            .options = r.Get<core::ControllerOptions>("options"),
            .epoch = r.Get<uint32_t>("epoch")};
  }
};

template <>
struct Codec<TraceStep> {
  static Json Encode(const TraceStep& v) {
    const auto& [step, at, input, effects, wake_at, state_hash] = v;
    return Json::object({{"step", Write(step)},
                         {"at", Write(at)},
                         {"input", Write(input)},
                         {"effects", Write(effects)},
                         {"wake_at", Write(wake_at)},
                         {"state_hash", HashHex(state_hash)}});
  }
  static TraceStep Decode(ObjectReader& r) {
    return {.step = r.Get<int64_t>("step"),
            .at = r.Get<absl::Time>("at"),
            .input = r.Get<core::Input>("input"),
            .effects = r.Get<std::vector<core::Effect>>("effects"),
            .wake_at = r.Get<absl::Time>("wake_at"),
            .state_hash = ReadHash(r.Field("state_hash"))};
  }
};

// Every string was made valid UTF-8 by WriteString, so dump() cannot throw on
// encoding; the catch is the last guard of "nothing throws out of this API".
std::string Dump(const Json& j) {
  try {
    return j.dump();
  } catch (const std::exception&) {
    return R"({"encode_error":"unencodable value"})";
  }
}

template <class T>
absl::StatusOr<T> DecodeLine(absl::string_view line) {
  try {
    const Json j = Json::parse(line.begin(), line.end());
    return Read<T>(Node{j, ""});
  } catch (const DecodeError& e) {
    return absl::InvalidArgumentError(e.what());
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", e.what()));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("cannot decode: ", e.what()));
  }
}

}  // namespace

bool IsValidUtf8(absl::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    const auto lead = static_cast<unsigned char>(bytes[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code_point = 0;
    uint32_t least = 0;  // the smallest code point of this length: shorter is overlong
    if ((lead & 0xE0) == 0xC0) {
      length = 2, code_point = lead & 0x1F, least = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code_point = lead & 0x0F, least = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code_point = lead & 0x07, least = 0x10000;
    } else {
      return false;  // a continuation byte or 0xF8..0xFF as lead
    }
    if (bytes.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(bytes[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < least || code_point > 0x10FFFF) return false;
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return false;  // surrogates
    i += length;
  }
  return true;
}

std::string EncodeHeader(const TraceHeader& header) { return Dump(Write(header)); }
std::string EncodeStep(const TraceStep& step) { return Dump(Write(step)); }
std::string EncodeEffects(const std::vector<core::Effect>& effects) { return Dump(Write(effects)); }
std::string EncodeEffect(const core::Effect& effect) { return Dump(Write(effect)); }
std::string EncodeInput(const core::Input& input) { return Dump(Write(input)); }

absl::StatusOr<TraceHeader> DecodeHeader(absl::string_view line) {
  return DecodeLine<TraceHeader>(line);
}
absl::StatusOr<TraceStep> DecodeStep(absl::string_view line) { return DecodeLine<TraceStep>(line); }

// ---- TraceWriter -----------------------------------------------------------------------

absl::StatusOr<TraceWriter> TraceWriter::Open(const std::string& path, const TraceHeader& header) {
  std::ofstream out(path, std::ios::out | std::ios::trunc | std::ios::binary);
  if (!out.is_open()) return absl::ErrnoToStatus(errno, absl::StrCat("cannot create ", path));
  TraceWriter writer(path, std::move(out));
  absl::Status written = writer.WriteLine(EncodeHeader(header));
  if (!written.ok()) return written;
  return writer;
}

absl::Status TraceWriter::Write(const TraceStep& step) { return WriteLine(EncodeStep(step)); }

absl::Status TraceWriter::WriteLine(const std::string& line) {
  if (!out_.is_open()) return absl::FailedPreconditionError(absl::StrCat(path_, " is closed"));
  out_ << line << '\n';
  out_.flush();
  if (!out_) return absl::ErrnoToStatus(errno, absl::StrCat("cannot write ", path_));
  return absl::OkStatus();
}

absl::Status TraceWriter::Close() {
  if (!out_.is_open()) return absl::OkStatus();
  out_.close();
  if (!out_) return absl::ErrnoToStatus(errno, absl::StrCat("cannot close ", path_));
  return absl::OkStatus();
}

// ---- Replay ----------------------------------------------------------------------------

namespace {

// Divergence messages quote encodings; a PushBatch can be megabytes.
std::string Abbreviate(const std::string& s) {
  constexpr size_t kMax = 1000;
  if (s.size() <= kMax) return s;
  return absl::StrCat(s.substr(0, kMax), "... (", s.size(), " bytes)");
}

std::string TimeText(absl::Time t) {
  return absl::StrCat(absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone()), " (",
                      Dump(WriteTime(t)), ")");
}

// The first effect whose canonical encoding differs, or "" if none does.
std::string DiffEffects(const std::vector<core::Effect>& recorded,
                        const std::vector<core::Effect>& replayed) {
  for (size_t i = 0; i < std::max(recorded.size(), replayed.size()); ++i) {
    const std::string a = i < recorded.size() ? EncodeEffect(recorded[i]) : "(none)";
    const std::string b = i < replayed.size() ? EncodeEffect(replayed[i]) : "(none)";
    if (a == b) continue;
    return absl::StrCat("effects differ at effect ", i, " (recorded ", recorded.size(),
                        " effects, replayed ", replayed.size(), "): recorded ", Abbreviate(a),
                        ", replayed ", Abbreviate(b));
  }
  return "";
}

// Runs one recorded step on `controller` and compares; `previous` is the last
// replayed step (nullptr before the first).
absl::Status ReplayStep(core::Controller& controller, const TraceStep& step,
                        const TraceStep* previous) {
  const std::string where = absl::StrCat("step ", step.step, ": ");
  if (previous != nullptr && step.step != previous->step + 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "step numbers must be consecutive, previous was ", previous->step));
  }
  // The core asserts (and aborts) on these; a damaged trace must fail, not crash.
  if (step.at == absl::InfinitePast() || step.at == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(absl::StrCat(where, "time `at` is not finite"));
  }
  if (previous != nullptr && step.at < previous->at) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "time runs backwards: ", TimeText(step.at), " after ", TimeText(previous->at)));
  }
  const core::Output out = controller.Handle(step.input, step.at);
  if (std::string diff = DiffEffects(step.effects, out.effects); !diff.empty()) {
    return absl::InternalError(absl::StrCat(where, diff));
  }
  if (out.wake_at != step.wake_at) {
    return absl::InternalError(absl::StrCat(where, "wake_at differs: recorded ",
                                            TimeText(step.wake_at), ", replayed ",
                                            TimeText(out.wake_at)));
  }
  if (const uint64_t hash = controller.StateHash(); hash != step.state_hash) {
    return absl::InternalError(absl::StrCat(where, "state hash differs: recorded ",
                                            HashHex(step.state_hash), ", replayed ",
                                            HashHex(hash)));
  }
  if (absl::Status invariant = controller.CheckInvariants(); !invariant.ok()) {
    return absl::InternalError(absl::StrCat(where, "invariant: ", invariant.message()));
  }
  return absl::OkStatus();
}

absl::Status AtLine(size_t index, const absl::Status& error) {
  return absl::Status(error.code(), absl::StrCat("line ", index + 1, ": ", error.message()));
}

}  // namespace

ReplayResult ReplayLines(const std::vector<std::string>& lines) {
  ReplayResult result;
  if (lines.empty()) {
    result.status = absl::InvalidArgumentError("line 1: missing trace header");
    return result;
  }
  absl::StatusOr<TraceHeader> header = DecodeHeader(lines[0]);
  if (!header.ok()) {
    result.status = AtLine(0, header.status());
    return result;
  }
  core::Controller controller(header->options, header->epoch);
  std::optional<TraceStep> previous;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    absl::StatusOr<TraceStep> step = DecodeStep(lines[i]);
    if (!step.ok()) {
      result.status = AtLine(i, step.status());
      return result;
    }
    result.status = ReplayStep(controller, *step, previous ? &*previous : nullptr);
    if (!result.status.ok()) return result;
    ++result.steps;
    previous = *std::move(step);
  }
  return result;
}

ReplayResult Replay(const std::string& path) {
  std::ifstream in(path, std::ios::in | std::ios::binary);
  if (!in.is_open()) {
    return {.steps = 0, .status = absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", path))};
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
  if (in.bad()) {
    return {.steps = 0, .status = absl::ErrnoToStatus(errno, absl::StrCat("cannot read ", path))};
  }
  return ReplayLines(lines);
}

}  // namespace gitdest::sim
