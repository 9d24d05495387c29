#include "adapters/k8s/resources.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "core/check.h"
#include "core/naming/repo_url.h"
#include "core/overloaded.h"

namespace gitdest::k8s {
namespace {

using Json = nlohmann::json;

#define GITDEST_RETURN_IF_ERROR(expr)         \
  do {                                        \
    if (absl::Status s_ = (expr); !s_.ok()) { \
      return s_;                              \
    }                                         \
  } while (false)

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status FieldError(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

std::string Child(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(AbslView(path), ".", AbslView(key));
}

std::string Index(std::string_view path, size_t i) {
  return absl::StrCat(AbslView(path), "[", i, "]");
}

// The value of `key` in `object` (an object), or nullptr when it is absent or null: the
// API server omits empty fields, and a JSON null means the same as no field.
const Json* Find(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::Status ReadString(const Json& object, const char* key, std::string_view path,
                        std::string& out) {
  const Json* value = Find(object, key);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_string()) return FieldError(Child(path, key), "expected a string");
  out = value->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadInt(const Json& object, const char* key, std::string_view path, int64_t& out) {
  const Json* value = Find(object, key);
  if (value == nullptr) return absl::OkStatus();
  if (value->is_number_unsigned()) {
    const uint64_t u = value->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return FieldError(Child(path, key), "integer out of range (at most 2^63-1)");
    }
    out = static_cast<int64_t>(u);
    return absl::OkStatus();
  }
  if (!value->is_number_integer()) return FieldError(Child(path, key), "expected an integer");
  out = value->get<int64_t>();
  return absl::OkStatus();
}

absl::Status ReadStringList(const Json& object, const char* key, std::string_view path,
                            std::vector<std::string>& out) {
  const Json* value = Find(object, key);
  if (value == nullptr) return absl::OkStatus();
  const std::string field = Child(path, key);
  if (!value->is_array()) return FieldError(field, "expected an array of strings");
  out.clear();
  out.reserve(value->size());
  for (size_t i = 0; i < value->size(); ++i) {
    const Json& item = (*value)[i];
    if (!item.is_string()) return FieldError(Index(field, i), "expected a string");
    out.push_back(item.get<std::string>());
  }
  return absl::OkStatus();
}

// The object at `key`, nullptr when absent; an error when it is there but no object.
absl::StatusOr<const Json*> ReadObject(const Json& object, const char* key, std::string_view path) {
  const Json* value = Find(object, key);
  if (value != nullptr && !value->is_object()) {
    return FieldError(Child(path, key), "expected an object");
  }
  return value;
}

// What every kind carries in metadata.
struct Metadata {
  core::ObjectKey key;
  std::string uid;
  int64_t generation = 1;
  std::string resource_version;
  absl::Time creation_time;
};

// An object of `kind`: a JSON object whose kind and apiVersion, when present, are ours.
absl::Status CheckKind(const Json& object, std::string_view kind) {
  if (!object.is_object()) return FieldError("object", "expected a JSON object");
  std::string value;
  GITDEST_RETURN_IF_ERROR(ReadString(object, "kind", "", value));
  if (!value.empty() && value != kind) {
    return FieldError(
        "kind", absl::StrCat("expected ", AbslView(kind), ", got ", core::QuoteForMessage(value)));
  }
  value.clear();
  GITDEST_RETURN_IF_ERROR(ReadString(object, "apiVersion", "", value));
  if (!value.empty() && value != kApiVersion) {
    return FieldError("apiVersion", absl::StrCat("expected ", kApiVersion, ", got ",
                                                 core::QuoteForMessage(value)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Metadata> ReadMetadata(const Json& object) {
  Metadata meta;
  absl::StatusOr<core::ObjectKey> key = KeyOf(object);
  if (!key.ok()) return key.status();
  meta.key = *std::move(key);
  const Json& m = object["metadata"];
  GITDEST_RETURN_IF_ERROR(ReadString(m, "uid", "metadata", meta.uid));
  GITDEST_RETURN_IF_ERROR(ReadInt(m, "generation", "metadata", meta.generation));
  GITDEST_RETURN_IF_ERROR(ReadString(m, "resourceVersion", "metadata", meta.resource_version));
  std::string created;
  GITDEST_RETURN_IF_ERROR(ReadString(m, "creationTimestamp", "metadata", created));
  if (!created.empty()) {
    absl::StatusOr<absl::Time> time = ParseTime(created);
    if (!time.ok()) return FieldError("metadata.creationTimestamp", time.status().message());
    meta.creation_time = *time;
  }
  return meta;
}

// ---- Go durations ------------------------------------------------------------------------

// The unit at the front of `s` (Go's time.ParseDuration units), consumed.
bool ConsumeUnit(std::string_view& s, absl::Duration& unit) {
  static const std::pair<std::string_view, absl::Duration> kUnits[] = {
      {"ns", absl::Nanoseconds(1)},
      {"us", absl::Microseconds(1)},
      {"\xC2\xB5s", absl::Microseconds(1)},  // U+00B5 micro sign
      {"\xCE\xBCs", absl::Microseconds(1)},  // U+03BC Greek mu
      {"ms", absl::Milliseconds(1)},
      {"s", absl::Seconds(1)},
      {"m", absl::Minutes(1)},
      {"h", absl::Hours(1)},
  };
  // Longest first where one unit is a prefix of another ("ms" before "m").
  for (const auto& [name, value] : kUnits) {
    if (s.starts_with(name)) {
      s.remove_prefix(name.size());
      unit = value;
      return true;
    }
  }
  return false;
}

// The whole number at the front of `s`, consumed. False if it has no digit or overflows.
bool ConsumeWhole(std::string_view& s, int64_t& value) {
  value = 0;
  bool any = false;
  while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
    const int digit = s.front() - '0';
    if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
    any = true;
    s.remove_prefix(1);
  }
  return any;
}

// The fraction digits at the front of `s`, consumed: the first nine count (nanoseconds of
// the smallest unit), the others are dropped as Go drops what it cannot represent.
void ConsumeFraction(std::string_view& s, int64_t& value, int64_t& scale, bool& any) {
  value = 0;
  scale = 1;
  any = false;
  while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
    if (scale < 1000000000) {
      value = value * 10 + (s.front() - '0');
      scale *= 10;
    }
    any = true;
    s.remove_prefix(1);
  }
}

}  // namespace

absl::StatusOr<absl::Duration> ParseGoDuration(std::string_view text) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected a duration such as \"10s\", \"1m30s\" or \"500ms\" (units ns, us, ms, s, m, "
        "h), got ",
        core::QuoteForMessage(AbslView(text))));
  };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return bad();
  // Go's limit: an int64 of nanoseconds (about 292 years).
  const absl::Duration max = absl::Nanoseconds(std::numeric_limits<int64_t>::max());
  absl::Duration total;
  while (!s.empty()) {
    int64_t whole = 0;
    const bool starts_with_digit = s.front() >= '0' && s.front() <= '9';
    if (starts_with_digit && !ConsumeWhole(s, whole)) return bad();  // overflow
    int64_t fraction = 0;
    int64_t scale = 1;
    bool any_fraction = false;
    if (!s.empty() && s.front() == '.') {
      s.remove_prefix(1);
      ConsumeFraction(s, fraction, scale, any_fraction);
    }
    absl::Duration unit;
    if ((!starts_with_digit && !any_fraction) || !ConsumeUnit(s, unit)) return bad();
    if (whole > 0 && unit > max / whole) return bad();
    total += unit * whole + unit * fraction / scale;
    if (total > max) return bad();
  }
  return negative ? -total : total;
}

