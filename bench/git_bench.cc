// git_bench: the libgit2 adapter against the git CLI a user would otherwise script, both
// on the same repository in the same run. Prints medians and ratios (adapter / CLI);
// exits 0. Usage: git_bench [--reps=N] [--changes=N] [--batch=N] [URL-BASE]
//   URL-BASE: where fresh bare repositories are served (default: file:// in a temporary
//   directory); the CLI side reaches the same URL.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
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

struct Setup {
  std::string dir;  // bare repositories and the CLI's working copies
  std::string NewRepository(const std::string& name) {
    const std::string bare = absl::StrCat(dir, "/", name, ".git");
    Run(absl::StrCat("git init -q --bare -b main ", bare, " && git -C ", dir, " clone -q ", bare,
                     " seed-", name, " 2>/dev/null && cd ", dir, "/seed-", name,
                     " && echo hi > README && git add README && git -c user.name=b "
                     "-c user.email=b@b commit -qm init && git push -q origin main"));
    return bare;
  }
};

void BenchReads(gitdest::git::Libgit2Remote& git, Setup& setup, int reps) {
  const std::string url = "file://" + setup.NewRepository("reads");
  const RemoteRef ref{{"bench", "config"}, url, {}, "main"};
  std::vector<double> ours, cli;
  for (int i = 0; i < reps; ++i) {
    ours.push_back(Seconds([&] {
      if (!git.ReadBranch(ref, "", absl::Seconds(20)).ok()) std::exit(1);
    }));
    cli.push_back(Seconds([&] { Run("git ls-remote " + url + " refs/heads/main >/dev/null"); }));
  }
  std::printf("metadata read      adapter %8.2f ms   git ls-remote %8.2f ms   ratio %.2f\n",
              Median(ours) * 1e3, Median(cli) * 1e3, Median(ours) / Median(cli));
}

void BenchWrites(gitdest::git::Libgit2Remote& git, Setup& setup, int changes, int batch) {
  const std::string bare = setup.NewRepository("writes-ours");
  const RemoteRef ref{{"bench", "config"}, "file://" + bare, {}, "main"};
  const double ours = Seconds([&] {
    std::string tip = git.ReadBranch(ref, "", absl::Seconds(20))->head.sha;
    for (int done = 0; done < changes; done += batch) {
      std::vector<FileChange> batch_changes;
      for (int i = done; i < std::min(changes, done + batch); ++i) {
        const std::string path = absl::StrCat("apps/v1/configmaps/ns/cm", i, ".yaml");
        batch_changes.push_back(FileChange{path,
                                           gitdest::core::ChangeOp::kUpdate,
                                           absl::StrCat("data:\n  v: \"", i, "\"\n"),
                                           "[UPDATE] " + path,
                                           "alice",
                                           {"ns", "d"}});
      }
      auto result = git.Push(ref, tip, batch_changes, absl::Minutes(2));
      if (!result.ok()) std::exit(1);
      tip = result->tip;
    }
  });
  const std::string cli_bare = setup.NewRepository("writes-cli");
  const std::string work = setup.dir + "/cli-work";
  const double cli = Seconds([&] {
    Run(absl::StrCat("git clone -q ", cli_bare, " ", work, " && mkdir -p ", work,
                     "/apps/v1/configmaps/ns"));
    for (int done = 0; done < changes; done += batch) {
      std::string script = absl::StrCat("cd ", work);
      for (int i = done; i < std::min(changes, done + batch); ++i) {
        const std::string path = absl::StrCat("apps/v1/configmaps/ns/cm", i, ".yaml");
        absl::StrAppend(&script, " && printf 'data:\\n  v: \"", i, "\"\\n' > ", path,
                        " && git add ", path,
                        " && git -c user.name=alice -c user.email=a@a "
                        "commit -qm '[UPDATE] ",
                        path, "'");
      }
      Run(absl::StrCat(script, " && git push -q origin main"));
    }
  });
  std::printf("%d changes in batches of %d   adapter %8.2f s   git CLI %8.2f s   ratio %.2f\n",
              changes, batch, ours, cli, ours / cli);
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 21, changes = 1000, batch = 20;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.starts_with("--reps=")) reps = std::atoi(arg.c_str() + 7);
    if (arg.starts_with("--changes=")) changes = std::atoi(arg.c_str() + 10);
    if (arg.starts_with("--batch=")) batch = std::atoi(arg.c_str() + 8);
  }
  std::string dir = (std::filesystem::temp_directory_path() / "gitdest-bench-XXXXXX").string();
  Setup setup{mkdtemp(dir.data())};
  gitdest::git::StaticCredentials anonymous;
  gitdest::git::Libgit2Remote git({setup.dir + "/cache"}, anonymous);
  std::printf("git_bench (file://, medians of %d; ratio = adapter / git CLI, lower is better)\n",
              reps);
  BenchReads(git, setup, reps);
  BenchWrites(git, setup, changes, batch);
  std::filesystem::remove_all(setup.dir);
  return 0;
}
