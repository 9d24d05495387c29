// The reference model and the system under test of the stateful property test.
//
// Model: what the cluster holds (repo config, destinations, the objects each captures)
// and, computed independently of the core, which destinations must be admitted.
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
  std::map<std::string, std::string> objects;  // live objects it captures: name → content
  std::set<std::string> deleted;  // deleted since the last restart (a crash may lose those)
};

struct Model {
  std::map<std::string, ModelDestination> destinations;
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
  std::map<core::WorkerKey, absl::Time> last_read_start;
  std::set<std::string> admitted;                             // after the last command
  std::map<std::string, std::set<std::string>> folders_ever;  // every folder a name had
  Model last_model;  // the model after the last command, for Converge
  // The status each destination's last finished reconcile left (this incarnation).
  std::map<core::ObjectKey, core::DestinationStatus> last_finished;

  core::ObjectKey Key(const std::string& name) const { return {"team", name}; }
  void Create(const std::string& name, const ModelDestination& d);
  // After every command: record the world and check every property.
  void AfterStep(const Model& model);
  // Liveness: heal every fault, let time pass, and check that each admitted
  // destination's objects are in its branch and its status matches the remote.
  void Converge(const Model& model);
  void Restart(const Model& model);
};

}  // namespace gitdest::property
