// core_bench: how fast the core runs a realistic fleet, and how fast the simulated
// world around it runs one simulated day. A measurement, not a test: it prints a table
// and exits 0 (2 on a bad flag). `--help` lists the flags.
//
// The fleet: --destinations GitDestinations on --branches branches (of --repos
// GitRepoConfigs, one repository each), each destination in its own baseFolder and its
// own namespace, fed by a WatchRule there that captures that namespace's ConfigMaps: a
// change reaches exactly one destination, yet the core routes every change through the
// rule index (one rule per destination). The world answers at once: every effect is
// executed through core::EffectRunner against sim::SimRemote and sim::SimCluster and its
// result is fed straight back; a TimerFired is delivered at every Output::wake_at. No
// invariant checks: that is the simulator's job; this measures the bare core and the
// bare sim world.
//
// Write load, from a fixed-seed SplitMix64: a busy destination's namespace gets an
// ObjectChanged every --change-every seconds on average, a quiet one every --quiet-every
// seconds (each interval uniform in [1/2, 3/2] of the mean), so pushes, commit windows,
// cache refreshes and status writes run, not only requeues. 1 in --busy-one-in
// destinations is busy: were every destination busy, each push would refresh its
// branch's cache and reconcile the destinations it carried, postponing their 10-minute
// requeues again and again, so requeues and remote reads would hardly run (100 reads a
// day). --busy-one-in=1 gives that uniform load. A delete of an object that does not
// exist is skipped (a watch reports none).
//
// One step = one Controller::Handle call. Two clocks run: the wall time of the whole
// simulated day (core + sim world + this driver) and the time spent inside Handle only
// (the core alone), from which "core steps/s (Handle only)" is computed.
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/controller.h"
#include "core/executor.h"
#include "sim/sim_cluster.h"
#include "sim/sim_remote.h"

namespace gitdest::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct Flags {
  int reps = 5;
  int destinations = 1000;
  int branches = 100;
  int repos = 1;
  int64_t hours = 24;
  int64_t change_every_s = 300;  // mean interval between two changes of a busy destination
  int64_t quiet_every_s = 3600;  // ... of a quiet one
  int busy_one_in = 4;           // destinations 0, n, 2n, ... are busy
  int objects = 3;               // Kubernetes objects each destination captures
  uint64_t seed = 42;
};

constexpr char kUsage[] =
    "usage: core_bench [--reps=5] [--destinations=1000] [--branches=100] [--repos=1]\n"
    "                  [--hours=24] [--change-every=300] [--quiet-every=3600]\n"
    "                  [--busy-one-in=4] [--objects=3] [--seed=42]\n"
    "  intervals in simulated seconds; 1 in busy-one-in destinations changes every\n"
    "  change-every seconds on average, the others every quiet-every seconds\n";

// Parses `--name=value` flags; false (with a message) on anything else.
bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    const size_t eq = arg.find('=');
    const absl::string_view name = arg.substr(0, eq);
    const absl::string_view value = eq == absl::string_view::npos ? "" : arg.substr(eq + 1);
    int64_t number = 0;
    if (!absl::SimpleAtoi(value, &number) || number < 1) {
      absl::FPrintF(stderr, "core_bench: %s needs a positive integer value\n", arg);
      return false;
    }
    if (name == "--reps") {
      flags.reps = static_cast<int>(number);
    } else if (name == "--destinations") {
      flags.destinations = static_cast<int>(number);
    } else if (name == "--branches") {
      flags.branches = static_cast<int>(number);
    } else if (name == "--repos") {
      flags.repos = static_cast<int>(number);
    } else if (name == "--hours") {
      flags.hours = number;
    } else if (name == "--change-every") {
      flags.change_every_s = number;
    } else if (name == "--quiet-every") {
      flags.quiet_every_s = number;
    } else if (name == "--busy-one-in") {
      flags.busy_one_in = static_cast<int>(number);
    } else if (name == "--objects") {
      flags.objects = static_cast<int>(number);
    } else if (name == "--seed") {
      flags.seed = static_cast<uint64_t>(number);
    } else {
      absl::FPrintF(stderr, "core_bench: unknown flag %s\n%s", arg, kUsage);
      return false;
    }
  }
  if (flags.branches > flags.destinations || flags.repos > flags.branches) {
    absl::FPrintF(stderr, "core_bench: need repos <= branches <= destinations\n");
    return false;
  }
  return true;
}

// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and the same sequence everywhere,
// unlike std::*_distribution whose algorithms differ between standard libraries.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); the modulo bias (n / 2^64) is far below what a benchmark sees.
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t state_;
};

// Forwards to SimRemote and keeps its own account of what was pushed: a hash of every
// path's content, from which it counts commits (a change commits iff it changes
// bytes). There is no other writer here, so every successful push applies on this
// account's state, and the remote must agree with it on both trees and commit count.
class CountingRemote : public core::GitRemote {
 public:
  // Path hash → content hash: cheaper to keep and to look up than the strings, and it
  // still catches a tree that differs (short of a 128-bit hash collision). Only looked
  // up, never iterated.
  using FileHashes = absl::flat_hash_map<sim::Digest, sim::Digest>;

  explicit CountingRemote(sim::SimRemote& inner) : inner_(&inner) {}

  absl::StatusOr<std::vector<std::string>> ListFiles(const core::RemoteRef& remote,
                                                     const std::string& folder,
                                                     absl::Duration timeout) override {
    return inner_->ListFiles(remote, folder, timeout);
  }

  absl::StatusOr<core::PullReport> ReadBranch(const core::RemoteRef& remote,
                                              const std::string& known_tip,
                                              absl::Duration timeout) override {
    return inner_->ReadBranch(remote, known_tip, timeout);
  }
  absl::StatusOr<core::PushResult> Push(const core::RemoteRef& remote,
                                        const std::string& expected_tip,
                                        const std::vector<core::FileChange>& changes,
                                        absl::Duration timeout) override {
    absl::StatusOr<core::PushResult> result = inner_->Push(remote, expected_tip, changes, timeout);
    if (!result.ok() || result->outcome != core::PushResult::Outcome::kPushed) return result;
    FileHashes& files = pushed_[remote.url][remote.branch];
    for (const core::FileChange& change : changes) {
      ++changes_pushed_;
      const sim::Digest path = sim::HashBytes(change.path);
      if (change.op == core::ChangeOp::kDelete) {
        commits_ += static_cast<int64_t>(files.erase(path));
        continue;
      }
      const sim::Digest hash = sim::HashBytes(change.content);
      if (auto [it, inserted] = files.try_emplace(path, hash); inserted || it->second != hash) {
        it->second = hash;
        ++commits_;
      }
    }
    return result;
  }

  int64_t commits() const { return commits_; }
  int64_t changes_pushed() const { return changes_pushed_; }
  // What was pushed to one branch, to check against the remote's tree.
  const FileHashes& Pushed(const std::string& url, const std::string& branch) {
    return pushed_[url][branch];
  }

 private:
  sim::SimRemote* inner_;
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, FileHashes>> pushed_;  // url →
  int64_t commits_ = 0;
  int64_t changes_pushed_ = 0;
};

// Handle time is also split by the kind of input, to show where the core spends it.
constexpr size_t kInputKinds = std::variant_size_v<core::Input>;