std::string FormatGoDuration(absl::Duration d) {
  // absl's form ("1h30m", "10s", "1.5s", "0") is one Go's parser reads back.
  return absl::FormatDuration(d);
}

std::string_view PluralOf(core::ResourceKind kind) {
  switch (kind) {
    case core::ResourceKind::kGitDestination:
      return "gitdestinations";
    case core::ResourceKind::kGitRepoConfig:
      return "gitrepoconfigs";
    case core::ResourceKind::kWatchRule:
      return "watchrules";
    case core::ResourceKind::kClusterWatchRule:
      return "clusterwatchrules";
  }
  GITDEST_ASSERT(false);
}

std::string_view KindOf(core::ResourceKind kind) {
  switch (kind) {
    case core::ResourceKind::kGitDestination:
      return "GitDestination";
    case core::ResourceKind::kGitRepoConfig:
      return "GitRepoConfig";
    case core::ResourceKind::kWatchRule:
      return "WatchRule";
    case core::ResourceKind::kClusterWatchRule:
      return "ClusterWatchRule";
  }
  GITDEST_ASSERT(false);
}

std::string CollectionPath(core::ResourceKind kind, std::string_view namespace_) {
  std::string path = absl::StrCat("/apis/", kApiVersion, "/");
  if (kind != core::ResourceKind::kClusterWatchRule && !namespace_.empty()) {
    absl::StrAppend(&path, "namespaces/", AbslView(namespace_), "/");
  }
  absl::StrAppend(&path, AbslView(PluralOf(kind)));
  return path;
}

