// git_bench: the libgit2 adapter against the git CLI a user would otherwise script, both
// on the same server in the same run. Prints medians and ratios (adapter / CLI, lower is
// better); exits 0. Over file:// by default; over HTTPS with --https when the test
// servers' environment is set (bash tests/git/with-servers.sh build/bench/git_bench --https).
//   --reps=N        reads and later writes measured (21)
//   --changes=N     changes committed and pushed in batches of --batch=N (1000, 20)
//   --large         also a generated repository of 100,000 files in 10,000 commits: first
//                   write, later writes and peak RSS of gitdest-git against the git CLI
//   --soak=N        N push cycles in this process; RSS growth from the first tenth on
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/git/credentials.h"
#include "adapters/git/libgit2_remote.h"

namespace {

using gitdest::core::FileChange;
using gitdest::core::RemoteRef;

void Run(const std::string& command) {
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "git_bench: failed: %s\n", command.c_str());
    std::exit(1);
  }
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class F>
double Seconds(F&& f) {
  const absl::Time start = absl::Now();
  f();
  return absl::ToDoubleSeconds(absl::Now() - start);
}

// Runs `command` in a child process: its wall time, and the peak RSS (KiB) of the largest
// process it ran.
struct Measured {
  double seconds;
  long peak_kib;
};
Measured RunMeasured(const std::string& command) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  const absl::Time start = absl::Now();
  const pid_t child = fork();
  if (child == 0) {
    const int rc = std::system(command.c_str());
    rusage usage{};
    getrusage(RUSAGE_CHILDREN, &usage);
    if (write(fds[1], &usage.ru_maxrss, sizeof(usage.ru_maxrss)) < 0) _exit(2);
    _exit(rc == 0 ? 0 : 1);
  }
  long peak = 0;
  if (read(fds[0], &peak, sizeof(peak)) != sizeof(peak)) peak = -1;
  int status = 0;
  waitpid(child, &status, 0);
  close(fds[0]);
  close(fds[1]);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "git_bench: failed: %s\n", command.c_str());
    std::exit(1);
  }
  return {absl::ToDoubleSeconds(absl::Now() - start), peak};
}

long ResidentKib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// Where the repositories live and how each side reaches them.
struct Target {
  std::string scratch;       // working copies, caches, generated files
  std::string repos;         // bare repositories, as the server serves them
  std::string adapter_base;  // URL base for the adapter
  std::string cli_base;      // URL base for the git CLI (credentials in it, bench only)
  std::string cli_env;       // environment for the git CLI (the CA)
  std::string secret_dir;    // the Secret's keys as files, for gitdest-git
  gitdest::core::ObjectKey secret;

  std::string NewRepository(const std::string& name) const {
    const std::string bare = absl::StrCat(repos, "/", name, ".git");
    const std::string seed = absl::StrCat(scratch, "/seed-", name);
    Run(absl::StrCat("git init -q --bare -b main ", bare, " && git init -q -b main ", seed,
                     " && cd ", seed,
                     " && echo hi > README && git add README && git -c "
                     "user.name=b -c user.email=b@b commit -qm init && git push -q ",
                     bare, " main"));
    return name + ".git";
  }
  RemoteRef Ref(const std::string& repo) const {
    return RemoteRef{{"bench", "config"}, absl::StrCat(adapter_base, "/", repo), secret, "main"};
  }
  std::string CliUrl(const std::string& repo) const { return absl::StrCat(cli_base, "/", repo); }
};

void BenchReads(gitdest::git::Libgit2Remote& git, const Target& t, int reps) {
  const std::string repo = t.NewRepository("reads");
  std::vector<double> ours, cli;
  for (int i = 0; i < reps; ++i) {
    ours.push_back(Seconds([&] {
      if (!git.ReadBranch(t.Ref(repo), "", absl::Seconds(20)).ok()) std::exit(1);
    }));
    cli.push_back(Seconds([&] {
      Run(t.cli_env + "git ls-remote " + t.CliUrl(repo) + " refs/heads/main >/dev/null");
    }));
  }
  std::printf(
      "metadata read                 adapter %9.2f ms  git ls-remote %9.2f ms  ratio %.2f\n",
      Median(ours) * 1e3, Median(cli) * 1e3, Median(ours) / Median(cli));
}

std::vector<FileChange> Batch(int from, int to, const std::string& salt) {
  std::vector<FileChange> changes;
  for (int i = from; i < to; ++i) {
    const std::string path = absl::StrCat("apps/v1/configmaps/ns/cm", i, ".yaml");
    changes.push_back(FileChange{path,
                                 gitdest::core::ChangeOp::kUpdate,
                                 absl::StrCat("data:\n  v: \"", i, salt, "\"\n"),
                                 "[UPDATE] " + path,
                                 "alice",
                                 {"ns", "d"}});
  }
  return changes;
}