const char* InputName(const core::Input& input) {
  return std::visit(
      [](const auto& in) -> const char* {
        using T = std::decay_t<decltype(in)>;
        if constexpr (std::is_same_v<T, core::TimerFired>) return "TimerFired";
        if constexpr (std::is_same_v<T, core::ObjectChanged>) return "ObjectChanged";
        if constexpr (std::is_same_v<T, core::MetadataFetched>) return "MetadataFetched";
        if constexpr (std::is_same_v<T, core::PushCompleted>) return "PushCompleted";
        if constexpr (std::is_same_v<T, core::StatusWritten>) return "StatusWritten";
        if constexpr (std::is_same_v<T, core::DestinationObserved>) return "DestinationObserved";
        if constexpr (std::is_same_v<T, core::RepoConfigObserved>) return "RepoConfigObserved";
        if constexpr (std::is_same_v<T, core::ObjectsListed>) return "ObjectsListed";
        if constexpr (std::is_same_v<T, core::CacheSynced>) return "CacheSynced";
        if constexpr (std::is_same_v<T, core::LeaseAcquired>) return "LeaseAcquired";
        if constexpr (std::is_same_v<T, core::WatchRuleObserved>) return "WatchRuleObserved";
        if constexpr (std::is_same_v<T, core::ResourceTypesDiscovered>) {
          return "ResourceTypesDiscovered";
        }
        return "other";
      },
      input);
}

struct KindStats {
  const char* name = nullptr;
  int64_t steps = 0;
  SteadyClock::duration in_handle{};
};

struct Counts {
  int64_t steps = 0;           // Handle calls
  int64_t timer_steps = 0;     // of which TimerFired
  int64_t changes = 0;         // ObjectChanged fed
  int64_t changes_pushed = 0;  // FileChanges in successful pushes
  int64_t reads = 0;
  int64_t pushes = 0;
  int64_t commits = 0;
  int64_t status_writes = 0;
  int64_t effects = 0;
  int64_t reconciles = 0;      // RequeueAfter effects: one per completed reconcile
  int64_t pending_at_end = 0;  // changes still queued or in a batch when the day ends
  uint64_t state_hash = 0;     // the core's StateHash at the end: same seed, same hash
  bool trees_match = false;    // the remote holds what was pushed, in as many commits
  friend bool operator==(const Counts&, const Counts&) = default;
};

struct RunResult {
  double wall_s = 0;    // the whole simulated day: core + sim world + driver
  double handle_s = 0;  // inside Controller::Handle only
  Counts counts;
  std::array<KindStats, kInputKinds> kinds;
};

std::string RepoUrl(int repo) { return absl::StrCat("https://git.example.com/fleet/repo", repo); }
std::string BranchName(int branch) { return absl::StrFormat("env-%03d", branch); }

// One simulated world: the fleet, its load, and the loop that runs it.
class World {
 public:
  explicit World(const Flags& flags)
      : flags_(flags), counting_(remote_), executor_(counting_, cluster_), rng_(flags.seed) {}

  RunResult Run();

 private:
  struct DestinationInfo {
    core::ObjectKey key;  // its namespace holds the objects it captures
    int repo;
    std::string branch;
  };
  struct Due {  // a destination's next captured change
    absl::Time at;
    int destination;
    bool operator>(const Due& o) const {
      return at != o.at ? at > o.at : destination > o.destination;
    }
  };

  void Setup();
  // Feeds one input and everything that follows from it, until nothing is in flight.
  void Drain(core::Input input);
  void Step(const core::Input& input);
  std::optional<core::ObjectChanged> NextChange(int destination);
  int64_t MeanChangeInterval(int destination) const;
  absl::Time NextChangeAt(int destination);
  bool TreesMatch();

  const Flags& flags_;
  core::Controller controller_;
  core::Output out_;  // the buffer every step handles into
  sim::SimRemote remote_;
  sim::SimCluster cluster_;
  CountingRemote counting_;
  core::EffectRunner executor_;
  SplitMix64 rng_;
  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
  absl::Time wake_at_ = absl::InfiniteFuture();
  std::deque<core::Input> results_;
  std::vector<DestinationInfo> fleet_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  int64_t content_serial_ = 0;
  SteadyClock::duration in_handle_{};
  Counts counts_;
  std::array<KindStats, kInputKinds> kinds_;
};