std::string ObjectPath(const core::StatusTarget& target) {
  return absl::StrCat(CollectionPath(target.kind, target.key.namespace_), "/", target.key.name);
}

std::string StatusPath(const core::StatusTarget& target) {
  return absl::StrCat(ObjectPath(target), "/status");
}

absl::StatusOr<core::ObjectKey> KeyOf(const nlohmann::json& object) {
  if (!object.is_object()) return FieldError("object", "expected a JSON object");
  const Json* metadata = Find(object, "metadata");
  if (metadata == nullptr) return FieldError("metadata", "required");
  if (!metadata->is_object()) return FieldError("metadata", "expected an object");
  core::ObjectKey key;
  GITDEST_RETURN_IF_ERROR(ReadString(*metadata, "name", "metadata", key.name));
  if (key.name.empty()) return FieldError("metadata.name", "required");
  GITDEST_RETURN_IF_ERROR(ReadString(*metadata, "namespace", "metadata", key.namespace_));
  return key;
}

absl::StatusOr<core::RepoConfig> RepoConfigFromJson(const nlohmann::json& object) {
  GITDEST_RETURN_IF_ERROR(CheckKind(object, "GitRepoConfig"));
  absl::StatusOr<Metadata> meta = ReadMetadata(object);
  if (!meta.ok()) return meta.status();
  core::RepoConfig config;
  config.key = meta->key;
  config.uid = meta->uid;
  config.generation = meta->generation;
  config.resource_version = meta->resource_version;
  absl::StatusOr<const Json*> spec = ReadObject(object, "spec", "");
  if (!spec.ok()) return spec.status();
  if (*spec == nullptr) return config;  // the core reports the missing repoUrl
  const Json& s = **spec;
  core::RepoConfigSpec& out = config.spec;
  std::string url;
  GITDEST_RETURN_IF_ERROR(ReadString(s, "repoUrl", "spec", url));
  // Redacted here, where it enters: nothing after this point may carry the secret. Any
  // userinfo RedactUrl removes was a credential (a password, or a token posing as the
  // user name of an https URL), which the core refuses.
  out.repo_url = core::RedactUrl(url);
  out.repo_url_had_credentials = out.repo_url != url;
  GITDEST_RETURN_IF_ERROR(ReadStringList(s, "allowedBranches", "spec", out.allowed_branches));
  absl::StatusOr<const Json*> secret_ref = ReadObject(s, "secretRef", "spec");
  if (!secret_ref.ok()) return secret_ref.status();
  if (*secret_ref != nullptr) {
    GITDEST_RETURN_IF_ERROR(ReadString(**secret_ref, "name", "spec.secretRef", out.secret_name));
  }
  absl::StatusOr<const Json*> push = ReadObject(s, "push", "spec");
  if (!push.ok()) return push.status();
  if (*push != nullptr) {
    const Json& p = **push;
    if (const Json* interval = Find(p, "interval"); interval != nullptr) {
      if (!interval->is_string()) return FieldError("spec.push.interval", "expected a string");
      absl::StatusOr<absl::Duration> d = ParseGoDuration(interval->get<std::string>());
      if (!d.ok()) return FieldError("spec.push.interval", d.status().message());
      out.push.interval = *d;
    }
    GITDEST_RETURN_IF_ERROR(ReadInt(p, "maxCommits", "spec.push", out.push.max_commits));
    GITDEST_RETURN_IF_ERROR(ReadInt(p, "maxBytes", "spec.push", out.push.max_bytes));
  }
  return config;
}

