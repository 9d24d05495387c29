// gitdest-sim: runs the real gitdest core in the deterministic simulated world.
//
//   gitdest-sim run --seed=N [world flags] [--trace=FILE] [--check-determinism]
//   gitdest-sim explore --seeds=A..B [--jobs=2] [--time-budget=SECONDS] [world flags]
//   gitdest-sim replay FILE
//   gitdest-sim shrink --seed=N [world flags]
//
// World flags: --destinations=N --branches=N --objects=N --replicas=N --duration=D
// --liveness=45m --default-options
// Exit codes: 0 ok, 1 safety violation, 2 liveness failure, 3 crash (assertion),
// 4 replay divergence, 64 usage.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "adapters/trace/replay.h"
#include "adapters/trace/trace_file.h"
#include "core/check.h"
#include "core/naming/identity.h"
#include "sim/simulation.h"
#include "sim/state_checker.h"

namespace gitdest::sim {
namespace {

constexpr int kExitCrash = 3;
constexpr int kExitReplay = 4;
constexpr int kExitUsage = 64;

std::string g_reproduce;  // printed by the assertion handler

void OnAssert(const char* expression, const char* file, int line) {
  std::fprintf(stderr, "CRASH: assertion failed: %s (%s:%d)\nreproduce: %s\n", expression, file,
               line, g_reproduce.c_str());
  std::fflush(stderr);
  std::_Exit(kExitCrash);
}

constexpr char kUsage[] =
    "usage: gitdest-sim run --seed=N [world flags] [--trace=FILE] [--check-determinism]\n"
    "       gitdest-sim explore --seeds=A..B [--jobs=2] [--time-budget=SECONDS] [world flags]\n"
    "       gitdest-sim replay FILE\n"
    "       gitdest-sim shrink --seed=N [world flags]\n"
    "       gitdest-sim --help\n"
    "\n"
    "  run      one seeded run of the simulated world; prints a summary, and on a failure\n"
    "           what broke and the command that reproduces it\n"
    "  explore  many seeds in child processes (a crash is a result); prints every failure's\n"
    "           reproduce line\n"
    "  replay   feeds a recorded trace to a fresh core and compares effects and state hashes\n"
    "  shrink   halves the world of a failing seed while the same kind of failure remains\n"
    "\n"
    "world flags: --destinations=N (12) --branches=N (3) --objects=N (4, per namespace)\n"
    "             --replicas=N (controller processes; drawn from the seed: 1 or 2)\n"
    "             --duration=D (faults on; drawn from the seed: 30m in 3 of 7 seeds,\n"
    "                          else 1h, 2h or 4h)\n"
    "             --liveness=45m (healed: must converge within)\n"
    "             --default-options (the product's controller options and push settings\n"
    "             instead of ones drawn from the seed)\n"
    "             --check-every-step (walk the controller's invariants after every step,\n"
    "             not only after steps that decided something and every 8th quiet one:\n"
    "             names the very step that broke one)\n"
    "exit codes: 0 ok, 1 safety violation, 2 liveness failure, 3 crash (assertion),\n"
    "            4 replay divergence, 64 usage\n";

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr, "gitdest-sim: %s\n%s", why.c_str(), kUsage);
  std::exit(kExitUsage);
}

struct Args {
  std::string command;
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;
};

Args Parse(int argc, char** argv) {
  if (argc < 2) Usage("no command");
  Args args{argv[1], {}, {}};
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      args.positional.push_back(arg);
      continue;
    }
    std::vector<std::string> kv = absl::StrSplit(arg.substr(2), absl::MaxSplits('=', 1));
    args.flags[kv[0]] = kv.size() > 1 ? kv[1] : "true";
  }
  return args;
}

int64_t IntFlag(const Args& args, const std::string& name, int64_t fallback) {
  auto it = args.flags.find(name);
  if (it == args.flags.end()) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(it->second, &value) || value < 0) {
    Usage(absl::StrCat("--", name, "=", it->second, ": expected a non-negative integer"));
  }
  return value;
}

