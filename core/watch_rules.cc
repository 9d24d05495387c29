#include "core/watch_rules.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/check.h"

namespace gitdest::core {
namespace {

// Bounds on what one validation message carries, so a hostile or huge spec cannot
// blow up a status write.
constexpr size_t kMaxProblems = 10;
constexpr size_t kMaxQuoted = 64;

constexpr char kWildcard[] = "*";
constexpr uint8_t kAllOperations = 0b111;

// User text inside a message: escaped, so no control character reaches a status, and
// bounded.
std::string Quote(absl::string_view text) {
  const bool cut = text.size() > kMaxQuoted;
  return absl::StrCat("\"", absl::CHexEscape(text.substr(0, kMaxQuoted)), cut ? "...\"" : "\"");
}

bool Contains(const std::vector<std::string>& list, absl::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool IsLowerAlnum(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); }

bool IsCoreSecrets(const GroupVersionResource& gvr) {
  return gvr.group.empty() && absl::EqualsIgnoreCase(gvr.resource, "secrets");
}

// Collects `<path>: <what> (<fix>)` problems; keeps the first kMaxProblems.
class Problems {
 public:
  void Add(std::string path, absl::string_view what, absl::string_view fix) {
    ++count_;
    if (kept_.size() < kMaxProblems)
      kept_.push_back(absl::StrCat(path, ": ", what, " (", fix, ")"));
  }
  absl::Status ToStatus() const {
    if (count_ == 0) return absl::OkStatus();
    std::string message = absl::StrJoin(kept_, "; ");
    if (count_ > kept_.size()) absl::StrAppend(&message, "; and ", count_ - kept_.size(), " more");
    return absl::InvalidArgumentError(message);
  }

