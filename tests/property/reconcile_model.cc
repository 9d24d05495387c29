#include "tests/property/reconcile_model.h"

#include <rapidcheck.h>

#include <algorithm>

#include "absl/strings/str_split.h"
#include "core/conditions.h"

namespace gitdest::property {
namespace {

bool Nested(const std::string& a, const std::string& b) {
  auto inside = [](const std::string& x, const std::string& y) {
    return y.size() > x.size() && y.compare(0, x.size(), x) == 0 && y[x.size()] == '/';
  };
  return a == b || inside(a, b) || inside(b, a);
}

std::string PathOf(const std::string& folder, const std::string& object) {
  return folder + "/v1/configmaps/prod/" + object + ".yaml";
}

bool ReadySynced(const core::DestinationStatus& status) {
  const core::Condition* ready = core::FindCondition(status, core::kConditionReady);
  return ready != nullptr && ready->status == core::ConditionStatus::kTrue;
}

}  // namespace

std::optional<std::string> ModelFolder(const std::string& folder) {
  std::vector<std::string> kept;
  for (absl::string_view part : absl::StrSplit(folder, '/')) {
    if (part == ".") continue;
    if (part.empty() || part == "..") return std::nullopt;
    kept.emplace_back(part);
  }
  if (kept.empty()) return std::nullopt;
  std::string out = kept[0];
  for (size_t i = 1; i < kept.size(); ++i) out += "/" + kept[i];
  return out;
}

std::set<std::string> Model::ExpectedAdmitted() const {
  std::vector<std::string> order;
  for (const auto& [name, d] : destinations) {
    if (ModelFolder(d.folder)) order.push_back(name);
  }
  std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    return destinations.at(a).created < destinations.at(b).created;
  });  // names are already in order: ties stay sorted by name
  std::set<std::string> admitted;
  for (const std::string& name : order) {
    const ModelDestination& d = destinations.at(name);
    bool blocked = false;
    for (const std::string& other : admitted) {
      const ModelDestination& o = destinations.at(other);
      blocked |= o.branch == d.branch && Nested(*ModelFolder(o.folder), *ModelFolder(d.folder));
    }
    if (!blocked) admitted.insert(name);
  }
  return admitted;
}

Sut::Sut(const core::ControllerOptions& options) : h(options) {
  h.Feed(core::RepoConfigObserved{testing::MakeRepoConfig("repo")});
}

void Sut::Create(const std::string& name, const ModelDestination& d) {
  core::Destination dest = testing::MakeDestination(name, d.branch, d.folder, d.created);
  dest.generation = d.generation;
  h.Feed(core::DestinationObserved{dest});
}

void Sut::Rule(const std::string& name, bool captures) {
  const core::WatchRule rule = testing::CaptureConfigMaps(name);
  if (captures) {
    h.Feed(core::WatchRuleObserved{rule});
  } else {
    h.Feed(core::WatchRuleDeleted{rule.key});
  }
}

void Sut::AfterStep(const Model& model) {
  last_model = model;
  RC_ASSERT(h.violation().ok());
  // Invariants 2–5, 8, 10, batch limits, push rate and what conditions mean are checked
  // after every input by the harness's StateChecker (h.violation()), as in the simulator.
  h.RecordTips();
  h.TakeEffects();
  h.TakeFinished();
  const auto& dests = h.controller().destinations();
  // Invariant 6 from outside: a worker per branch in use, none without a reason.
  std::set<std::string> used_branches;
  for (const auto& [key, rec] : dests) {
    if (rec.worker) used_branches.insert(rec.destination.spec.branch);
  }
  for (const auto& [key, worker] : h.controller().workers().workers()) {
    RC_ASSERT(used_branches.contains(key.branch) || !worker.pending().empty() ||
              worker.batch().has_value());
  }
  for (const std::string& branch : used_branches) {
    RC_ASSERT(h.controller().workers().Find(core::WorkerKey{{"team", "repo"}, branch}) != nullptr);
  }
  // Invariant 1 against the model: exactly the expected destinations are admitted.
  std::set<std::string> now_admitted;
  for (const auto& [key, rec] : dests) {
    if (rec.worker) now_admitted.insert(key.name);
  }
  RC_ASSERT(now_admitted == model.ExpectedAdmitted());
  RC_ASSERT(h.violation().ok());
}

void Sut::Restart(const Model& model) {
  h.Restart();
  h.Feed(core::RepoConfigObserved{testing::MakeRepoConfig("repo")});
  for (const auto& [name, d] : model.destinations) {
    if (d.captures) Rule(name, true);
    Create(name, d);
  }
  // The informers' initial list: every object at the version the cluster holds.
  for (const auto& [id, o] : h.cluster.objects()) {
    h.Feed(core::ObjectChanged{o.resource, o.uid, o.resource_version, core::ChangeOp::kCreate,
                               o.content, o.author});
  }
  h.Feed(core::CacheSynced{});
  h.Feed(core::LeaseAcquired{});
}

void Sut::Converge(const Model& model) {
  h.remote.ClearFaults();
  h.cluster.ClearFaults();
  for (int round = 0;; ++round) {
    RC_ASSERT(round < 200);  // liveness bound: 200 simulated minutes at most
    RC_ASSERT(h.AdvanceSettling(absl::Minutes(1)));
    AfterStep(model);
    bool idle = h.in_flight() == 0;
    for (const auto& [key, worker] : h.controller().workers().workers()) {
      idle &= worker.pending().empty() && !worker.batch();
    }
    if (idle) break;
  }
  RC_ASSERT(
      h.AdvanceSettling(absl::Minutes(12)));  // every destination re-reads after the last push
  AfterStep(model);
  for (const std::string& name : model.ExpectedAdmitted()) {
    const ModelDestination& d = model.destinations.at(name);
    const sim::Tree tree = h.remote.TreeAt(testing::kRepoUrl, d.branch);
    const std::string folder = *ModelFolder(d.folder);
    if (d.captures) {
      for (const auto& [object, content] : model.objects) {
        auto file = tree.find(PathOf(folder, object));
        RC_ASSERT(file != tree.end());
        RC_ASSERT(file->second == content);
      }
    }
    for (const std::string& object : d.deleted) RC_ASSERT(!tree.contains(PathOf(folder, object)));
    const auto& rec = h.controller().destinations().at(Key(name));
    RC_ASSERT(ReadySynced(rec.status));
    RC_ASSERT(rec.status.last_commit_sha == h.remote.Tip(testing::kRepoUrl, d.branch));
    RC_ASSERT(h.cluster.statuses().at(Key(name)) == rec.status);
  }
}

}  // namespace gitdest::property