absl::Duration DurationFlag(const Args& args, const std::string& name, absl::Duration fallback) {
  auto it = args.flags.find(name);
  if (it == args.flags.end()) return fallback;
  absl::Duration value;
  if (!absl::ParseDuration(it->second, &value) || value < absl::ZeroDuration()) {
    Usage(absl::StrCat("--", name, "=", it->second, ": expected a duration such as 4h or 45m"));
  }
  return value;
}

SimOptions WorldOptions(const Args& args, uint64_t seed) {
  SimOptions o;
  o.seed = seed;
  o.destinations = static_cast<int>(IntFlag(args, "destinations", o.destinations));
  o.branches = static_cast<int>(IntFlag(args, "branches", o.branches));
  o.objects = static_cast<int>(IntFlag(args, "objects", o.objects));
  o.replicas = static_cast<int>(IntFlag(args, "replicas", ChooseReplicas(seed)));
  const ConfigDraw draw = ChooseConfig(seed);
  o.default_options = args.flags.contains("default-options");
  if (!o.default_options) {
    o.core_options = draw.core_options;
    o.push = draw.push;
  }
  o.duration = DurationFlag(args, "duration", draw.duration);
  o.liveness_bound = DurationFlag(args, "liveness", o.liveness_bound);
  // Only the determinism check compares them; a trace records them either way.
  o.state_hashes = args.flags.contains("check-determinism");
  o.check_every_step = args.flags.contains("check-every-step");
  if (o.destinations < 1 || o.branches < 1 || o.objects < 1) {
    Usage("--destinations, --branches and --objects must be at least 1");
  }
  if (o.replicas < 1 || o.replicas > 4) Usage("--replicas must be between 1 and 4");
  return o;
}

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kSafetyViolation:
      return "SAFETY VIOLATION";
    case Outcome::kLivenessFailure:
      return "LIVENESS FAILURE";
  }
  return "?";
}

void PrintSummary(const SimOptions& options, const RunResult& r) {
  std::printf(
      "seed %llu: %s — %d replicas, %lld steps, %s simulated, %lld user actions, %lld crashes, "
      "%lld lease changes\n",
      static_cast<unsigned long long>(options.seed), OutcomeName(r.outcome), options.replicas,
      static_cast<long long>(r.steps), absl::FormatDuration(r.simulated).c_str(),
      static_cast<long long>(r.user_actions), static_cast<long long>(r.crashes),
      static_cast<long long>(r.lease_changes));
  std::printf(
      "  remote: %lld reads, %lld pushes, %lld commits; api: %lld status writes, "
      "%lld watch drops, %lld admissions refused, %lld rule and %lld GitRepoConfig changes\n",
      static_cast<long long>(r.reads), static_cast<long long>(r.pushes),
      static_cast<long long>(r.commits), static_cast<long long>(r.status_writes),
      static_cast<long long>(r.watch_drops), static_cast<long long>(r.admissions_refused),
      static_cast<long long>(r.rule_changes), static_cast<long long>(r.config_changes));
  std::printf("  faults: %s\n", r.mix.Describe().c_str());
  const ConfigDraw config{options.core_options, options.push, options.duration};
  std::printf("  options: %s%s\n", options.default_options ? "(defaults) " : "",
              config.Describe().c_str());
  if (r.outcome != Outcome::kOk) {
    std::printf("  what broke: %s\n  at step %lld, %s\n  reproduce: %s\n", r.message.c_str(),
                static_cast<long long>(r.failed_step), absl::FormatTime(r.failed_at).c_str(),
                options.ReproduceCommand().c_str());
    if (r.outcome == Outcome::kSafetyViolation && !options.check_every_step) {
      std::printf(
          "  (the invariants are walked after quiet steps only every %d: add\n"
          "  --check-every-step to find the step that broke one)\n",
          WalkCadence::kMaxQuietSteps);
    }
  }
}

int ExitCode(Outcome outcome) { return static_cast<int>(outcome); }

uint64_t SeedFlag(const Args& args) {
  if (!args.flags.contains("seed")) Usage("--seed=N is required");
  return static_cast<uint64_t>(IntFlag(args, "seed", 0));
}

