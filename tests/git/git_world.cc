#include "tests/git/git_world.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "adapters/git/credentials.h"
#include "adapters/git/libgit2_remote.h"
#include "sim/sim_remote.h"

namespace gitdest::testing {
namespace {

class SimWorld : public GitWorld {
 public:
  core::GitRemote& remote() override { return remote_; }
  core::RemoteRef NewRepository(bool with_main, const std::string& branch) override {
    core::RemoteRef ref{
        {"test", "config"}, absl::StrCat("https://git.test/r", ++repos_), {}, branch};
    remote_.CreateRepository(ref.url);
    if (with_main) remote_.ExternalCommit(ref.url, "main", "README", "hello\n");
    return ref;
  }
  std::string ExternalCommit(const core::RemoteRef& ref, const std::string& path,
                             const std::string& content) override {
    return remote_.ExternalCommit(ref.url, ref.branch, path, content);
  }
  void DeleteBranch(const core::RemoteRef& ref) override {
    remote_.DeleteBranch(ref.url, ref.branch);
  }
  void ForceMoveBack(const core::RemoteRef& ref) override {
    remote_.ForceMoveBack(ref.url, ref.branch);
  }
  std::string Tip(const core::RemoteRef& ref) override { return remote_.Tip(ref.url, ref.branch); }
  std::vector<std::string> Files(const core::RemoteRef& ref) override {
    std::vector<std::string> paths;
    for (const auto& [path, content] : remote_.TreeAt(ref.url, ref.branch)) paths.push_back(path);
    return paths;
  }
  std::string Content(const core::RemoteRef& ref, const std::string& path) override {
    return remote_.TreeAt(ref.url, ref.branch).at(path);
  }
  std::string RepositoryPath(const core::RemoteRef&) override { return ""; }

 private:
  sim::SimRemote remote_;
  int repos_ = 0;
};

// Runs a shell command; returns its stdout. Throws when it fails (tests only: a broken
// fixture must stop the test loudly).
std::string ShellBytes(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  std::string out;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) out.append(buffer, n);
  if (pclose(pipe) != 0) throw std::runtime_error("command failed: " + command);
  return out;
}

// ShellBytes without the trailing newline.
std::string Shell(const std::string& command) {
  return std::string(absl::StripTrailingAsciiWhitespace(ShellBytes(command)));
}

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Bare repositories on this machine; the other writer works on them with git plumbing.
class RealWorld : public GitWorld {
 public:
  RealWorld(std::string repos, std::string base_url, git::Credentials credentials)
      : repos_(std::move(repos)), base_url_(std::move(base_url)) {
    credentials_.Set(kSecret, std::move(credentials));
    cache_ =
        std::filesystem::temp_directory_path() /
        absl::StrCat("gitdest-contract-cache-", getpid(), "-", reinterpret_cast<uintptr_t>(this));
    remote_ = std::make_unique<git::Libgit2Remote>(git::Libgit2RemoteOptions{cache_.string()},
                                                   credentials_);
  }
  ~RealWorld() override {
    std::error_code ec;
    std::filesystem::remove_all(cache_, ec);
  }
  core::GitRemote& remote() override { return *remote_; }
  core::RemoteRef NewRepository(bool with_main, const std::string& branch) override {
    static int repositories = 0;  // one directory for the whole run: never reuse a name
    const std::string name = absl::StrCat("contract-", getpid(), "-", ++repositories, ".git");
    Shell(absl::StrCat("git init -q --bare -b main ", Bare(name)));
    core::RemoteRef ref{{"test", "config"}, absl::StrCat(base_url_, "/", name), kSecret, branch};
    names_[ref.url] = name;
    if (with_main) {
      core::RemoteRef main = ref;
      main.branch = "main";
      ExternalCommit(main, "README", "hello\n");
    }
    return ref;
  }
  std::string ExternalCommit(const core::RemoteRef& ref, const std::string& path,
                             const std::string& content) override {
    const std::string git = Git(ref);
    const std::string index = absl::StrCat(Bare(names_.at(ref.url)), "/contract-index");
    const std::string tip = Tip(ref);
    const std::string file = absl::StrCat(Bare(names_.at(ref.url)), "/contract-blob");
    {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out << content;
    }
    const std::string blob = Shell(absl::StrCat(git, " hash-object -w ", file));
    const std::string with_index = absl::StrCat("GIT_INDEX_FILE=", index, " ", git);
    Shell(tip.empty() ? absl::StrCat("rm -f ", index)
                      : absl::StrCat(with_index, " read-tree ", tip));
    Shell(absl::StrCat(with_index, " update-index --add --cacheinfo 100644,", blob, ",", path));
    const std::string tree = Shell(absl::StrCat(with_index, " write-tree"));
    const std::string commit = Shell(absl::StrCat(
        "GIT_AUTHOR_NAME=other GIT_AUTHOR_EMAIL=o@x GIT_COMMITTER_NAME=other "
        "GIT_COMMITTER_EMAIL=o@x ",
        git, " commit-tree ", tree, tip.empty() ? "" : absl::StrCat(" -p ", tip), " -m other"));
    Shell(absl::StrCat(git, " update-ref refs/heads/", ref.branch, " ", commit));
    return commit;
  }
  void DeleteBranch(const core::RemoteRef& ref) override {
    Shell(absl::StrCat(Git(ref), " update-ref -d refs/heads/", ref.branch));
  }
  void ForceMoveBack(const core::RemoteRef& ref) override {
    Shell(absl::StrCat(Git(ref), " update-ref refs/heads/", ref.branch, " ", Tip(ref), "~1"));
  }
  std::string Tip(const core::RemoteRef& ref) override {
    try {
      return Shell(absl::StrCat(Git(ref), " rev-parse -q --verify refs/heads/", ref.branch));
    } catch (const std::runtime_error&) {
      return "";
    }
  }
  std::vector<std::string> Files(const core::RemoteRef& ref) override {
    const std::string out =
        Shell(absl::StrCat(Git(ref), " ls-tree -r --name-only refs/heads/", ref.branch));
    return absl::StrSplit(out, '\n', absl::SkipEmpty());
  }
  std::string Content(const core::RemoteRef& ref, const std::string& path) override {
    return ShellBytes(absl::StrCat(Git(ref), " cat-file blob refs/heads/", ref.branch, ":", path));
  }
  std::string RepositoryPath(const core::RemoteRef& ref) override {
    return Bare(names_.at(ref.url));
  }