 private:
  std::vector<std::string> kept_;
  size_t count_ = 0;
};

std::string Path(absl::string_view list, size_t index) {
  return absl::StrCat(list, "[", index, "]");
}

void CheckDestinationRef(const WatchRule& rule, Problems& problems) {
  const ObjectKey& ref = rule.destination_ref;
  if (ref.name.empty()) {
    problems.Add("spec.destinationRef.name", "required", "name the GitDestination to write to");
  }
  if (rule.IsClusterRule()) {
    if (ref.namespace_.empty()) {
      problems.Add("spec.destinationRef.namespace", "required for a ClusterWatchRule",
                   "name the namespace of the GitDestination");
    }
    return;
  }
  if (!ref.namespace_.empty() && ref.namespace_ != rule.key.namespace_) {
    problems.Add("spec.destinationRef.namespace",
                 absl::StrCat(Quote(ref.namespace_), " is not this WatchRule's namespace ",
                              Quote(rule.key.namespace_)),
                 "a WatchRule writes only to a GitDestination in its own namespace: omit the "
                 "namespace, or use a ClusterWatchRule");
  }
}

void CheckOperations(const std::string& path, const std::vector<std::string>& operations,
                     Problems& problems) {
  for (size_t i = 0; i < operations.size(); ++i) {
    const std::string& op = operations[i];
    if (op == "CREATE" || op == "UPDATE" || op == "DELETE" || op == kWildcard) continue;
    problems.Add(Path(path, i), absl::StrCat("unknown operation ", Quote(op)),
                 "use CREATE, UPDATE, DELETE or \"*\"");
  }
}

// The mistakes a group or version name can share: a "group/version" pair, a partial
// wildcard, upper case. Returns false once it has reported one.
bool CheckNameShape(const std::string& path, const std::string& name, absl::string_view what,
                    Problems& problems) {
  if (absl::StrContains(name, '/')) {
    problems.Add(path, absl::StrCat(Quote(name), " mixes group and version"),
                 "write the group in apiGroups and the version in apiVersions");
    return false;
  }
  if (absl::StrContains(name, '*')) {
    problems.Add(path, absl::StrCat(Quote(name), ": only a lone \"*\" is a wildcard"),
                 absl::StrCat("write \"*\" or an exact ", what));
    return false;
  }
  if (std::any_of(name.begin(), name.end(), absl::ascii_isupper)) {
    problems.Add(path, absl::StrCat(Quote(name), ": ", what, "s are lower-case"),
                 absl::StrCat("write ", Quote(absl::AsciiStrToLower(name))));
    return false;
  }
  return true;
}

void CheckGroups(const std::string& path, const std::vector<std::string>& groups,
                 Problems& problems) {
  for (size_t i = 0; i < groups.size(); ++i) {
    const std::string& group = groups[i];
    if (group.empty() || group == kWildcard) continue;  // "" is the core group
    if (!CheckNameShape(Path(path, i), group, "API group", problems)) continue;
    const bool ok = std::all_of(group.begin(), group.end(),
                                [](char c) { return IsLowerAlnum(c) || c == '.' || c == '-'; });
    if (!ok) {
      problems.Add(Path(path, i), absl::StrCat(Quote(group), " is not an API group"),
                   "write a DNS name such as \"apps\", \"\" for the core group or \"*\"");
    }
  }
}

void CheckVersions(const std::string& path, const std::vector<std::string>& versions,
                   Problems& problems) {
  for (size_t i = 0; i < versions.size(); ++i) {
    const std::string& version = versions[i];
    if (version == kWildcard) continue;
    if (version.empty()) {
      problems.Add(Path(path, i), "an empty version matches nothing",
                   "leave apiVersions out for the preferred version, or write \"*\"");
      continue;
    }
    if (!CheckNameShape(Path(path, i), version, "API version", problems)) continue;
    if (!std::all_of(version.begin(), version.end(), IsLowerAlnum)) {
      problems.Add(Path(path, i), absl::StrCat(Quote(version), " is not an API version"),
                   "write a version such as \"v1\", or \"*\"");
    }
  }
}

void CheckResource(const std::string& path, const std::string& resource, Problems& problems) {
  if (resource == kWildcard) return;
  if (resource.empty()) {
    problems.Add(path, "empty resource name",
                 "name a plural resource such as \"configmaps\", or \"*\"");
    return;
  }
  if (const size_t slash = resource.find('/'); slash != std::string::npos) {
    // A watch delivers whole objects; a subresource can never be watched by itself.
    problems.Add(path, absl::StrCat(Quote(resource), " names a subresource, which is not watched"),
                 absl::StrCat("name the resource ", Quote(resource.substr(0, slash)),
                              "; its whole object is written"));
    return;
  }
  if (absl::StrContains(resource, '*')) {
    problems.Add(path, absl::StrCat(Quote(resource), ": only a lone \"*\" is a wildcard"),
                 "name resources exactly, or write \"*\"");
    return;
  }
  const bool ok = std::all_of(resource.begin(), resource.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '.' || c == '-';
  });
  if (!ok) {
    problems.Add(path, absl::StrCat(Quote(resource), " is not a resource name"),
                 "name a plural resource such as \"configmaps\"");
  }
}

void CheckResources(const std::string& path, const std::vector<std::string>& resources,
                    Problems& problems) {
  if (resources.empty()) {
    problems.Add(path, "required", "name plural resources such as \"configmaps\", or \"*\"");
  }
  for (size_t i = 0; i < resources.size(); ++i)
    CheckResource(Path(path, i), resources[i], problems);
}

void CheckScope(const std::string& path, const std::string& scope, bool cluster_rule,
                Problems& problems) {
  if (cluster_rule) {
    if (scope == kScopeCluster || scope == kScopeNamespaced) return;
    if (scope.empty()) {
      problems.Add(path, "required for a ClusterWatchRule",
                   "write \"Cluster\" for cluster-scoped resources, or \"Namespaced\" for "
                   "namespaced ones in every namespace");
    } else {
      problems.Add(path, absl::StrCat("unknown scope ", Quote(scope)),
                   "write \"Cluster\" or \"Namespaced\"");
    }
    return;
  }
  if (scope.empty() || scope == kScopeNamespaced) return;
  if (scope == kScopeCluster) {
    problems.Add(path, "a WatchRule captures only its own namespace",
                 "leave scope out, or use a ClusterWatchRule for cluster-scoped resources");
  } else {
    problems.Add(path, absl::StrCat("unknown scope ", Quote(scope)), "leave scope out");
  }
}

RuleMatcher Compile(const ResourceRule& rule, const WatchRule& owner) {
  RuleMatcher m;
  if (rule.operations.empty() || Contains(rule.operations, kWildcard)) {
    m.operations = kAllOperations;
  } else {
    if (Contains(rule.operations, "CREATE")) m.operations |= OperationBit(ChangeOp::kCreate);
    if (Contains(rule.operations, "UPDATE")) m.operations |= OperationBit(ChangeOp::kUpdate);
    if (Contains(rule.operations, "DELETE")) m.operations |= OperationBit(ChangeOp::kDelete);
  }
  m.all_groups = rule.api_groups.empty() || Contains(rule.api_groups, kWildcard);
  if (!m.all_groups) {
    for (const std::string& group : rule.api_groups) m.groups.Insert(group);
  }
  if (rule.api_versions.empty()) {
    m.versions = RuleMatcher::Versions::kPreferred;
  } else if (Contains(rule.api_versions, kWildcard)) {
    m.versions = RuleMatcher::Versions::kAll;
  } else {
    m.versions = RuleMatcher::Versions::kListed;
    for (const std::string& version : rule.api_versions) m.version_list.Insert(version);
  }
  // Explicit names are kept next to "*": an explicit "secrets" still matters.
  for (const std::string& resource : rule.resources) {
    if (resource == kWildcard) {
      m.all_resources = true;
    } else {
      m.resources.Insert(absl::AsciiStrToLower(resource));
    }
  }
  if (!owner.IsClusterRule()) {
    m.reach = RuleMatcher::Reach::kOneNamespace;
    m.namespace_ = owner.key.namespace_;
  } else if (rule.scope == kScopeCluster) {
    m.reach = RuleMatcher::Reach::kClusterScoped;
  } else {
    m.reach = RuleMatcher::Reach::kAllNamespaces;
  }
  return m;
}

bool ReachCovers(const RuleMatcher& a, const RuleMatcher& b) {
  switch (a.reach) {
    case RuleMatcher::Reach::kClusterScoped:
      return b.reach == RuleMatcher::Reach::kClusterScoped;
    case RuleMatcher::Reach::kAllNamespaces:
      return b.reach != RuleMatcher::Reach::kClusterScoped;
    case RuleMatcher::Reach::kOneNamespace:
      return b.reach == RuleMatcher::Reach::kOneNamespace && b.namespace_ == a.namespace_;
  }
  return false;
}

bool VersionsCover(const RuleMatcher& a, const RuleMatcher& b) {
  switch (a.versions) {
    case RuleMatcher::Versions::kAll:
      return true;
    case RuleMatcher::Versions::kPreferred:
      return b.versions == RuleMatcher::Versions::kPreferred;
    case RuleMatcher::Versions::kListed:
      return b.versions == RuleMatcher::Versions::kListed &&
             std::includes(a.version_list.begin(), a.version_list.end(), b.version_list.begin(),
                           b.version_list.end());
  }
  return false;
}

}  // namespace