// Runs one seed, writing a trace if asked. A trace write error is reported, not fatal.
RunResult RunOnce(const SimOptions& options, const std::string& trace_path) {
  g_reproduce = options.ReproduceCommand();
  if (trace_path.empty()) return RunSimulation(options);
  trace::TraceHeader header;
  header.seed = options.seed;
  header.command = options.ReproduceCommand();
  header.options = options.core_options;
  header.epochs.clear();  // replica r starts as incarnation r (World)
  for (int r = 0; r < options.replicas; ++r) header.epochs.push_back(static_cast<uint32_t>(r));
  absl::StatusOr<trace::TraceWriter> writer = trace::TraceWriter::Open(trace_path, header);
  if (!writer.ok()) Usage(std::string(writer.status().message()));
  absl::Status write_status;
  RunResult result = RunSimulation(options, [&](const StepRecord& r) {
    if (!write_status.ok()) return;
    write_status =
        writer->Write(trace::TraceStep{r.step, static_cast<uint32_t>(r.replica), r.at, *r.input,
                                       r.output->effects, r.output->wake_at, r.state_hash});
  });
  if (write_status.ok()) write_status = writer->Close();
  if (!write_status.ok()) {
    std::fprintf(stderr, "trace: %s\n", std::string(write_status.message()).c_str());
  }
  return result;
}

int Run(const Args& args) {
  const SimOptions options = WorldOptions(args, SeedFlag(args));
  auto trace = args.flags.find("trace");
  RunResult result = RunOnce(options, trace == args.flags.end() ? "" : trace->second);
  PrintSummary(options, result);
  if (args.flags.contains("check-determinism")) {
    RunResult again = RunSimulation(options);
    for (size_t i = 0; i < std::max(result.state_hashes.size(), again.state_hashes.size()); ++i) {
      const bool same = i < result.state_hashes.size() && i < again.state_hashes.size() &&
                        result.state_hashes[i] == again.state_hashes[i];
      if (!same) {
        std::printf(
            "NONDETERMINISM: the state hashes of two runs differ at step %zu\n"
            "  reproduce: %s --check-determinism\n",
            i, options.ReproduceCommand().c_str());
        return ExitCode(Outcome::kSafetyViolation);
      }
    }
    std::printf("  determinism: two runs agree on all %zu state hashes\n",
                result.state_hashes.size());
  }
  return ExitCode(result.outcome);
}

// Seeds run in child processes, so that a crash (assertion) is a result, not the end. A
// child runs a batch of seeds one after another, on a heap already grown (a fresh process
// per seed pays its page faults again), and reports each result as a line "seed code" on
// a pipe. A crash ends the child: the seed it ran is the crash, and the seeds after it
// go to a new child. A child starts no seed past the deadline.
constexpr size_t kSeedsPerChild = 16;

struct Child {
  pid_t pid = -1;
  std::vector<uint64_t> seeds;
  int results = -1;  // the read end of its pipe
};

Child Spawn(const Args& args, std::vector<uint64_t> seeds, absl::Time deadline) {
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("gitdest-sim explore: pipe");
    std::exit(kExitUsage);
  }
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid < 0) {  // else its seeds would be counted neither run nor crashed
    std::perror("gitdest-sim explore: fork");
    std::exit(kExitUsage);
  }
  if (pid != 0) {
    close(fds[1]);
    return Child{pid, std::move(seeds), fds[0]};
  }
  close(fds[0]);
  for (uint64_t seed : seeds) {
    if (absl::Now() > deadline) break;
    const SimOptions options = WorldOptions(args, seed);
    g_reproduce = options.ReproduceCommand();
    RunResult result = RunSimulation(options);
    if (result.outcome != Outcome::kOk) PrintSummary(options, result);
    std::fflush(stdout);
    // A few bytes a seed: the pipe's buffer holds a whole batch, so this never blocks.
    const std::string line = absl::StrCat(seed, " ", ExitCode(result.outcome), "\n");
    if (write(fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) break;
  }
  std::_Exit(0);
}

