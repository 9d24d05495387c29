// RuleIndex: the rules compiled against discovery. Each valid rule is matched against
// each discovered type once, when either changes; routing a change is then a lookup by
// its type and namespace, which reads a few cache lines instead of every candidate
// rule's matchers and name lists.
#include <algorithm>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/watch_rules.h"

namespace gitdest::core {

RuleIndex::RuleIndex(const RuleIndex& other)
    : options_(other.options_),
      rules_(other.rules_),
      by_destination_(other.by_destination_),
      discovered_(other.discovered_) {
  RouteAll();
}

RuleIndex& RuleIndex::operator=(const RuleIndex& other) {
  if (this != &other) *this = RuleIndex(other);
  return *this;
}

// ---- Rules and types in ----------------------------------------------------------------

std::set<ObjectKey> RuleIndex::Upsert(WatchRule rule) {
  if (auto it = rules_.find(rule.key); it != rules_.end() && SameCapture(it->second.rule, rule)) {
    it->second.rule = std::move(rule);  // its compiled form and the indexes stay
    return {};
  }
  held_ = false;
  CompiledWatchRule compiled = CompileWatchRule(rule);
  std::set<ObjectKey> grown;
  // Compared with what the destination captured before, the replaced rule included.
  if (compiled.valid && Widens(compiled)) grown.insert(compiled.destination);
  const ObjectKey key = rule.key;
  Erase(key);
  const bool valid = compiled.valid;
  if (valid) by_destination_[compiled.destination].insert(key);
  const auto [it, inserted] = rules_.try_emplace(key, Entry{std::move(rule), std::move(compiled)});
  GITDEST_ASSERT(inserted);
  if (valid) AddRoutes(routes_, it->first, it->second.compiled);
  return grown;
}

bool RuleIndex::Widens(const CompiledWatchRule& compiled) const {
  const auto feeding = by_destination_.find(compiled.destination);
  if (feeding == by_destination_.end()) return !compiled.matchers.empty();
  for (const RuleMatcher& matcher : compiled.matchers) {
    bool covered = false;
    for (const ObjectKey& key : feeding->second) {
      const CompiledWatchRule& other = rules_.at(key).compiled;
      covered = std::any_of(other.matchers.begin(), other.matchers.end(),
                            [&](const RuleMatcher& m) { return m.Covers(matcher, options_); });
      if (covered) break;
    }
    if (!covered) return true;
  }
  return false;
}

bool RuleIndex::Erase(const ObjectKey& rule) {
  held_ = false;
  const auto it = rules_.find(rule);
  if (it == rules_.end()) return false;
  const CompiledWatchRule& compiled = it->second.compiled;
  if (compiled.valid) {
    const auto feeding = by_destination_.find(compiled.destination);
    GITDEST_ASSERT(feeding != by_destination_.end());
    const size_t erased = feeding->second.erase(rule);
    GITDEST_ASSERT(erased == 1);
    // No empty sets: an upsert followed by an erase leaves the index as it was.
    if (feeding->second.empty()) by_destination_.erase(feeding);
    RemoveRoutes(rule);
  }
  rules_.erase(it);
  return true;
}

void RuleIndex::Discover(std::vector<ResourceTypeInfo> types) {
  std::sort(types.begin(), types.end(),
            [](const ResourceTypeInfo& a, const ResourceTypeInfo& b) { return a.gvr < b.gvr; });
  types.erase(std::unique(types.begin(), types.end(),
                          [](const ResourceTypeInfo& a, const ResourceTypeInfo& b) {
                            return a.gvr == b.gvr;
                          }),
              types.end());
  if (types == discovered_) return;  // discovery reports the same types again
  held_ = false;
  discovered_ = std::move(types);
  RouteAll();
}

// ---- The routes ------------------------------------------------------------------------

void RuleIndex::AddRoutes(RouteTable& table, const ObjectKey& key,
                          const CompiledWatchRule& compiled) const {
  GITDEST_ASSERT(table.size() == discovered_.size());
  for (size_t i = 0; i < discovered_.size(); ++i) {
    uint8_t operations = 0;
    for (const RuleMatcher& matcher : compiled.matchers) {
      if (matcher.MatchesType(discovered_[i], options_)) operations |= matcher.operations;
    }
    if (operations == 0) continue;
    Routes& routes =
        key.namespace_.empty() ? table[i].cluster_rules : table[i].by_namespace[key.namespace_];
    routes.push_back(Route{&key, &compiled.destination, operations});
  }
}

void RuleIndex::RemoveRoutes(const ObjectKey& key) {
  const auto remove = [&](Routes& routes) {
    routes.erase(std::remove_if(routes.begin(), routes.end(),
                                [&](const Route& route) { return *route.rule == key; }),
                 routes.end());
  };
  for (TypeRoutes& type : routes_) {
    if (key.namespace_.empty()) {
      remove(type.cluster_rules);
      continue;
    }
    const auto in_namespace = type.by_namespace.find(key.namespace_);
    if (in_namespace == type.by_namespace.end()) continue;
    remove(in_namespace->second);
    // No empty lists: an upsert followed by an erase leaves the routes as they were.
    if (in_namespace->second.empty()) type.by_namespace.erase(in_namespace);
  }
}

void RuleIndex::RouteAll() {
  routes_.assign(discovered_.size(), TypeRoutes{});
  for (const auto& [key, entry] : rules_) {
    if (entry.compiled.valid) AddRoutes(routes_, key, entry.compiled);
  }
}

size_t RuleIndex::DiscoveredAt(const std::string& group, const std::string& version,
                               const std::string& resource) const {
  // Looked up by the object's own fields: no key is built for every change.
  const auto key = std::tie(group, version, resource);
  const auto gvr_of = [](const ResourceTypeInfo& type) {
    return std::tie(type.gvr.group, type.gvr.version, type.gvr.resource);
  };
  const auto it = std::partition_point(discovered_.begin(), discovered_.end(),
                                       [&](const ResourceTypeInfo& t) { return gvr_of(t) < key; });
  if (it == discovered_.end() || gvr_of(*it) != key) return discovered_.size();
  return static_cast<size_t>(it - discovered_.begin());
}

const ResourceTypeInfo* RuleIndex::DiscoveredType(const ResourceId& object) const {
  const size_t at = DiscoveredAt(object.group, object.version, object.resource);
  return at == discovered_.size() ? nullptr : &discovered_[at];
}

// ---- Routing -----------------------------------------------------------------------------

RuleIndex::Destinations RuleIndex::DestinationsRouted(const ResourceId& object, ChangeOp op) const {
  const size_t at = DiscoveredAt(object.group, object.version, object.resource);
  if (at == discovered_.size()) return {};
  return Routed(at, object.namespace_, op);
}

RuleIndex::Destinations RuleIndex::Routed(size_t type, absl::string_view object_namespace,
                                          ChangeOp op) const {
  Destinations out;
  // A namespaced object without a namespace, or the reverse, is malformed: nothing
  // captures it rather than guess where it belongs.
  if (discovered_[type].namespaced == object_namespace.empty()) return out;
  const TypeRoutes& routes = routes_[type];
  const uint8_t bit = OperationBit(op);
  const auto take = [&](const Routes& candidates) {
    for (const Route& route : candidates) {
      if ((route.operations & bit) != 0) out.push_back(route.destination);
    }
  };
  take(routes.cluster_rules);
  if (!object_namespace.empty()) {
    const auto in_namespace = routes.by_namespace.find(object_namespace);
    if (in_namespace != routes.by_namespace.end()) take(in_namespace->second);
  }
  if (out.size() < 2) return out;  // most changes reach one destination at most
  const auto by_key = [](const ObjectKey* a, const ObjectKey* b) { return *a < *b; };
  const auto same = [](const ObjectKey* a, const ObjectKey* b) { return *a == *b; };
  std::sort(out.begin(), out.end(), by_key);
  out.erase(std::unique(out.begin(), out.end(), same), out.end());
  return out;
}

std::set<ObjectKey> RuleIndex::DestinationsCapturing(const ResourceTypeInfo& type,
                                                     absl::string_view object_namespace,
                                                     ChangeOp op) const {
  std::set<ObjectKey> out;
  const size_t at = DiscoveredAt(type.gvr.group, type.gvr.version, type.gvr.resource);
  if (at < discovered_.size() && discovered_[at] == type) {
    for (const ObjectKey* destination : Routed(at, object_namespace, op)) out.insert(*destination);
    return out;
  }
  // Not discovered (or not as it is): every rule is asked.
  for (const auto& [key, entry] : rules_) {
    if (entry.compiled.valid && entry.compiled.Captures(type, object_namespace, op, options_)) {
      out.insert(entry.compiled.destination);
    }
  }
  return out;
}

bool RuleIndex::Captures(const ObjectKey& destination, const ResourceTypeInfo& type,
                         absl::string_view object_namespace, ChangeOp op) const {
  const auto feeding = by_destination_.find(destination);
  if (feeding == by_destination_.end()) return false;
  for (const ObjectKey& key : feeding->second) {
    // The rules DestinationsRouted asks: ClusterWatchRules, and the WatchRules of the
    // object's own namespace.
    if (!key.namespace_.empty() && key.namespace_ != object_namespace) continue;
    if (rules_.at(key).compiled.Captures(type, object_namespace, op, options_)) return true;
  }
  return false;
}

// ---- Reading the index -------------------------------------------------------------------

const WatchRule* RuleIndex::Find(const ObjectKey& rule) const {
  const auto it = rules_.find(rule);
  return it == rules_.end() ? nullptr : &it->second.rule;
}

std::set<ObjectKey> RuleIndex::RulesFeeding(const ObjectKey& destination) const {
  const auto it = by_destination_.find(destination);
  return it == by_destination_.end() ? std::set<ObjectKey>{} : it->second;
}

std::set<GroupVersionResource> RuleIndex::WatchedTypes() const {
  std::set<GroupVersionResource> out;
  for (size_t i = 0; i < discovered_.size(); ++i) {
    if (!routes_[i].cluster_rules.empty() || !routes_[i].by_namespace.empty()) {
      out.insert(discovered_[i].gvr);
    }
  }
  return out;
}

std::vector<ListSelector> RuleIndex::ListSelectorsFor(const ObjectKey& destination) const {
  std::set<ListSelector> selectors;
  auto feeding = by_destination_.find(destination);
  if (feeding == by_destination_.end()) return {};
  for (const ObjectKey& rule : feeding->second) {
    for (const RuleMatcher& matcher : rules_.at(rule).compiled.matchers) {
      for (const ResourceTypeInfo& type : discovered_) {
        if (!matcher.MatchesType(type, options_)) continue;
        const bool one = matcher.reach == RuleMatcher::Reach::kOneNamespace;
        selectors.insert(ListSelector{type.gvr, one ? matcher.namespace_ : ""});
      }
    }
  }
  // A list of every namespace covers a list of one namespace of the same type.
  std::vector<ListSelector> out;
  for (const ListSelector& s : selectors) {
    if (!s.namespace_.empty() && selectors.contains(ListSelector{s.gvr, ""})) continue;
    out.push_back(s);
  }
  return out;
}

// ---- Checking the derived indexes ----------------------------------------------------------

namespace {

// Calls f(type index, namespace ("" for ClusterWatchRules), route) for every route.
template <class Table, class F>
void ForEachRoute(const Table& table, F&& f) {
  for (size_t i = 0; i < table.size(); ++i) {
    for (const auto& route : table[i].cluster_rules) f(i, absl::string_view(), route);
    for (const auto& [ns, routes] : table[i].by_namespace) {
      for (const auto& route : routes) f(i, ns, route);
    }
  }
}

// A route table in one canonical order: (type, namespace, rule, destination, operations).
template <class Table>
auto RouteRows(const Table& table) {
  std::vector<std::tuple<size_t, std::string, ObjectKey, ObjectKey, uint8_t>> rows;
  ForEachRoute(table, [&](size_t type, absl::string_view ns, const auto& route) {
    rows.emplace_back(type, ns, *route.rule, *route.destination, route.operations);
  });
  std::sort(rows.begin(), rows.end());
  return rows;
}

}  // namespace

bool RuleIndex::IndexesHold() const {
  if (held_) return true;
  // Every valid rule feeds its destination, once, and the index holds nothing else.
  size_t valid = 0;
  for (const auto& [key, entry] : rules_) {
    if (!entry.compiled.valid) continue;
    ++valid;
    const auto feeding = by_destination_.find(entry.compiled.destination);
    if (feeding == by_destination_.end() || !feeding->second.contains(key)) return false;
  }
  size_t fed = 0;
  for (const auto& [destination, keys] : by_destination_) fed += keys.size();
  held_ = fed == valid && RoutesHold();
  return held_;
}

bool RuleIndex::RoutesHold() const {
  if (routes_.size() != discovered_.size()) return false;
  // Each route names its rule and destination where rules_ holds them.
  bool in_place = true;
  ForEachRoute(routes_, [&](size_t, absl::string_view, const Route& route) {
    const auto entry = rules_.find(*route.rule);
    in_place = in_place && entry != rules_.end() && &entry->first == route.rule &&
               &entry->second.compiled.destination == route.destination;
  });
  if (!in_place) return false;
  // No empty lists: an upsert followed by an erase leaves the routes as they were.
  for (const TypeRoutes& type : routes_) {
    for (const auto& [ns, routes] : type.by_namespace) {
      if (routes.empty()) return false;
    }
  }
  // The routes are what routing every rule anew gives.
  RouteTable expected(discovered_.size());
  for (const auto& [key, entry] : rules_) {
    if (entry.compiled.valid) AddRoutes(expected, key, entry.compiled);
  }
  return RouteRows(routes_) == RouteRows(expected);
}

}  // namespace gitdest::core