std::string GroupVersionResource::ToString() const {
  if (group.empty()) return absl::StrCat(version, "/", resource);
  return absl::StrCat(group, "/", version, "/", resource);
}

absl::Status ValidateWatchRule(const WatchRule& rule) {
  Problems problems;
  CheckDestinationRef(rule, problems);
  if (rule.rules.empty()) {
    problems.Add("spec.rules", "required", "add at least one rule naming resources to capture");
  }
  for (size_t i = 0; i < rule.rules.size(); ++i) {
    const ResourceRule& r = rule.rules[i];
    const std::string path = Path("spec.rules", i);
    CheckOperations(path + ".operations", r.operations, problems);
    CheckGroups(path + ".apiGroups", r.api_groups, problems);
    CheckVersions(path + ".apiVersions", r.api_versions, problems);
    CheckResources(path + ".resources", r.resources, problems);
    CheckScope(path + ".scope", r.scope, rule.IsClusterRule(), problems);
  }
  return problems.ToStatus();
}

ObjectKey DestinationOf(const WatchRule& rule) {
  if (rule.IsClusterRule()) return rule.destination_ref;
  return ObjectKey{rule.key.namespace_, rule.destination_ref.name};
}

CompiledWatchRule CompileWatchRule(const WatchRule& rule) {
  CompiledWatchRule compiled;
  if (!ValidateWatchRule(rule).ok()) return compiled;
  compiled.valid = true;
  compiled.destination = DestinationOf(rule);
  compiled.matchers.reserve(rule.rules.size());
  for (const ResourceRule& r : rule.rules) compiled.matchers.push_back(Compile(r, rule));
  return compiled;
}

