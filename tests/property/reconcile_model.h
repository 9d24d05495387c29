// The reference model and the system under test of the stateful property test.
//
// Model: what the cluster holds (repo config, destinations, their rules, the ConfigMaps)
// and, computed independently of the core, which destinations must be admitted.
//
// Capture: each destination dN has its own ClusterWatchRule "capture-dN" capturing every
// ConfigMap, so every object reaches every destination whose rule exists. Chosen over
// objects in a namespace per destination because the model stays one object map while
// the core's routing fans each change out to several destinations on shared branches,
// which is where routing can go wrong (a WatchRule reaches only its own namespace, and the
// destinations all live in "team", so per-destination isolation would need a namespace
// per destination as well). A rule may be deleted and re-created (ToggleRule): while it
// is gone the destination captures nothing, and when it returns a resync must bring the
// folder up to date.
// Sut: the real core in the harness world, plus the bookkeeping the checks need (the
// remote's tip history, read start times per branch).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/support/harness.h"

namespace gitdest::property {

inline constexpr int kNames = 6;  // destination names d0..d5
inline const std::vector<std::string> kBranches = {"main", "dev"};
// Folders chosen to collide: equal after normalization, nested, prefix-but-not-parent,
// and two the core must refuse.
inline const std::vector<std::string> kFolders = {"a",   "a/b", "a/./b", "ab", "c",
                                                  "c/d", "e",   "../x",  "."};
inline const std::vector<std::string> kObjects = {"cm0", "cm1", "cm2"};

struct ModelDestination {
  std::string branch;
  std::string folder;
  absl::Time created;
  int64_t generation = 1;
  bool captures = true;  // its ClusterWatchRule exists
  // Objects deleted while it was admitted and captured them, since the last restart (a
  // crash may lose those) or folder change: their files must be gone.
  std::set<std::string> deleted;
};

struct Model {
  std::map<std::string, ModelDestination> destinations;
  std::map<std::string, std::string> objects;  // the live ConfigMaps prod/<name> → content
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);  // the harness's start

  // Creation timestamps have one-second precision, as in Kubernetes.
  absl::Time CreationTime() const { return absl::FromUnixSeconds(absl::ToUnixSeconds(now)); }

  // Independent of the core: valid folders admitted oldest first (ties by name),
  // each unless it is equal to or nested with an admitted one on the same branch.
  std::set<std::string> ExpectedAdmitted() const;
};

// Normalized folder, or nullopt when the core must refuse it (model's own rules).
std::optional<std::string> ModelFolder(const std::string& folder);

struct Sut {
  explicit Sut(const core::ControllerOptions& options);
  testing::Harness h;
  std::set<std::string> admitted;  // after the last command
  Model last_model;                // the model after the last command, for Converge

  core::ObjectKey Key(const std::string& name) const { return {"team", name}; }
  void Create(const std::string& name, const ModelDestination& d);
  // Feeds the destination's rule (captures) or its deletion.
  void Rule(const std::string& name, bool captures);
  // After every command: record the world and check every property.
  void AfterStep(const Model& model);
  // Liveness: heal every fault, let time pass, and check that each admitted
  // destination's objects are in its branch and its status matches the remote.
  void Converge(const Model& model);
  void Restart(const Model& model);
};

}  // namespace gitdest::property