 private:
  static inline const core::ObjectKey kSecret{"test", "git-credentials"};
  std::string Bare(const std::string& name) const { return absl::StrCat(repos_, "/", name); }
  std::string Git(const core::RemoteRef& ref) const {
    return absl::StrCat("git -C ", Bare(names_.at(ref.url)));
  }

  std::string repos_;
  std::string base_url_;
  git::StaticCredentials credentials_;
  std::filesystem::path cache_;
  std::unique_ptr<git::Libgit2Remote> remote_;
  std::map<std::string, std::string> names_;  // url → bare repository name
};

}  // namespace

std::string FileNamedBy(const char* variable) { return ReadFile(Env(variable)); }

std::unique_ptr<GitWorld> MakeSimWorld() { return std::make_unique<SimWorld>(); }

std::unique_ptr<GitWorld> MakeRealWorld(const std::string& transport, const WorldOptions& options) {
  if (transport == "file") {
    static const std::string repos = [] {
      std::string dir =
          (std::filesystem::temp_directory_path() / "gitdest-contract-XXXXXX").string();
      return std::string(mkdtemp(dir.data()));
    }();
    return std::make_unique<RealWorld>(repos, "file://" + repos, git::Credentials{});
  }
  if (Env("GITDEST_TEST_REPOS").empty()) return nullptr;
  git::Credentials credentials;
  if (transport == "https") {
    credentials.username = Env("GITDEST_TEST_HTTPS_USER");
    credentials.password = Env("GITDEST_TEST_HTTPS_PASSWORD");
    credentials.ca_bundle = ReadFile(Env("GITDEST_TEST_CA"));
    if (options.edit) options.edit(credentials);
    return std::make_unique<RealWorld>(
        Env("GITDEST_TEST_REPOS"),
        options.base_url.empty() ? Env("GITDEST_TEST_HTTPS_BASE") : options.base_url, credentials);
  }
  if (transport == "ssh") {
    credentials.ssh_private_key = ReadFile(Env("GITDEST_TEST_SSH_KEY"));
    credentials.known_hosts = ReadFile(Env("GITDEST_TEST_KNOWN_HOSTS"));
    if (options.edit) options.edit(credentials);
    return std::make_unique<RealWorld>(
        Env("GITDEST_TEST_REPOS"),
        options.base_url.empty() ? Env("GITDEST_TEST_SSH_BASE") : options.base_url, credentials);
  }
  return nullptr;
}

}  // namespace gitdest::testing