absl::StatusOr<core::Destination> DestinationFromJson(const nlohmann::json& object) {
  GITDEST_RETURN_IF_ERROR(CheckKind(object, "GitDestination"));
  absl::StatusOr<Metadata> meta = ReadMetadata(object);
  if (!meta.ok()) return meta.status();
  core::Destination destination;
  destination.key = meta->key;
  destination.uid = meta->uid;
  destination.generation = meta->generation;
  destination.resource_version = meta->resource_version;
  destination.creation_time = meta->creation_time;
  core::DestinationSpec& out = destination.spec;
  absl::StatusOr<const Json*> spec = ReadObject(object, "spec", "");
  if (!spec.ok()) return spec.status();
  if (*spec != nullptr) {
    const Json& s = **spec;
    absl::StatusOr<const Json*> repo_ref = ReadObject(s, "repoRef", "spec");
    if (!repo_ref.ok()) return repo_ref.status();
    if (*repo_ref != nullptr) {
      GITDEST_RETURN_IF_ERROR(ReadString(**repo_ref, "name", "spec.repoRef", out.repo_ref.name));
      GITDEST_RETURN_IF_ERROR(
          ReadString(**repo_ref, "namespace", "spec.repoRef", out.repo_ref.namespace_));
    }
    GITDEST_RETURN_IF_ERROR(ReadString(s, "branch", "spec", out.branch));
    GITDEST_RETURN_IF_ERROR(ReadString(s, "baseFolder", "spec", out.base_folder));
  }
  if (out.repo_ref.namespace_.empty()) out.repo_ref.namespace_ = destination.key.namespace_;
  return destination;
}