// What a child reported, seed by seed, once it ended.
std::map<uint64_t, int> Collect(Child& child) {
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = read(child.results, buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  close(child.results);
  std::map<uint64_t, int> codes;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> fields = absl::StrSplit(line, ' ');
    uint64_t seed = 0;
    int code = 0;
    if (absl::SimpleAtoi(fields.first, &seed) && absl::SimpleAtoi(fields.second, &code)) {
      codes[seed] = code;
    }
  }
  return codes;
}

// The seeds of a range, handed to children in batches; what each child reported.
class Explorer {
 public:
  Explorer(const Args& args, uint64_t first, uint64_t last, absl::Time deadline)
      : args_(args), first_(first), next_(first), last_(last), deadline_(deadline) {}

  // Keeps `jobs` children busy until every seed ran or the deadline passed.
  void Run(int jobs) {
    for (;;) {
      while (absl::Now() <= deadline_ && static_cast<int>(running_.size()) < jobs) {
        std::vector<uint64_t> batch = NextBatch();
        if (batch.empty()) break;
        Child child = Spawn(args_, std::move(batch), deadline_);
        running_.emplace(child.pid, std::move(child));
      }
      if (running_.empty()) return;
      int status = 0;
      const pid_t pid = wait(&status);
      Reap(running_.extract(pid).mapped(), status);
    }
  }

  // Prints the summary and every failure's reproduce line; the exit status.
  int Summarize(absl::Duration took) {
    auto count = [&](int code) { return by_code_.contains(code) ? by_code_[code].size() : 0; };
    std::printf(
        "explore: %llu seeds in %s: %zu ok, %zu safety violations, %zu liveness failures, "
        "%zu crashes\n",
        static_cast<unsigned long long>(done_), absl::FormatDuration(took).c_str(), count(0),
        count(1), count(2), count(kExitCrash));
    for (const auto& [code, list] : by_code_) {
      if (code == 0) continue;
      for (uint64_t seed : list) {
        std::printf("  reproduce: %s\n", WorldOptions(args_, seed).ReproduceCommand().c_str());
      }
    }
    return done_ == count(0) ? 0 : 1;
  }

 private:
  // Seeds a crashed child did not reach first, then the range's next ones.
  std::vector<uint64_t> NextBatch() {
    std::vector<uint64_t> batch;
    for (; batch.size() < kSeedsPerChild && !again_.empty(); again_.pop_front()) {
      batch.push_back(again_.front());
    }
    for (; batch.size() < kSeedsPerChild && next_ <= last_; ++next_) batch.push_back(next_);
    return batch;
  }

  // A child ended: each seed it reported; if it crashed, the seed it was running is a
  // crash and the rest of its batch runs again; if not, what it left was past the deadline.
  void Reap(Child& child, int status) {
    const std::map<uint64_t, int> codes = Collect(child);
    const bool crashed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    for (auto seed = child.seeds.begin(); seed != child.seeds.end(); ++seed) {
      if (auto it = codes.find(*seed); it != codes.end()) {
        Report(*seed, it->second);
      } else if (crashed) {
        Report(*seed, kExitCrash);
        again_.insert(again_.begin(), seed + 1, child.seeds.end());
        break;
      }
    }
    std::fflush(stdout);
  }

  void Report(uint64_t seed, int code) {
    by_code_[code].push_back(seed);
    ++done_;
    std::printf("[%llu/%llu] seed %llu: %s\n", static_cast<unsigned long long>(done_),
                static_cast<unsigned long long>(total()), static_cast<unsigned long long>(seed),
                code == 0   ? "ok"
                : code == 1 ? "SAFETY"
                : code == 2 ? "LIVENESS"
                            : "CRASH");
  }

  uint64_t total() const { return last_ - first_ + 1; }

  const Args& args_;
  const uint64_t first_;
  uint64_t next_;
  const uint64_t last_;
  const absl::Time deadline_;
  std::map<pid_t, Child> running_;
  std::deque<uint64_t> again_;
  std::map<int, std::vector<uint64_t>> by_code_;
  uint64_t done_ = 0;
};

