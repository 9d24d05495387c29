// WatchRule and ClusterWatchRule: what a user asks gitdest to capture, and the pure
// functions that decide whether a change is captured, which resource types must be
// watched, and which destinations a change feeds.
//
// Field names and most semantics follow gitops-reverser's v1alpha1 (users migrate by
// changing apiVersion). Where gitdest differs, and why:
//  - Secrets (core group) are never captured by a wildcard, and an explicitly named
//    `secrets` only when the controller runs with CaptureOptions::allow_secrets. The
//    reference wrote them in plain text to Git.
//  - Subresources (`pods/status`, `pods/*`, `*/scale`) are refused by validation: a
//    watch delivers whole objects, so such a rule could only ever capture nothing. The
//    reference's v1alpha1 accepted them and matched them against nothing it watched;
//    its later versions refuse them as we do.
//  - Omitted apiVersions mean the version discovery prefers (one file per object); "*"
//    means every served version. The reference's v1alpha1 documented "empty = all" but
//    planned watches for `v1` only; its later versions chose what we do.
//  - Wildcard groups and resources are expanded against discovery (WatchedTypes). The
//    reference's v1alpha1 matched them per event but planned watches only for concrete
//    names, so a lone `resources: ["*"]` rule silently watched nothing.
//  - A WatchRule's destinationRef may not name another namespace: a namespace's users
//    could otherwise write into a destination (a repository, a folder) they do not own.
//    The reference's v1alpha1 allowed it; its later versions dropped the field.
//  - A WatchRule never captures objects outside its own namespace; the reference left
//    that check to its callers and leaked other namespaces' objects for a while.
//  - The reference also skips a built-in list of noisy types (pods, events, leases, ...)
//    when planning watches; gitdest does not (yet): a rule captures what it names.
#pragma once

#include <algorithm>
#include <compare>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/naming/resource_path.h"
#include "core/state_fields.h"
#include "core/types.h"

namespace gitdest::core {

// ---- What API discovery reports --------------------------------------------------------

struct GroupVersionResource {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string resource;  // plural, lower-case: "deployments"; "pods/status" is a subresource

  // "apps/v1/deployments", "v1/configmaps": the form used in messages.
  std::string ToString() const;
  template <class H>
  friend H AbslHashValue(H h, const GroupVersionResource& gvr) {
    return H::combine(std::move(h), gvr.group, gvr.version, gvr.resource);
  }
  friend bool operator==(const GroupVersionResource&, const GroupVersionResource&) = default;
  friend auto operator<=>(const GroupVersionResource&, const GroupVersionResource&) = default;
};

// One served resource type, as the adapter delivers API discovery to the core. The
// adapter reports only types that support list and watch.
struct ResourceTypeInfo {
  GroupVersionResource gvr;
  std::string kind;  // "Deployment"
  bool namespaced = false;
  // The version discovery prefers for this group/resource (ServerPreferredResources
  // lists exactly one per group/resource). Rules that omit apiVersions capture only
  // this one, so an object is written once, not once per served version.
  bool preferred = false;
  friend bool operator==(const ResourceTypeInfo&, const ResourceTypeInfo&) = default;
};

// One list a resync asks for: every object of `gvr` in `namespace_` ("" = every
// namespace, or a cluster-scoped type).
struct ListSelector {
  GroupVersionResource gvr;
  std::string namespace_;
  friend bool operator==(const ListSelector&, const ListSelector&) = default;
  friend auto operator<=>(const ListSelector&, const ListSelector&) = default;
};

// ---- The resources ---------------------------------------------------------------------

inline constexpr char kScopeCluster[] = "Cluster";
inline constexpr char kScopeNamespaced[] = "Namespaced";

// One entry of spec.rules (a ClusterResourceRule for a ClusterWatchRule). A change is
// captured when every field matches it; the rules of one WatchRule are ORed.
struct ResourceRule {
  // "CREATE", "UPDATE", "DELETE" or "*" (upper-case, as the reference's enum). Empty
  // or "*": every operation.
  std::vector<std::string> operations;
  // "" is the core group. Empty or "*": every group.
  std::vector<std::string> api_groups;
  // Empty: the version discovery prefers. "*": every served version.
  std::vector<std::string> api_versions;
  // Plural names, matched case-insensitively (as the reference); "*": every resource
  // except core Secrets. Required. Kinds ("Deployment") match nothing: like admission
  // webhooks and RBAC, rules name resources, and a kind would be ambiguous.
  std::vector<std::string> resources;
  // ClusterWatchRule: "Cluster" (cluster-scoped types only) or "Namespaced" (namespaced
  // types in every namespace); required, as in the reference. WatchRule: "" or
  // "Namespaced" — it captures its own namespace only.
  std::string scope;
  friend bool operator==(const ResourceRule&, const ResourceRule&) = default;
};

// A WatchRule (namespaced) or a ClusterWatchRule (key.namespace_ == "").
struct WatchRule {
  ObjectKey key;
  // metadata.uid: a rule deleted and created again by name has a new one (and no status).
  std::string uid;
  int64_t generation = 1;
  std::string resource_version;
  // spec.destinationRef {name, namespace}. WatchRule: namespace "" means its own, and
  // no other is allowed. ClusterWatchRule: namespace required.
  ObjectKey destination_ref;
  std::vector<ResourceRule> rules;