namespace {

absl::StatusOr<core::ResourceRule> ReadRule(const Json& item, const std::string& path) {
  if (!item.is_object()) return FieldError(path, "expected an object");
  core::ResourceRule rule;
  GITDEST_RETURN_IF_ERROR(ReadStringList(item, "operations", path, rule.operations));
  GITDEST_RETURN_IF_ERROR(ReadStringList(item, "apiGroups", path, rule.api_groups));
  GITDEST_RETURN_IF_ERROR(ReadStringList(item, "apiVersions", path, rule.api_versions));
  GITDEST_RETURN_IF_ERROR(ReadStringList(item, "resources", path, rule.resources));
  GITDEST_RETURN_IF_ERROR(ReadString(item, "scope", path, rule.scope));
  return rule;
}

absl::Status ReadRuleSpec(const Json& s, core::WatchRule& rule) {
  absl::StatusOr<const Json*> ref = ReadObject(s, "destinationRef", "spec");
  if (!ref.ok()) return ref.status();
  if (*ref != nullptr) {
    GITDEST_RETURN_IF_ERROR(
        ReadString(**ref, "name", "spec.destinationRef", rule.destination_ref.name));
    GITDEST_RETURN_IF_ERROR(
        ReadString(**ref, "namespace", "spec.destinationRef", rule.destination_ref.namespace_));
  }
  const Json* rules = Find(s, "rules");
  if (rules == nullptr) return absl::OkStatus();  // the core reports "at least one rule"
  if (!rules->is_array()) return FieldError("spec.rules", "expected an array");
  rule.rules.reserve(rules->size());
  for (size_t i = 0; i < rules->size(); ++i) {
    absl::StatusOr<core::ResourceRule> r = ReadRule((*rules)[i], Index("spec.rules", i));
    if (!r.ok()) return r.status();
    rule.rules.push_back(*std::move(r));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<core::WatchRule> WatchRuleFromJson(const nlohmann::json& object) {
  if (!object.is_object()) return FieldError("object", "expected a JSON object");
  std::string kind;
  GITDEST_RETURN_IF_ERROR(ReadString(object, "kind", "", kind));
  absl::StatusOr<core::ObjectKey> key = KeyOf(object);
  if (!key.ok()) return key.status();
  // Without a kind, the namespace tells the two apart, as the core does.
  if (kind.empty()) kind = key->namespace_.empty() ? "ClusterWatchRule" : "WatchRule";
  if (kind != "WatchRule" && kind != "ClusterWatchRule") {
    return FieldError("kind", absl::StrCat("expected WatchRule or ClusterWatchRule, got ",
                                           core::QuoteForMessage(kind)));
  }
  GITDEST_RETURN_IF_ERROR(CheckKind(object, kind));
  if (kind == "WatchRule" && key->namespace_.empty()) {
    return FieldError("metadata.namespace", "required for a WatchRule");
  }
  if (kind == "ClusterWatchRule" && !key->namespace_.empty()) {
    return FieldError("metadata.namespace", "a ClusterWatchRule is cluster-scoped and has none");
  }
  absl::StatusOr<Metadata> meta = ReadMetadata(object);
  if (!meta.ok()) return meta.status();
  core::WatchRule rule;
  rule.key = meta->key;
  rule.uid = meta->uid;
  rule.generation = meta->generation;
  rule.resource_version = meta->resource_version;
  absl::StatusOr<const Json*> spec = ReadObject(object, "spec", "");
  if (!spec.ok()) return spec.status();
  if (*spec != nullptr) GITDEST_RETURN_IF_ERROR(ReadRuleSpec(**spec, rule));
  return rule;
}

// ---- Status ------------------------------------------------------------------------------

namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// The length of the well-formed UTF-8 sequence (RFC 3629) at the front of `s`, 0 if none.
size_t Utf8SequenceLength(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto continuation = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return continuation(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (b0 == 0xE0 && byte(1) < 0xA0) return 0;   // overlong
    if (b0 == 0xED && byte(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (b0 == 0xF0 && byte(1) < 0x90) return 0;   // overlong
    if (b0 == 0xF4 && byte(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

std::string ToValidUtf8(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  while (!text.empty()) {
    size_t n = Utf8SequenceLength(text);
    std::string_view piece = n == 0 ? std::string_view(kReplacement) : text.substr(0, n);
    if (out.size() + piece.size() > max_bytes) break;  // whole characters only
    out.append(piece);
    text.remove_prefix(n == 0 ? 1 : n);
  }
  return out;
}

namespace {

// metav1.Condition's limit on message, which the CRDs' schemas repeat.
constexpr size_t kMessageMaxBytes = 32768;
constexpr size_t kReasonMaxBytes = 1024;

bool IsFinite(absl::Time t) { return t != absl::InfinitePast() && t != absl::InfiniteFuture(); }

Json ConditionsToJson(const std::vector<core::Condition>& conditions) {
  Json out = Json::array();
  for (const core::Condition& c : conditions) {
    Json j = {
        {"type", ToValidUtf8(c.type, kReasonMaxBytes)},
        {"status", ConditionStatusName(c.status)},
        {"reason", ToValidUtf8(c.reason, kReasonMaxBytes)},
        {"message", ToValidUtf8(c.message, kMessageMaxBytes)},
        {"observedGeneration", c.observed_generation},
    };
    if (IsFinite(c.last_transition_time)) {
      j["lastTransitionTime"] = k8s::FormatTime(c.last_transition_time);
    }
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

nlohmann::json StatusToJson(const core::ResourceStatus& status) {
  return std::visit(core::Overloaded{
                        [](const core::DestinationStatus& s) {
                          Json j = {
                              {"conditions", ConditionsToJson(s.conditions)},
                              {"observedGeneration", s.observed_generation},
                              {"branchExists", s.branch_exists},
                              {"lastCommitSHA", ToValidUtf8(s.last_commit_sha, kReasonMaxBytes)},
                          };
                          if (IsFinite(s.last_sync_time))
                            j["lastSyncTime"] = k8s::FormatTime(s.last_sync_time);
                          return j;
                        },
                        [](const core::RepoConfigStatus& s) {
                          return Json{
                              {"conditions", ConditionsToJson(s.conditions)},
                              {"observedGeneration", s.observed_generation},
                              {"branchesRead", s.branches_read},
                              {"branchesExisting", s.branches_existing},
                          };
                        },
                        [](const core::WatchRuleStatus& s) {
                          return Json{
                              {"conditions", ConditionsToJson(s.conditions)},
                              {"observedGeneration", s.observed_generation},
                          };
                        },
                    },
                    status);
}

nlohmann::json StatusWriteBody(const core::StatusTarget& target,
                               const std::string& resource_version,
                               const core::ResourceStatus& status) {
  GITDEST_ASSERT(core::StatusFitsKind(target.kind, status));
  GITDEST_ASSERT(!target.key.name.empty());
  GITDEST_ASSERT((target.kind == core::ResourceKind::kClusterWatchRule) ==
                 target.key.namespace_.empty());
  Json metadata = {{"name", target.key.name}, {"resourceVersion", resource_version}};
  if (!target.key.namespace_.empty()) metadata["namespace"] = target.key.namespace_;
  return Json{
      {"apiVersion", kApiVersion},
      {"kind", KindOf(target.kind)},
      {"metadata", std::move(metadata)},
      {"status", StatusToJson(status)},
  };
}

// ---- Times -------------------------------------------------------------------------------

std::string FormatTime(absl::Time time) {
  if (!IsFinite(time)) return "";
  return absl::FormatTime("%4Y-%m-%d%ET%H:%M:%SZ", time, absl::UTCTimeZone());
}

namespace {

// `n` digits at the front of `s`, consumed; false if there are fewer.
bool ConsumeFixedDigits(std::string_view& s, int n, int& value) {
  if (s.size() < static_cast<size_t>(n)) return false;
  value = 0;
  for (int i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  s.remove_prefix(n);
  return true;
}

bool ConsumeChar(std::string_view& s, std::string_view one_of) {
  if (s.empty() || one_of.find(s.front()) == std::string_view::npos) return false;
  s.remove_prefix(1);
  return true;
}

}  // namespace

absl::StatusOr<absl::Time> ParseTime(std::string_view rfc3339) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("expected an RFC 3339 time such as \"2024-01-31T12:00:00Z\", got ",
                     core::QuoteForMessage(AbslView(rfc3339))));
  };
  std::string_view s = rfc3339;
  int year, month, day, hour, minute, second;
  if (!ConsumeFixedDigits(s, 4, year) || !ConsumeChar(s, "-") || !ConsumeFixedDigits(s, 2, month) ||
      !ConsumeChar(s, "-") || !ConsumeFixedDigits(s, 2, day) || !ConsumeChar(s, "Tt") ||
      !ConsumeFixedDigits(s, 2, hour) || !ConsumeChar(s, ":") ||
      !ConsumeFixedDigits(s, 2, minute) || !ConsumeChar(s, ":") ||
      !ConsumeFixedDigits(s, 2, second)) {
    return bad();
  }
  absl::Duration fraction;
  if (ConsumeChar(s, ".")) {
    int digits = 0;
    int64_t nanos = 0;
    while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
      if (digits < 9) nanos = nanos * 10 + (s.front() - '0');
      ++digits;
      s.remove_prefix(1);
    }
    if (digits == 0) return bad();
    for (int i = digits; i < 9; ++i) nanos *= 10;
    fraction = absl::Nanoseconds(nanos);
  }
  absl::Duration offset;
  if (!ConsumeChar(s, "Zz")) {
    if (s.empty()) return bad();
    const int sign = s.front() == '-' ? -1 : 1;
    int offset_hours, offset_minutes;
    if (!ConsumeChar(s, "+-") || !ConsumeFixedDigits(s, 2, offset_hours) || !ConsumeChar(s, ":") ||
        !ConsumeFixedDigits(s, 2, offset_minutes) || offset_hours > 23 || offset_minutes > 59) {
      return bad();
    }
    offset = sign * (absl::Hours(offset_hours) + absl::Minutes(offset_minutes));
  }
  if (!s.empty()) return bad();
  // CivilSecond normalises (Feb 30 becomes Mar 2): a field that moved was out of range.
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  if (civil.year() != year || civil.month() != month || civil.day() != day ||
      civil.hour() != hour || civil.minute() != minute || civil.second() != second) {
    return bad();
  }
  return absl::FromCivil(civil, absl::UTCTimeZone()) + fraction - offset;
}

std::string_view ConditionStatusName(core::ConditionStatus status) {
  switch (status) {
    case core::ConditionStatus::kTrue:
      return "True";
    case core::ConditionStatus::kFalse:
      return "False";
    case core::ConditionStatus::kUnknown:
      return "Unknown";
  }
  GITDEST_ASSERT(false);
}

}  // namespace gitdest::k8s