void World::Setup() {
  Drain(core::ResourceTypesDiscovered{
      {core::ResourceTypeInfo{{"", "v1", "configmaps"}, "ConfigMap", true, true}}});
  for (int r = 0; r < flags_.repos; ++r) {
    remote_.CreateRepository(RepoUrl(r));
    core::RepoConfig config;
    config.key = {"fleet", absl::StrCat("repo", r)};
    config.spec.repo_url = RepoUrl(r);
    config.spec.allowed_branches = {"*"};
    Drain(core::RepoConfigObserved{std::move(config)});
  }
  for (int d = 0; d < flags_.destinations; ++d) {
    const int branch = d % flags_.branches;
    const int repo = branch % flags_.repos;
    core::Destination dest;
    dest.key = {absl::StrFormat("ns-%05d", d), absl::StrFormat("dest-%05d", d)};
    dest.creation_time = now_;
    dest.spec = {{"fleet", absl::StrCat("repo", repo)},
                 BranchName(branch),
                 absl::StrFormat("clusters/c%05d", d)};
    fleet_.push_back({dest.key, repo, dest.spec.branch});
    core::WatchRule rule;
    rule.key = {dest.key.namespace_, "capture"};
    rule.destination_ref = {"", dest.key.name};
    core::ResourceRule configmaps;
    configmaps.resources = {"configmaps"};
    rule.rules = {configmaps};
    Drain(core::WatchRuleObserved{std::move(rule)});
    Drain(core::DestinationObserved{std::move(dest)});
    // The first change of each destination somewhere in its first interval.
    const uint64_t interval = static_cast<uint64_t>(MeanChangeInterval(d));
    due_.push({now_ + absl::Seconds(static_cast<int64_t>(rng_.Below(interval))), d});
  }
  // The initial list is complete (as after a restart; a fresh controller is synced), and
  // this, the only replica, holds the lease.
  Drain(core::CacheSynced{});
  Drain(core::LeaseAcquired{});
}

void World::Step(const core::Input& input) {
  const SteadyClock::time_point start = SteadyClock::now();
  core::Output& out = out_;  // one buffer, as a production loop keeps
  controller_.Handle(input, now_, out);
  const SteadyClock::duration took = SteadyClock::now() - start;
  in_handle_ += took;
  ++counts_.steps;
  KindStats& kind = kinds_[input.index()];
  kind.name = InputName(input);
  ++kind.steps;
  kind.in_handle += took;
  wake_at_ = out.wake_at;
  counts_.effects += static_cast<int64_t>(out.effects.size());
  for (const core::Effect& effect : out.effects) {
    counts_.reconciles += std::holds_alternative<core::RequeueAfter>(effect);
    executor_.Run(effect, [&](core::Input result) { results_.push_back(std::move(result)); });
  }
  out.effects.clear();  // consumed: destroyed here, outside the time in Handle
}

void World::Drain(core::Input input) {
  Step(input);
  while (!results_.empty()) {
    // In place: a deque's push_back (Step's) leaves references to its elements valid.
    Step(results_.front());
    results_.pop_front();
  }
}

int64_t World::MeanChangeInterval(int destination) const {
  return destination % flags_.busy_one_in == 0 ? flags_.change_every_s : flags_.quiet_every_s;
}

// Uniform in [½, 1½] of the destination's mean interval, in whole seconds.
absl::Time World::NextChangeAt(int destination) {
  const int64_t mean = MeanChangeInterval(destination);
  return now_ + absl::Seconds(mean / 2 +
                              static_cast<int64_t>(rng_.Below(static_cast<uint64_t>(mean) + 1)));
}