  bool IsClusterRule() const { return key.namespace_.empty(); }
  friend bool operator==(const WatchRule&, const WatchRule&) = default;
};

// Whether two spellings of a rule capture alike: the same rule, destination and rules.
// Its metadata (uid, generation, resourceVersion) does not change what it captures.
inline bool SameCapture(const WatchRule& a, const WatchRule& b) {
  return a.key == b.key && a.destination_ref == b.destination_ref && a.rules == b.rules;
}

// How the controller was started; not part of any rule, so a tenant cannot turn it on.
struct CaptureOptions {
  // Write explicitly named core Secrets (`resources: ["secrets"]`). Off by default:
  // Secrets are never written to Git unless the operator decided so. Wildcards never
  // capture Secrets, even with this on.
  bool allow_secrets = false;
  friend bool operator==(const CaptureOptions&, const CaptureOptions&) = default;
};

// OK, or InvalidArgument listing each problem as `<field path>: <what> (<fix>)`, joined
// by "; ", e.g. `spec.rules[2].operations[0]: unknown operation "create" (use CREATE,
// UPDATE, DELETE or "*")`. Checked: destinationRef (name; namespace per kind of rule), at least one
// rule, operations, apiGroups and apiVersions (lower-case names, "*" alone, no
// "group/version" mix-ups), resources (required, no empty names, no subresources, no
// partial wildcards), scope. The message lists at most 10 problems.
absl::Status ValidateWatchRule(const WatchRule& rule);

// The GitDestination the rule writes to: a WatchRule's own namespace filled in.
ObjectKey DestinationOf(const WatchRule& rule);

// Whether a change (`op` of an object of `type` in `object_namespace`, "" for
// cluster-scoped) is captured by the rule. An invalid rule captures nothing, nor does a
// subresource type, nor a change whose namespace contradicts its type's scope.
bool RuleCaptures(const WatchRule& rule, const ResourceTypeInfo& type,
                  absl::string_view object_namespace, ChangeOp op,
                  const CaptureOptions& options = {});

// The types to watch: the discovered types some valid rule captures in some namespace
// for some operation, wildcards expanded against discovery (a type not discovered is
// never watched). Independent of the order of both inputs.
std::set<GroupVersionResource> WatchedTypes(std::span<const WatchRule* const> rules,
                                            std::span<const ResourceTypeInfo> discovered,
                                            const CaptureOptions& options = {});

// ---- Status ------------------------------------------------------------------------------

inline constexpr char kRuleReasonReady[] = "Ready";
inline constexpr char kRuleReasonInvalidSpec[] = "InvalidSpec";
inline constexpr char kRuleReasonDestinationNotFound[] = "DestinationNotFound";
inline constexpr char kRuleReasonDestinationNotReady[] = "DestinationNotReady";

// What a rule's Ready condition says.
struct RuleVerdict {
  bool ready = false;
  std::string reason;  // one of kRuleReason*
  std::string message;
  friend bool operator==(const RuleVerdict&, const RuleVerdict&) = default;
};

// An invalid spec first (the destination cannot be trusted), then a missing
// destination (DestinationOf(rule)), then one that exists but is not admitted to write
// (invalid, in conflict, or its GitRepoConfig missing: nothing the rule captures is
// written until it is), else Ready.
RuleVerdict Classify(const WatchRule& rule, bool destination_exists,
                     bool destination_admitted = true);

// ---- The compiled form and the index -----------------------------------------------------

// One ResourceRule of a valid WatchRule, parsed once: operations as bits, names
// lower-cased where matching ignores case, wildcards and defaults resolved.
// The names a rule lists for one field (API groups, versions or resources): sorted, each
// once, in one array. A rule lists a few; every change routed asks whether it holds one,
// and a scan of a short array is less code and fewer cache lines than a tree's search.
class NameList {
 public:
  void Insert(std::string name) {
    auto at = std::lower_bound(names_.begin(), names_.end(), name);
    if (at == names_.end() || *at != name) names_.insert(at, std::move(name));
  }
  bool contains(absl::string_view name) const {
    return std::find(names_.begin(), names_.end(), name) != names_.end();
  }
  std::vector<std::string>::const_iterator begin() const { return names_.begin(); }
  std::vector<std::string>::const_iterator end() const { return names_.end(); }
  size_t size() const { return names_.size(); }
  friend bool operator==(const NameList&, const NameList&) = default;