bool RuleMatcher::MatchesType(const ResourceTypeInfo& type, const CaptureOptions& options) const {
  if (absl::StrContains(type.gvr.resource, '/')) return false;  // a subresource
  if ((reach == Reach::kClusterScoped) == type.namespaced) return false;
  if (!all_groups && !groups.contains(type.gvr.group)) return false;
  switch (versions) {
    case Versions::kPreferred:
      if (!type.preferred) return false;
      break;
    case Versions::kListed:
      if (!version_list.contains(type.gvr.version)) return false;
      break;
    case Versions::kAll:
      break;
  }
  // Secrets must never reach Git by accident: only an explicit name, and only when the
  // operator allowed it. "*" alone never matches them.
  if (IsCoreSecrets(type.gvr)) return options.allow_secrets && resources.contains("secrets");
  if (all_resources) return true;
  // The API server names resources in lower case: only another spelling is folded (a copy).
  const std::string& resource = type.gvr.resource;
  if (std::none_of(resource.begin(), resource.end(), absl::ascii_isupper)) {
    return resources.contains(resource);
  }
  return resources.contains(absl::AsciiStrToLower(resource));
}

bool RuleMatcher::Captures(const ResourceTypeInfo& type, absl::string_view object_namespace,
                           ChangeOp op, const CaptureOptions& options) const {
  // A namespaced object without a namespace, or the reverse, is malformed: capture
  // nothing rather than guess where it belongs.
  if (type.namespaced == object_namespace.empty()) return false;
  if ((operations & OperationBit(op)) == 0) return false;
  if (reach == Reach::kOneNamespace && object_namespace != namespace_) return false;
  return MatchesType(type, options);
}

bool RuleMatcher::Covers(const RuleMatcher& other, const CaptureOptions& options) const {
  if ((other.operations & ~operations) != 0) return false;
  if (!ReachCovers(*this, other)) return false;
  if (!all_groups &&
      (other.all_groups ||
       !std::includes(groups.begin(), groups.end(), other.groups.begin(), other.groups.end()))) {
    return false;
  }
  if (!VersionsCover(*this, other)) return false;
  // "*" does not match Secrets, so it covers an explicit "secrets" only when that name
  // cannot capture them anyway.
  if (options.allow_secrets && other.resources.contains("secrets") &&
      !resources.contains("secrets")) {
    return false;
  }
  return all_resources ||
         (!other.all_resources && std::includes(resources.begin(), resources.end(),
                                                other.resources.begin(), other.resources.end()));
}

bool CompiledWatchRule::MatchesType(const ResourceTypeInfo& type,
                                    const CaptureOptions& options) const {
  return std::any_of(matchers.begin(), matchers.end(),
                     [&](const RuleMatcher& m) { return m.MatchesType(type, options); });
}

bool CompiledWatchRule::Captures(const ResourceTypeInfo& type, absl::string_view object_namespace,
                                 ChangeOp op, const CaptureOptions& options) const {
  return std::any_of(matchers.begin(), matchers.end(), [&](const RuleMatcher& m) {
    return m.Captures(type, object_namespace, op, options);
  });
}

bool RuleCaptures(const WatchRule& rule, const ResourceTypeInfo& type,
                  absl::string_view object_namespace, ChangeOp op, const CaptureOptions& options) {
  return CompileWatchRule(rule).Captures(type, object_namespace, op, options);
}

std::set<GroupVersionResource> WatchedTypes(std::span<const WatchRule* const> rules,
                                            std::span<const ResourceTypeInfo> discovered,
                                            const CaptureOptions& options) {
  std::vector<CompiledWatchRule> compiled;
  compiled.reserve(rules.size());
  for (const WatchRule* rule : rules) compiled.push_back(CompileWatchRule(*rule));
  std::set<GroupVersionResource> out;
  for (const ResourceTypeInfo& type : discovered) {
    if (std::any_of(compiled.begin(), compiled.end(),
                    [&](const CompiledWatchRule& c) { return c.MatchesType(type, options); })) {
      out.insert(type.gvr);
    }
  }
  return out;
}

RuleVerdict Classify(const WatchRule& rule, bool destination_exists, bool destination_admitted) {
  if (const absl::Status valid = ValidateWatchRule(rule); !valid.ok()) {
    return {false, kRuleReasonInvalidSpec, std::string(valid.message())};
  }
  const std::string destination = Quote(DestinationOf(rule).ToString());
  if (!destination_exists) {
    return {false, kRuleReasonDestinationNotFound,
            absl::StrCat("GitDestination ", destination,
                         " not found (create it, or point spec.destinationRef at an existing "
                         "one)")};
  }
  if (!destination_admitted) {
    return {false, kRuleReasonDestinationNotReady,
            absl::StrCat("GitDestination ", destination,
                         " is not ready, so nothing is written (its status says why)")};
  }
  return {true, kRuleReasonReady, absl::StrCat("writing to GitDestination ", destination)};
}

}  // namespace gitdest::core