// An update (7 in 8) or a delete of one of the objects in the destination's namespace,
// with content that differs every time, about the size of a small sanitized ConfigMap.
// The cluster changes first (giving the uid and resourceVersion), then the watch reports
// it; a delete of an object that does not exist is no event (nullopt).
std::optional<core::ObjectChanged> World::NextChange(int destination) {
  const DestinationInfo& info = fleet_[static_cast<size_t>(destination)];
  const std::string object = absl::StrCat("cm", rng_.Below(static_cast<uint64_t>(flags_.objects)));
  const bool remove = rng_.Below(8) == 0;
  const std::string& ns = info.key.namespace_;
  const core::ResourceId id{"", "v1", "configmaps", ns, object};
  const std::string user = absl::StrCat("user", destination % 17, "@example.com");
  if (remove) {
    std::optional<core::CapturedObject> gone = cluster_.RemoveObject(id);
    if (!gone) return std::nullopt;
    return core::ObjectChanged{id, gone->uid, gone->resource_version, core::ChangeOp::kDelete,
                               "", user};
  }
  std::string content = absl::StrCat(
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ", object, "\n  namespace: ", ns,
      "\n  labels:\n    app.kubernetes.io/name: web\ndata:\n  revision: \"", ++content_serial_,
      "\"\n  settings.yaml: |\n    replicas: 3\n    logLevel: info\n");
  const core::CapturedObject& stored = cluster_.SetObject(id, std::move(content), user);
  return core::ObjectChanged{
      id, stored.uid, stored.resource_version, core::ChangeOp::kUpdate, stored.content, user};
}

// Every remote tree holds exactly what was pushed, and the remote made exactly the
// commits the pushes called for.
bool World::TreesMatch() {
  if (remote_.commits() != counting_.commits()) return false;
  for (int b = 0; b < flags_.branches; ++b) {
    const std::string url = RepoUrl(b % flags_.repos);
    const std::string branch = BranchName(b);
    const sim::Tree tree = remote_.TreeAt(url, branch);
    const CountingRemote::FileHashes& pushed = counting_.Pushed(url, branch);
    if (tree.size() != pushed.size()) return false;
    for (const auto& [path, content] : tree) {
      auto it = pushed.find(sim::HashBytes(path));
      if (it == pushed.end() || it->second != sim::HashBytes(content)) return false;
    }
  }
  return true;
}

RunResult World::Run() {
  const SteadyClock::time_point start = SteadyClock::now();
  Setup();
  const absl::Time end = now_ + absl::Hours(flags_.hours);
  for (;;) {
    const absl::Time change_at = due_.top().at;
    const absl::Time next = std::min(wake_at_, change_at);
    if (next > end) break;
    now_ = next;
    if (wake_at_ <= change_at) {
      ++counts_.timer_steps;
      Drain(core::TimerFired{});
      continue;
    }
    const int d = due_.top().destination;
    due_.pop();
    due_.push({NextChangeAt(d), d});
    if (std::optional<core::ObjectChanged> change = NextChange(d)) {
      ++counts_.changes;
      Drain(*std::move(change));
    }
  }
  RunResult result;
  result.wall_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  result.handle_s = std::chrono::duration<double>(in_handle_).count();
  counts_.reads = remote_.reads();
  counts_.pushes = remote_.pushes();
  counts_.status_writes = cluster_.status_writes();
  counts_.commits = counting_.commits();
  counts_.changes_pushed = counting_.changes_pushed();
  for (const auto& [key, worker] : controller_.workers().workers()) {
    counts_.pending_at_end += static_cast<int64_t>(worker.pending().size());
    if (worker.batch())
      counts_.pending_at_end += static_cast<int64_t>(worker.batch()->changes.size());
  }
  counts_.state_hash = controller_.StateHash();
  counts_.trees_match = TreesMatch();
  result.counts = counts_;
  result.kinds = kinds_;
  return result;
}

// ---- baselines -----------------------------------------------------------------------