 private:
  std::vector<std::string> names_;
};

struct RuleMatcher {
  enum class Reach { kClusterScoped, kAllNamespaces, kOneNamespace };
  enum class Versions { kPreferred, kAll, kListed };

  uint8_t operations = 0;  // bit 1 << ChangeOp
  bool all_groups = false;
  NameList groups;
  Versions versions = Versions::kPreferred;
  NameList version_list;  // kListed only
  bool all_resources = false;
  NameList resources;  // lower-case
  Reach reach = Reach::kOneNamespace;
  std::string namespace_;  // kOneNamespace only

  // The type and its scope, whatever the namespace and operation.
  bool MatchesType(const ResourceTypeInfo& type, const CaptureOptions& options) const;
  bool Captures(const ResourceTypeInfo& type, absl::string_view object_namespace, ChangeOp op,
                const CaptureOptions& options) const;
  // True only if everything `other` captures, this captures too. May answer false when
  // it does (conservative): the caller then resyncs once more than needed.
  bool Covers(const RuleMatcher& other, const CaptureOptions& options) const;
  friend bool operator==(const RuleMatcher&, const RuleMatcher&) = default;
};

// A WatchRule parsed once. An invalid rule compiles to `valid == false` and no matchers.
struct CompiledWatchRule {
  bool valid = false;
  ObjectKey destination;  // DestinationOf
  std::vector<RuleMatcher> matchers;

  bool MatchesType(const ResourceTypeInfo& type, const CaptureOptions& options) const;
  bool Captures(const ResourceTypeInfo& type, absl::string_view object_namespace, ChangeOp op,
                const CaptureOptions& options) const;
  friend bool operator==(const CompiledWatchRule&, const CompiledWatchRule&) = default;
};

CompiledWatchRule CompileWatchRule(const WatchRule& rule);

// A change's operation as the bit RuleMatcher::operations holds.
inline uint8_t OperationBit(ChangeOp op) {
  return static_cast<uint8_t>(1u << static_cast<int>(op));
}

// Every WatchRule and ClusterWatchRule the controller knows, keyed by the rule's key,
// compiled against the types API discovery reports, for routing changes to destinations.
// Routing a change of a discovered type is a lookup; iteration is ordered.
class RuleIndex {
 public:
  explicit RuleIndex(CaptureOptions options = {}) : options_(options) {}
  // The routes point into rules_: a move keeps its nodes, a copy routes its own.
  RuleIndex(RuleIndex&&) = default;
  RuleIndex& operator=(RuleIndex&&) = default;
  RuleIndex(const RuleIndex& other);
  RuleIndex& operator=(const RuleIndex& other);

  // Adds or replaces a rule. Returns the destinations whose capture set may have
  // grown (at most DestinationOf(rule)): the controller resyncs them so that objects
  // that already existed reach Git. A narrowed, unchanged or invalid rule returns {}.
  // A rule that captures as before (SameCapture) only has its metadata replaced.
  std::set<ObjectKey> Upsert(WatchRule rule);
  // Removes a rule; false if it was not there. Removing only narrows.
  bool Erase(const ObjectKey& rule);
  // What API discovery reports (types that support list and watch), replacing the last
  // report: kept each once, sorted by gvr.
  void Discover(std::vector<ResourceTypeInfo> types);