int Explore(const Args& args) {
  auto seeds = args.flags.find("seeds");
  std::vector<std::string> range;
  if (seeds != args.flags.end()) range = absl::StrSplit(seeds->second, "..");
  uint64_t first = 0, last = 0;
  if (range.size() != 2 || !absl::SimpleAtoi(range[0], &first) ||
      !absl::SimpleAtoi(range[1], &last) || last < first) {
    Usage("--seeds=A..B is required, with A <= B");
  }
  const int jobs = static_cast<int>(std::max<int64_t>(1, IntFlag(args, "jobs", 2)));
  const absl::Duration budget = absl::Seconds(IntFlag(args, "time-budget", 0));
  // Every child hashes destination identities (SHA-256): libcrypto loads its providers
  // once here, and the children inherit them instead of each loading them anew.
  core::Sha256Hex("");
  const absl::Time start = absl::Now();
  Explorer explorer(args, first, last,
                    budget > absl::ZeroDuration() ? start + budget : absl::InfiniteFuture());
  explorer.Run(jobs);
  return explorer.Summarize(absl::Now() - start);
}

int ReplayCommand(const Args& args) {
  if (args.positional.size() != 1) Usage("replay takes one trace FILE");
  // The step invariants too, as far as a trace tells them (nothing of the remote's history),
  // one checker per replica.
  std::map<uint32_t, StateChecker> checkers;
  const trace::ReplayResult result = trace::Replay(
      args.positional[0], [&](uint32_t replica, absl::Time now, const core::Input& input,
                              const core::Controller& controller, const core::Output& output) {
        return checkers[replica].Step(now, input, controller, output);
      });
  if (!result.status.ok()) {
    std::printf("replay: %s: diverged after %lld steps: %s\n", args.positional[0].c_str(),
                static_cast<long long>(result.steps), std::string(result.status.message()).c_str());
    return kExitReplay;
  }
  std::printf("replay: %s: %lld steps, identical effects and state hashes\n",
              args.positional[0].c_str(), static_cast<long long>(result.steps));
  return 0;
}

// Greedy shrinking: halve each dimension of the world while the same kind of failure
// remains, then print the smallest failing command (same seed).
int Shrink(const Args& args) {
  SimOptions best = WorldOptions(args, SeedFlag(args));
  const RunResult original = RunSimulation(best);
  if (original.outcome == Outcome::kOk) {
    std::printf("shrink: %s passes; nothing to shrink\n", best.ReproduceCommand().c_str());
    return 0;
  }
  auto still_fails = [&](const SimOptions& o) {
    return RunSimulation(o).outcome == original.outcome;
  };
  for (bool progress = true; progress;) {
    progress = false;
    // The liveness bound is not shrunk: a shorter one fails for want of time.
    for (int dim = 0; dim < 5; ++dim) {
      SimOptions candidate = best;
      if (dim == 0 && candidate.destinations > 1)
        candidate.destinations /= 2;
      else if (dim == 1 && candidate.branches > 1)
        candidate.branches /= 2;
      else if (dim == 2 && candidate.objects > 1)
        candidate.objects /= 2;
      else if (dim == 3 && candidate.duration > absl::Minutes(1))
        candidate.duration /= 2;
      else if (dim == 4 && candidate.replicas > 1)
        candidate.replicas = 1;
      else
        continue;
      if (still_fails(candidate)) {
        best = candidate;
        progress = true;
      }
    }
  }
  RunResult shrunk = RunSimulation(best);
  PrintSummary(best, shrunk);
  std::printf("shrink: minimal failing run: %s\n", best.ReproduceCommand().c_str());
  return ExitCode(shrunk.outcome);
}

}  // namespace
}  // namespace gitdest::sim

int main(int argc, char** argv) {
  using namespace gitdest::sim;
  gitdest::core::SetAssertHandler(OnAssert);
  const Args args = Parse(argc, argv);
  if (args.command == "--help" || args.command == "-h" || args.command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (args.command == "run") return Run(args);
  if (args.command == "explore") return Explore(args);
  if (args.command == "replay") return ReplayCommand(args);
  if (args.command == "shrink") return Shrink(args);
  Usage("unknown command \"" + args.command + "\"");
}
