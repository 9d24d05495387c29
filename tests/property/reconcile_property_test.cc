// Stateful property test (rc::state) of the core against a reference model: random
// sequences of destination create/update/delete, their watch rules deleted and created
// again, object changes (each routed to every destination whose rule exists), time, read
// and push results with faults (outage, auth, conflict), status write failures, external
// writers and controller restarts. After every command the design's invariants are
// checked (Sut::AfterStep); at the end every fault heals and the run must converge.
//
// A failure prints RC_PARAMS="reproduce=..." — rerun the test binary with it.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include "tests/property/reconcile_model.h"

namespace gitdest::property {
namespace {

using Command = rc::state::Command<Model, Sut>;

std::string AnyName() { return "d" + std::to_string(*rc::gen::inRange(0, kNames)); }

std::string ExistingName(const Model& m) {
  RC_PRE(!m.destinations.empty());
  std::vector<std::string> names;
  for (const auto& [name, d] : m.destinations) names.push_back(name);
  return *rc::gen::elementOf(names);
}

struct AddDestination : Command {
  std::string name = AnyName();
  std::string branch = *rc::gen::elementOf(kBranches);
  std::string folder = *rc::gen::elementOf(kFolders);

  void checkPreconditions(const Model& m) const override { RC_PRE(!m.destinations.contains(name)); }
  void apply(Model& m) const override {
    m.destinations[name] = ModelDestination{branch, folder, m.CreationTime(), 1, true, {}};
  }
  void run(const Model& m, Sut& s) const override {
    Model next = nextState(m);
    s.Rule(name, true);
    s.Create(name, next.destinations.at(name));
    s.AfterStep(next);
  }
  void show(std::ostream& os) const override {
    os << "Add(" << name << ", " << branch << ", " << folder << ")";
  }
};

struct UpdateDestination : Command {
  std::string name;
  std::string branch = *rc::gen::elementOf(kBranches);
  std::string folder = *rc::gen::elementOf(kFolders);
  explicit UpdateDestination(const Model& m) : name(ExistingName(m)) {}

  void checkPreconditions(const Model& m) const override { RC_PRE(m.destinations.contains(name)); }
  void apply(Model& m) const override {
    ModelDestination& d = m.destinations.at(name);
    d.branch = branch;
    d.folder = folder;
    d.generation += 1;
    d.deleted.clear();  // deletes under the old folder are not checked under the new one
  }
  void run(const Model& m, Sut& s) const override {
    Model next = nextState(m);
    s.Create(name, next.destinations.at(name));
    s.AfterStep(next);
  }
  void show(std::ostream& os) const override {
    os << "Update(" << name << ", " << branch << ", " << folder << ")";
  }
};

struct DeleteDestination : Command {
  std::string name;
  explicit DeleteDestination(const Model& m) : name(ExistingName(m)) {}
  void checkPreconditions(const Model& m) const override { RC_PRE(m.destinations.contains(name)); }
  void apply(Model& m) const override { m.destinations.erase(name); }
  void run(const Model& m, Sut& s) const override {
    s.h.Feed(core::DestinationDeleted{s.Key(name)});
    s.Rule(name, false);  // removed with it (a GitOps tool prunes both)
    s.AfterStep(nextState(m));
  }
  void show(std::ostream& os) const override { os << "Delete(" << name << ")"; }
};

// A rule deleted stops capture at once; created again, it resyncs its destination.
struct ToggleRule : Command {
  std::string name;
  explicit ToggleRule(const Model& m) : name(ExistingName(m)) {}
  void checkPreconditions(const Model& m) const override { RC_PRE(m.destinations.contains(name)); }
  void apply(Model& m) const override {
    ModelDestination& d = m.destinations.at(name);
    d.captures = !d.captures;
  }
  void run(const Model& m, Sut& s) const override {
    Model next = nextState(m);
    s.Rule(name, next.destinations.at(name).captures);
    s.AfterStep(next);
  }
  void show(std::ostream& os) const override { os << "ToggleRule(" << name << ")"; }
};

// A change of one ConfigMap: the cluster changes, then its watch reports it.
struct ChangeObject : Command {
  std::string object = *rc::gen::elementOf(kObjects);
  bool remove = *rc::gen::weightedElement<bool>({{4, false}, {1, true}});
  std::string content = "v" + std::to_string(*rc::gen::inRange(0, 1000));