void BenchWrites(gitdest::git::Libgit2Remote& git, const Target& t, int changes, int batch) {
  const std::string ours_repo = t.NewRepository("writes-ours");
  const double ours = Seconds([&] {
    std::string tip = git.ReadBranch(t.Ref(ours_repo), "", absl::Seconds(20))->head.sha;
    for (int done = 0; done < changes; done += batch) {
      auto result = git.Push(t.Ref(ours_repo), tip,
                             Batch(done, std::min(changes, done + batch), ""), absl::Minutes(2));
      if (!result.ok()) std::exit(1);
      tip = result->tip;
    }
  });
  const std::string cli_repo = t.NewRepository("writes-cli");
  const std::string work = t.scratch + "/cli-work";
  const double cli = Seconds([&] {
    Run(absl::StrCat(t.cli_env, "git clone -q ", t.CliUrl(cli_repo), " ", work, " && mkdir -p ",
                     work, "/apps/v1/configmaps/ns"));
    for (int done = 0; done < changes; done += batch) {
      std::string script = absl::StrCat("cd ", work);
      for (int i = done; i < std::min(changes, done + batch); ++i) {
        const std::string path = absl::StrCat("apps/v1/configmaps/ns/cm", i, ".yaml");
        absl::StrAppend(
            &script, " && printf 'data:\\n  v: \"", i, "\"\\n' > ", path, " && git add ", path,
            " && git -c user.name=alice -c user.email=a@a commit -qm '[UPDATE] ", path, "'");
      }
      Run(absl::StrCat(script, " && ", t.cli_env, "git push -q origin main"));
    }
  });
  std::printf("%d changes, batches of %-4d   adapter %9.2f s   git CLI %9.2f s   ratio %.2f\n",
              changes, batch, ours, cli, ours / cli);
}

// 100,000 files in 10,000 commits (ten files each), through git fast-import.
std::string GenerateLarge(const Target& t) {
  const std::string repo = t.NewRepository("large");
  const std::string stream = t.scratch + "/large.fi";
  {
    std::ofstream out(stream);
    for (int c = 0; c < 10000; ++c) {
      out << "commit refs/heads/main\ncommitter g <g@g> " << 1700000000 + c
          << " +0000\ndata 4\nbulk\n";
      if (c == 0) out << "from refs/heads/main^0\n";
      for (int f = 0; f < 10; ++f) {
        const std::string body = absl::StrCat("kind: ConfigMap\nname: cm", c * 10 + f, "\n");
        out << "M 100644 inline clusters/d" << c % 100 << "/cm" << c * 10 + f << ".yaml\ndata "
            << body.size() << "\n"
            << body << "\n";
      }
    }
  }
  Run(absl::StrCat("git -C ", t.repos, "/", repo, " fast-import --quiet < ", stream));
  return repo;
}

void BenchLarge(const Target& t, const std::string& tool, int reps) {
  const std::string repo = GenerateLarge(t);
  // The CLI writes to a copy: each side's working state stays its own.
  const std::string cli_repo = "large-cli.git";
  Run(absl::StrCat("cp -r ", t.repos, "/", repo, " ", t.repos, "/", cli_repo));
  const std::string file = t.scratch + "/change.yaml";
  Run("printf 'kind: ConfigMap\\n' > " + file);
  const std::string secret = t.secret_dir.empty() ? "" : " --secret-dir=" + t.secret_dir;
  auto ours = [&](int i) {
    return RunMeasured(absl::StrCat(t.cli_env, tool, " write ", t.Ref(repo).url, " main apps/a", i,
                                    ".yaml ", file, secret, " --cache-dir=", t.scratch,
                                    "/large-cache >/dev/null"));
  };
  const std::string work = t.scratch + "/large-work";
  auto cli = [&](int i) {
    return RunMeasured(absl::StrCat("cd ", work, " && cp ", file, " apps/b", i,
                                    ".yaml && git add apps && git -c user.name=a -c user.email=a@a "
                                    "commit -qm x && ",
                                    t.cli_env, "git push -q origin main"));
  };
  const Measured ours_first = ours(0);
  const Measured cli_first =
      RunMeasured(absl::StrCat(t.cli_env, "git clone -q ", t.CliUrl(cli_repo), " ", work,
                               " && mkdir -p ", work, "/apps && cd ", work, " && cp ", file,
                               " apps/b0.yaml && git add apps && git -c user.name=a -c "
                               "user.email=a@a commit -qm x && ",
                               t.cli_env, "git push -q origin main"));
  std::vector<double> ours_later, cli_later;
  long ours_peak = ours_first.peak_kib, cli_peak = cli_first.peak_kib;
  for (int i = 1; i <= reps; ++i) {
    const Measured a = ours(i);
    const Measured b = cli(i);
    ours_later.push_back(a.seconds);
    cli_later.push_back(b.seconds);
    ours_peak = std::max(ours_peak, a.peak_kib);
    cli_peak = std::max(cli_peak, b.peak_kib);
  }
  std::printf("large repo, first write       adapter %9.2f s   git CLI %9.2f s   ratio %.2f\n",
              ours_first.seconds, cli_first.seconds, ours_first.seconds / cli_first.seconds);
  std::printf("large repo, later writes      adapter %9.2f s   git CLI %9.2f s   ratio %.2f\n",
              Median(ours_later), Median(cli_later), Median(ours_later) / Median(cli_later));
  std::printf("large repo, peak RSS          adapter %9ld KiB git CLI %9ld KiB ratio %.2f\n",
              ours_peak, cli_peak, static_cast<double>(ours_peak) / static_cast<double>(cli_peak));
}