  const WatchRule* Find(const ObjectKey& rule) const;
  // The discovered types, sorted by gvr.
  std::span<const ResourceTypeInfo> discovered() const { return discovered_; }
  // The discovered type of an object; nullptr if its type is not discovered.
  const ResourceTypeInfo* DiscoveredType(const ResourceId& object) const;
  // The destinations some valid rule routes this change to.
  std::set<ObjectKey> DestinationsCapturing(const ResourceTypeInfo& type,
                                            absl::string_view object_namespace, ChangeOp op) const;
  // The destinations a change of `object` is routed to: DestinationsCapturing of its
  // discovered type, in key order, as keys held by the index (valid until it next
  // changes). The path of every object change: a lookup, which copies no key and builds
  // no set. A change of a type not discovered is routed nowhere.
  using Destinations = absl::InlinedVector<const ObjectKey*, 4>;
  Destinations DestinationsRouted(const ResourceId& object, ChangeOp op) const;
  // Whether DestinationsCapturing(type, object_namespace, op) holds `destination`, from
  // the rules feeding it alone (no set built: the write path asks it per object).
  bool Captures(const ObjectKey& destination, const ResourceTypeInfo& type,
                absl::string_view object_namespace, ChangeOp op) const;
  // The valid rules writing to `destination`.
  std::set<ObjectKey> RulesFeeding(const ObjectKey& destination) const;
  // What a resync of `destination` must list: for every discovered type a valid rule
  // feeding it captures, the namespace it reaches ("" = all). Sorted, no duplicates.
  std::vector<ListSelector> ListSelectorsFor(const ObjectKey& destination) const;
  // The discovered types some valid rule captures (WatchedTypes over every rule).
  std::set<GroupVersionResource> WatchedTypes() const;

  size_t size() const { return rules_.size(); }
  // Every rule, in key order.
  template <class F>
  void ForEach(F&& f) const {
    for (const auto& [key, entry] : rules_) f(entry.rule);
  }
  const CaptureOptions& options() const { return options_; }
  // Whether the derived indexes (by destination, the routes) say what the rules and
  // the discovered types do. Checked in full only if either changed since it last held:
  // the simulator asks after every step, and rules change rarely.
  bool IndexesHold() const;
  // The rules and types, not where the index keeps them.
  friend bool operator==(const RuleIndex& a, const RuleIndex& b) {
    return a.options_ == b.options_ && a.rules_ == b.rules_ &&
           a.by_destination_ == b.by_destination_ && a.discovered_ == b.discovered_;
  }

 private:
  template <class T>
  friend struct StateFields;  // core/state_hash.cc hashes every field
  struct Entry {
    WatchRule rule;
    CompiledWatchRule compiled;
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  // A valid rule capturing some change of one discovered type: the operations its
  // matchers of that type capture, as OperationBit's.
  struct Route {
    const ObjectKey* rule;         // its key in rules_
    const ObjectKey* destination;  // DestinationOf(rule), in rules_
    uint8_t operations = 0;
  };
  using Routes = absl::InlinedVector<Route, 1>;
  // One discovered type's routes. A WatchRule captures its own namespace only, so only
  // the ClusterWatchRules and the WatchRules of a change's namespace can capture it.
  struct TypeRoutes {
    Routes cluster_rules;
    absl::flat_hash_map<std::string, Routes> by_namespace;  // WatchRules
  };
  using RouteTable = std::vector<TypeRoutes>;  // parallel to discovered_

  // The routes of a valid rule (`key` and `compiled` held by rules_) into `table`, and out.
  void AddRoutes(RouteTable& table, const ObjectKey& key, const CompiledWatchRule& compiled) const;
  void RemoveRoutes(const ObjectKey& key);
  void RouteAll();          // routes_ from rules_ and discovered_
  bool RoutesHold() const;  // whether routes_ is what RouteAll would build
  // The position of a type in discovered_ (and routes_); discovered_.size() if absent.
  size_t DiscoveredAt(const std::string& group, const std::string& version,
                      const std::string& resource) const;
  // What DestinationsRouted returns, from the routes of discovered_[type].
  Destinations Routed(size_t type, absl::string_view object_namespace, ChangeOp op) const;
  // Whether `compiled` captures something the rules now feeding its destination do not.
  bool Widens(const CompiledWatchRule& compiled) const;

  CaptureOptions options_;
  std::map<ObjectKey, Entry> rules_;
  std::map<ObjectKey, std::set<ObjectKey>> by_destination_;  // valid rules only
  std::vector<ResourceTypeInfo> discovered_;                 // sorted by gvr
  // Derived: not hashed; IndexesHold.
  RouteTable routes_;
  mutable bool held_ = false;  // IndexesHold found them true, and nothing changed since
};

}  // namespace gitdest::core