  void apply(Model& m) const override {
    const std::set<std::string> admitted = m.ExpectedAdmitted();
    if (remove && m.objects.erase(object) == 0) return;  // no such object: no event
    if (!remove) m.objects[object] = content;
    for (auto& [name, d] : m.destinations) {
      if (!remove) {
        d.deleted.erase(object);
      } else if (admitted.contains(name) && d.captures) {
        d.deleted.insert(object);
      }
    }
  }
  void run(const Model& m, Sut& s) const override {
    const core::ResourceId id = testing::ConfigMap("prod", object);
    if (!remove || s.h.cluster.FindObject(id) != nullptr) {
      s.h.Feed(
          s.h.Changed(id, remove ? core::ChangeOp::kDelete : core::ChangeOp::kUpdate, content));
    }
    s.AfterStep(nextState(m));
  }
  void show(std::ostream& os) const override {
    os << "Change(" << object << ", " << (remove ? "<delete>" : content) << ")";
  }
};

struct AdvanceTime : Command {
  int64_t millis = *rc::gen::weightedElement<int64_t>(
      {{3, 0}, {3, 400}, {4, 5'000}, {4, 10'000}, {3, 29'999}, {3, 31'000}, {2, 700'000}});
  void apply(Model& m) const override { m.now += absl::Milliseconds(millis); }
  void run(const Model& m, Sut& s) const override {
    s.h.Advance(absl::Milliseconds(millis));
    s.AfterStep(nextState(m));
  }
  void show(std::ostream& os) const override { os << "Advance(" << millis << "ms)"; }
};

enum class Fault { kNone, kOutage, kAuth, kConflict };

absl::Status FaultStatus(Fault f) {
  return f == Fault::kAuth ? absl::UnauthenticatedError("authentication required")
                           : absl::UnavailableError("connection reset");
}

struct DeliverReads : Command {
  Fault fault =
      *rc::gen::weightedElement<Fault>({{6, Fault::kNone}, {2, Fault::kOutage}, {1, Fault::kAuth}});
  void run(const Model& m, Sut& s) const override {
    if (fault != Fault::kNone) s.h.remote.FailNextReads(1, FaultStatus(fault));
    s.h.DeliverReads();
    s.h.remote.ClearFaults();
    s.AfterStep(m);
  }
  void show(std::ostream& os) const override {
    os << "DeliverReads(" << static_cast<int>(fault) << ")";
  }
};

struct DeliverPushes : Command {
  Fault fault = *rc::gen::weightedElement<Fault>(
      {{5, Fault::kNone}, {2, Fault::kOutage}, {1, Fault::kAuth}, {2, Fault::kConflict}});
  std::string branch = *rc::gen::elementOf(kBranches);
  void run(const Model& m, Sut& s) const override {
    if (fault == Fault::kConflict) {
      s.h.remote.ExternalCommit(testing::kRepoUrl, branch, "external/file", "x");
    } else if (fault != Fault::kNone) {
      s.h.remote.FailNextPushes(1, FaultStatus(fault));
    }
    s.h.DeliverPushes();
    s.h.remote.ClearFaults();
    s.AfterStep(m);
  }
  void show(std::ostream& os) const override {
    os << "DeliverPushes(" << static_cast<int>(fault) << ", " << branch << ")";
  }
};

struct DeliverResyncs : Command {
  void run(const Model& m, Sut& s) const override {
    s.h.DeliverResyncs();
    s.AfterStep(m);
  }
  void show(std::ostream& os) const override { os << "DeliverResyncs"; }
};

struct DeliverStatusWrites : Command {
  bool fail = *rc::gen::weightedElement<bool>({{4, false}, {1, true}});
  void run(const Model& m, Sut& s) const override {
    if (fail) s.h.cluster.FailNextStatusWrites(1, absl::AbortedError("409: object modified"));
    s.h.DeliverStatusWrites();
    s.h.cluster.ClearFaults();
    s.AfterStep(m);
  }
  void show(std::ostream& os) const override { os << "DeliverStatusWrites(" << fail << ")"; }
};

struct ExternalWriter : Command {
  std::string branch = *rc::gen::elementOf(kBranches);
  void run(const Model& m, Sut& s) const override {
    s.h.remote.ExternalCommit(testing::kRepoUrl, branch, "external/other", "y");
    s.AfterStep(m);
  }
  void show(std::ostream& os) const override { os << "ExternalWriter(" << branch << ")"; }
};

// The model is unchanged by a crash: what the cluster holds survives it.
struct Restart : Command {
  void apply(Model& m) const override {
    for (auto& [name, d] : m.destinations) d.deleted.clear();  // in-memory deletes may be lost
  }
  void run(const Model& m, Sut& s) const override {
    Model next = nextState(m);
    s.Restart(next);
    s.AfterStep(next);
  }
  void show(std::ostream& os) const override { os << "Restart"; }
};

// Read-only: the invariants hold between any two commands.
struct Check : Command {
  void run(const Model& m, Sut& s) const override {
    RC_ASSERT(s.h.controller().CheckInvariants().ok());
    s.AfterStep(m);
  }
  void show(std::ostream& os) const override { os << "Check"; }
};

RC_GTEST_PROP(ReconcileProperty, InvariantsHoldAndEveryRunConverges, ()) {
  Model model;
  // A tiny queue bound in some runs, so that coalescing happens under every fault.
  core::ControllerOptions options;
  options.max_pending_changes = *rc::gen::element<size_t>(2, 3, 4, 10000);
  RC_TAG(options.max_pending_changes < 10000 ? "tiny queue" : "default queue");
  // One or two read slots in some runs, so that reads of several branches wait for each other.
  options.max_reads_in_flight = *rc::gen::element<size_t>(1, 2, 32);
  RC_TAG(options.max_reads_in_flight < 32 ? "reads wait" : "reads at once");
  // And one or two status write slots, so that writes of several objects wait in line.
  options.max_status_writes_in_flight = *rc::gen::element<size_t>(1, 2, 32);
  RC_TAG(options.max_status_writes_in_flight < 32 ? "status writes wait" : "status writes at once");
  // And one or two list slots, so that resyncs of several destinations wait in line.
  options.max_lists_in_flight = *rc::gen::element<size_t>(1, 2, 32);
  RC_TAG(options.max_lists_in_flight < 32 ? "lists wait" : "lists at once");
  Sut sut(options);
  rc::state::check(model, sut,
                   rc::state::gen::execOneOfWithArgs<
                       AddDestination, AddDestination, UpdateDestination, DeleteDestination,
                       ToggleRule, ChangeObject, ChangeObject, ChangeObject, AdvanceTime,
                       AdvanceTime, DeliverReads, DeliverReads, DeliverPushes, DeliverPushes,
                       DeliverStatusWrites, DeliverResyncs, ExternalWriter, Restart, Check>());
  // Liveness: the model as of the last command (rc::state::check keeps its own copy).
  sut.Converge(sut.last_model);
}

}  // namespace
}  // namespace gitdest::property