void Soak(gitdest::git::Libgit2Remote& git, const Target& t, int cycles) {
  const RemoteRef ref = t.Ref(t.NewRepository("soak"));
  std::string tip = git.ReadBranch(ref, "", absl::Seconds(20))->head.sha;
  long after_warmup = 0;
  for (int i = 0; i < cycles; ++i) {
    auto result =
        git.Push(ref, tip, Batch(i % 50, i % 50 + 1, absl::StrCat("-", i)), absl::Minutes(2));
    if (!result.ok()) std::exit(1);
    tip = result->tip;
    if (i == cycles / 10) after_warmup = ResidentKib();
  }
  const long end = ResidentKib();
  std::printf("soak, %d push cycles        RSS %ld KiB after %d, %ld KiB at the end: %+.1f %%\n",
              cycles, after_warmup, cycles / 10, end,
              100.0 * static_cast<double>(end - after_warmup) / static_cast<double>(after_warmup));
}

constexpr char kUsage[] =
    "usage: git_bench [--reps=21] [--changes=1000] [--batch=20] [--large] [--soak=N] [--https]\n"
    "  the libgit2 adapter against the git CLI on the same server, in the same run:\n"
    "  --reps=N      reads and later writes measured\n"
    "  --changes=N   changes committed and pushed in batches of --batch=N\n"
    "  --large       also a generated repository of 100,000 files in 10,000 commits\n"
    "  --soak=N      N push cycles in this process; RSS growth from the first tenth on\n"
    "  --https       over the test servers' HTTPS (under tests/git/with-servers.sh);\n"
    "                file:// otherwise\n";

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 21, changes = 1000, batch = 20, soak = 0;
  bool https = false, large = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.starts_with("--reps=")) {
      reps = std::atoi(arg.c_str() + 7);
    } else if (arg.starts_with("--changes=")) {
      changes = std::atoi(arg.c_str() + 10);
    } else if (arg.starts_with("--batch=")) {
      batch = std::atoi(arg.c_str() + 8);
    } else if (arg.starts_with("--soak=")) {
      soak = std::atoi(arg.c_str() + 7);
    } else if (arg == "--https" || arg == "--large") {
      (arg == "--https" ? https : large) = true;
    } else {
      std::fprintf(arg == "--help" || arg == "-h" ? stdout : stderr, "%s", kUsage);
      return arg == "--help" || arg == "-h" ? 0 : 64;
    }
  }
  std::string dir = (std::filesystem::temp_directory_path() / "gitdest-bench-XXXXXX").string();
  Target t;
  t.scratch = mkdtemp(dir.data());
  if (https) {
    if (Env("GITDEST_TEST_HTTPS_BASE").empty()) {
      std::fprintf(stderr, "git_bench --https: run it under tests/git/with-servers.sh\n");
      return 64;
    }
    const std::string base = Env("GITDEST_TEST_HTTPS_BASE");
    t.repos = Env("GITDEST_TEST_REPOS");
    t.adapter_base = base;
    t.cli_base = absl::StrCat("https://", Env("GITDEST_TEST_HTTPS_USER"), ":",
                              Env("GITDEST_TEST_HTTPS_PASSWORD"), "@", base.substr(8));
    t.cli_env = absl::StrCat("GIT_SSL_CAINFO=", Env("GITDEST_TEST_CA"), " ");
    t.secret = {"bench", "credentials"};
    t.secret_dir = t.scratch + "/secret";
    Run(absl::StrCat("mkdir -p ", t.secret_dir, " && printf %s '", Env("GITDEST_TEST_HTTPS_USER"),
                     "' > ", t.secret_dir, "/username && printf %s '",
                     Env("GITDEST_TEST_HTTPS_PASSWORD"), "' > ", t.secret_dir, "/password && cp ",
                     Env("GITDEST_TEST_CA"), " ", t.secret_dir, "/ca.crt"));
  } else {
    t.repos = t.scratch + "/repos";
    std::filesystem::create_directories(t.repos);
    t.adapter_base = t.cli_base = "file://" + t.repos;
  }
  // The Secret's keys as files (none: anonymous), read as a mounted Secret would be.
  gitdest::git::DirectoryCredentials credentials(t.secret_dir);
  gitdest::git::Libgit2Remote git({t.scratch + "/cache"}, credentials);
  std::printf("git_bench over %s (medians of %d; ratio = adapter / git CLI, lower is better)\n",
              https ? "HTTPS" : "file://", reps);
  BenchReads(git, t, reps);
  BenchWrites(git, t, changes, batch);
  if (large) {
    const std::string tool =
        (std::filesystem::path(argv[0]).parent_path() / "../adapters/git/gitdest-git").string();
    BenchLarge(t, tool, std::min(reps, 5));
  }
  if (soak > 0) Soak(git, t, soak);
  std::filesystem::remove_all(t.scratch);
  return 0;
}