// Nanoseconds per insert+erase of one key in a std::map of 1,000 int64 keys: a
// machine-speed yardstick in the core's own currency (ordered containers).
double MapCycleNs() {
  std::map<int64_t, int64_t> map;
  for (int64_t i = 0; i < 1000; ++i) map.emplace(i * 2, i);
  constexpr int64_t kCycles = 2'000'000;
  SplitMix64 rng(7);
  const SteadyClock::time_point start = SteadyClock::now();
  for (int64_t i = 0; i < kCycles; ++i) {
    const int64_t key = static_cast<int64_t>(rng.Below(2000)) * 2 + 1;  // absent: odd
    map.emplace(key, i);
    map.erase(key);
  }
  const double ns = std::chrono::duration<double, std::nano>(SteadyClock::now() - start).count();
  return ns / static_cast<double>(kCycles);
}

// Nanoseconds of one steady_clock::now(): the Handle-only figure pays two per step.
double ClockReadNs() {
  constexpr int kReads = 2'000'000;
  SteadyClock::duration sink{};
  const SteadyClock::time_point start = SteadyClock::now();
  for (int i = 0; i < kReads; ++i) sink += SteadyClock::now().time_since_epoch();
  const double ns = std::chrono::duration<double, std::nano>(SteadyClock::now() - start).count();
  if (sink.count() == 42) std::puts("");  // keeps the loop from being optimized away
  return ns / kReads;
}

// ---- report --------------------------------------------------------------------------

struct Stat {
  double median, min, max;
};

Stat Summarize(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  const double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return {median, values.front(), values.back()};
}

void PrintRow(const char* name, const Stat& s, const char* unit, double goal, bool higher) {
  std::string verdict;
  if (goal > 0) {
    const double ratio = higher ? s.median / goal : goal / s.median;
    verdict = absl::StrFormat("%.2fx goal  %s", ratio, ratio >= 1 ? "MET" : "NOT MET");
  }
  absl::PrintF("  %-34s %14.4g %14.4g %14.4g  %-8s %s\n", name, s.median, s.min, s.max, unit,
               verdict);
}

void PrintCounts(const Flags& flags, const Counts& c) {
  const double sim_s = static_cast<double>(flags.hours) * 3600;
  absl::PrintF("counts per run (identical in every repetition):\n");
  absl::PrintF("  core steps (Handle calls)  %10d   (%.1f per simulated second; %d TimerFired)\n",
               c.steps, static_cast<double>(c.steps) / sim_s, c.timer_steps);
  absl::PrintF("  changes fed                %10d   (%d pushed, %d still queued at the end)\n",
               c.changes, c.changes_pushed, c.pending_at_end);
  absl::PrintF("  commits                    %10d\n", c.commits);
  absl::PrintF(
      "  pushes                     %10d   (%.2f changes per push)\n", c.pushes,
      c.pushes ? static_cast<double>(c.changes_pushed) / static_cast<double>(c.pushes) : 0.0);
  absl::PrintF("  remote reads               %10d   (%.1f per branch per hour)\n", c.reads,
               static_cast<double>(c.reads) / flags.branches / static_cast<double>(flags.hours));
  absl::PrintF("  status writes              %10d\n", c.status_writes);
  absl::PrintF("  reconciles completed       %10d   (RequeueAfter effects)\n", c.reconciles);
  absl::PrintF("  effects                    %10d\n", c.effects);
  absl::PrintF("  remote trees == pushed     %10s   state hash %016x\n",
               c.trees_match ? "yes" : "NO", c.state_hash);
}

// Where Handle time goes, by input kind, summed over every repetition.
void PrintKinds(const std::vector<RunResult>& runs) {
  std::array<KindStats, kInputKinds> total;
  SteadyClock::duration all{};
  for (const RunResult& r : runs) {
    for (size_t i = 0; i < kInputKinds; ++i) {
      if (r.kinds[i].name != nullptr) total[i].name = r.kinds[i].name;
      total[i].steps += r.kinds[i].steps;
      total[i].in_handle += r.kinds[i].in_handle;
      all += r.kinds[i].in_handle;
    }
  }
  absl::PrintF("\nHandle time by input kind (all repetitions):\n");
  absl::PrintF("  %-22s %12s %10s %12s\n", "input", "steps/run", "share", "ns/step");
  for (const KindStats& k : total) {
    if (k.steps == 0) continue;
    const double ns = std::chrono::duration<double, std::nano>(k.in_handle).count();
    absl::PrintF("  %-22s %12d %9.1f%% %12.0f\n", k.name,
                 k.steps / static_cast<int64_t>(runs.size()),
                 100 * ns / std::chrono::duration<double, std::nano>(all).count(),
                 ns / static_cast<double>(k.steps));
  }
}

int Main(int argc, char** argv) {
  if (argc == 2 && absl::string_view(argv[1]) == "--help") {
    absl::PrintF("%s", kUsage);
    return 0;
  }
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) return 2;
  absl::PrintF(
      "core_bench: %d destinations on %d branches (%d GitRepoConfig), %d simulated hours; "
      "changes: 1 in %d destinations every %ds on average, the others every %ds; "
      "%d repetitions, seed %d\n",
      flags.destinations, flags.branches, flags.repos, flags.hours, flags.busy_one_in,
      flags.change_every_s, flags.quiet_every_s, flags.reps, flags.seed);
  std::vector<RunResult> runs;
  for (int r = 0; r < flags.reps; ++r) {
    World world(flags);
    runs.push_back(world.Run());
    absl::PrintF("  rep %d: %.3f s wall, %.3f s in Handle\n", r + 1, runs.back().wall_s,
                 runs.back().handle_s);
    std::fflush(stdout);
  }
  const Counts& counts = runs.front().counts;
  const bool deterministic =
      std::all_of(runs.begin(), runs.end(), [&](const RunResult& r) { return r.counts == counts; });
  const double steps = static_cast<double>(counts.steps);
  const double sim_s = static_cast<double>(flags.hours) * 3600;
  std::vector<double> wall, handle, rate_all, rate_core, sim_rate, ns_step;
  for (const RunResult& r : runs) {
    wall.push_back(r.wall_s);
    handle.push_back(r.handle_s);
    rate_all.push_back(steps / r.wall_s);
    rate_core.push_back(steps / r.handle_s);
    sim_rate.push_back(sim_s / r.wall_s);
    ns_step.push_back(r.handle_s * 1e9 / steps);
  }
  const double day_goal_s = static_cast<double>(flags.hours) / 24.0;  // 1 s per simulated day
  absl::PrintF("\n  %-34s %14s %14s %14s  %-8s %s\n", "figure", "median", "min", "max", "unit",
               "vs goal");
  PrintRow("core steps/s (Handle only)", Summarize(rate_core), "steps/s", 1e6, true);
  PrintRow("time per step (Handle only)", Summarize(ns_step), "ns", 0, true);
  PrintRow("steps/s (core + sim world)", Summarize(rate_all), "steps/s", 0, true);
  PrintRow("simulated run, wall (core + sim)", Summarize(wall), "s", day_goal_s, false);
  PrintRow("simulated run, Handle only", Summarize(handle), "s", day_goal_s, false);
  PrintRow("simulated s per wall s (core+sim)", Summarize(sim_rate), "x", 86400, true);
  absl::PrintF("\n");
  PrintCounts(flags, counts);
  absl::PrintF("  deterministic across reps  %10s\n", deterministic ? "yes" : "NO");
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  absl::PrintF("  peak RSS                   %10d MiB\n", usage.ru_maxrss / 1024);
  PrintKinds(runs);
  absl::PrintF("\nbaselines on this machine (to compare figures across machines):\n");
  absl::PrintF("  std::map<int64,int64> (1,000 keys) insert+erase   %6.1f ns\n", MapCycleNs());
  absl::PrintF("  steady_clock::now() (Handle-only timing pays 2/step) %4.1f ns\n", ClockReadNs());
  return 0;
}

}  // namespace
}  // namespace gitdest::bench

int main(int argc, char** argv) { return gitdest::bench::Main(argc, argv); }
