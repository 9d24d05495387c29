// gitdest-git: check a repository and its credentials without a cluster, through the
// same adapter the controller uses. See Usage() below; docs/git.md has examples.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "adapters/git/credentials.h"
#include "adapters/git/libgit2_remote.h"
#include "core/naming/repo_url.h"

namespace gitdest::git {
namespace {

enum Exit : int {
  kOk = 0,
  kConflict = 3,     // the branch was not at --expect-tip (the tip found is printed)
  kAuth = 4,         // credentials refused, or the server's identity not trusted
  kUnreachable = 5,  // network, TLS, server trouble, or past the timeout
  kNotFound = 6,     // no such repository
  kInternal = 70,
  kBadUsage = 64,  // bad command line or input
};

constexpr char kUsage[] = R"(usage: gitdest-git COMMAND ARGS [OPTIONS]

  ls-remote URL BRANCH                 what a metadata read sees: exists, tip, unborn
  write URL BRANCH PATH FILE|-         one commit of FILE's bytes at PATH, pushed with
                                       compare-and-swap; prints the new tip
  write URL BRANCH PATH --delete       one commit deleting PATH
  ls-files URL BRANCH FOLDER           every file under FOLDER at the branch's tip

options:
  --secret-dir=DIR     the Secret's keys as files, as a mounted Secret shows them:
                       username, password, ssh-privatekey, ssh-password, known_hosts,
                       ca.crt (none: anonymous)
  --cache-dir=DIR      the object cache (default: $XDG_CACHE_HOME/gitdest or
                       ~/.cache/gitdest)
  --timeout=DURATION   deadline of the whole operation (default 20s; 2m for write)
  --expect-tip=SHA     write only if the branch is at SHA ("none": only if it is absent);
                       default: the tip read just before
  --author=USER        the Kubernetes user named as author (default: $USER)
  --message=TEXT       the commit message (default: "[UPDATE] PATH")

exit codes: 0 ok, 3 conflict (the tip found is printed), 4 credentials refused or
            server not trusted, 5 unreachable or past the timeout, 6 repository not
            found, 64 bad usage or input, 70 internal error
)";

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  bool Has(const std::string& name) const { return options.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  }
};

std::optional<Args> Parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!absl::StartsWith(arg, "--")) {
      args.positional.push_back(arg);
      continue;
    }
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (eq != std::string::npos) {
      args.options[name] = arg.substr(eq + 1);
    } else if (name == "delete" || name == "help") {
      args.options[name] = "";
    } else if (i + 1 < argc) {
      args.options[name] = argv[++i];
    } else {
      return std::nullopt;
    }
  }
  return args;
}

int Fail(const absl::Status& status) {
  std::cerr << "gitdest-git: " << status.message() << "\n";
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return kAuth;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kUnreachable;
    case absl::StatusCode::kNotFound:
      return kNotFound;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
      return kBadUsage;
    default:
      return kInternal;
  }
}

std::string DefaultCacheDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return absl::StrCat(xdg, "/gitdest");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return absl::StrCat(home, "/.cache/gitdest");
  }
  return "/tmp/gitdest-cache";
}

absl::StatusOr<std::string> ReadInput(const std::string& file) {
  std::ostringstream bytes;
  if (file == "-") {
    bytes << std::cin.rdbuf();
    return bytes.str();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", file));
  bytes << in.rdbuf();
  return bytes.str();
}

int LsRemote(Libgit2Remote& git, const core::RemoteRef& ref, absl::Duration timeout) {
  absl::StatusOr<core::PullReport> report = git.ReadBranch(ref, "", timeout);
  if (!report.ok()) return Fail(report.status());
  std::cout << "branch: " << ref.branch << "\nexists: " << (report->exists_on_remote ? "yes" : "no")
            << "\ntip: " << (report->head.sha.empty() ? "-" : report->head.sha)
            << "\nunborn: " << (report->head.unborn ? "yes" : "no") << "\n";
  return kOk;
}

int LsFiles(Libgit2Remote& git, const core::RemoteRef& ref, const std::string& folder,
            absl::Duration timeout) {
  absl::StatusOr<std::vector<std::string>> files = git.ListFiles(ref, folder, timeout);
  if (!files.ok()) return Fail(files.status());
  for (const std::string& path : *files) std::cout << path << "\n";
  return kOk;
}

int Write(Libgit2Remote& git, const core::RemoteRef& ref, const Args& args,
          absl::Duration timeout) {
  if (args.positional.size() != (args.Has("delete") ? 4u : 5u))
    return Fail(absl::InvalidArgumentError(kUsage));
  core::FileChange change;
  change.path = args.positional[3];
  change.op = args.Has("delete") ? core::ChangeOp::kDelete : core::ChangeOp::kUpdate;
  if (!args.Has("delete")) {
    absl::StatusOr<std::string> content = ReadInput(args.positional[4]);
    if (!content.ok()) return Fail(content.status());
    change.content = *std::move(content);
  }
  const char* user = std::getenv("USER");
  change.author = args.Get("author", user != nullptr ? user : "");
  change.message = args.Get(
      "message", absl::StrCat(args.Has("delete") ? "[DELETE] " : "[UPDATE] ", change.path));
  std::string expected = args.Get("expect-tip");
  if (!args.Has("expect-tip")) {
    absl::StatusOr<core::PullReport> report = git.ReadBranch(ref, "", timeout);
    if (!report.ok()) return Fail(report.status());
    expected = report->head.sha;
  } else if (expected == "none") {
    expected.clear();
  }
  absl::StatusOr<core::PushResult> result = git.Push(ref, expected, {change}, timeout);
  if (!result.ok()) return Fail(result.status());
  if (result->outcome == core::PushResult::Outcome::kConflict) {
    std::cout << (result->tip.empty() ? "-" : result->tip) << "\n";
    std::cerr << "gitdest-git: conflict: the branch is at "
              << (result->tip.empty() ? "nothing (absent)" : result->tip) << ", not at "
              << (expected.empty() ? "nothing (absent)" : expected) << "\n";
    return kConflict;
  }
  std::cout << (result->tip.empty() ? "-" : result->tip) << "\n";
  return kOk;
}

int Main(int argc, char** argv) {
  std::optional<Args> args = Parse(argc, argv);
  if (!args || args->Has("help") || args->positional.empty()) {
    (args && args->Has("help") ? std::cout : std::cerr) << kUsage;
    return args && args->Has("help") ? kOk : kBadUsage;
  }
  const std::string& command = args->positional[0];
  const size_t wanted = command == "ls-remote" ? 3 : 4;
  if ((command != "ls-remote" && command != "write" && command != "ls-files") ||
      args->positional.size() < wanted) {
    std::cerr << kUsage;
    return kBadUsage;
  }
  core::RemoteRef ref;
  ref.url = args->positional[1];
  ref.branch = args->positional[2];
  if (absl::Status valid = core::ValidateRepoUrl(ref.url); !valid.ok()) return Fail(valid);
  absl::Duration timeout = command == "write" ? absl::Minutes(2) : absl::Seconds(20);
  if (args->Has("timeout") && !absl::ParseDuration(args->Get("timeout"), &timeout)) {
    return Fail(absl::InvalidArgumentError("--timeout: not a duration (e.g. 20s, 2m)"));
  }
  std::unique_ptr<CredentialSource> credentials;
  if (args->Has("secret-dir")) {
    ref.secret = core::ObjectKey{"", "secret-dir"};
    credentials = std::make_unique<DirectoryCredentials>(args->Get("secret-dir"));
  } else {
    credentials = std::make_unique<StaticCredentials>();
  }
  Libgit2Remote git(Libgit2RemoteOptions{args->Get("cache-dir", DefaultCacheDir())}, *credentials);
  if (command == "ls-remote") return LsRemote(git, ref, timeout);
  if (command == "ls-files") return LsFiles(git, ref, args->positional[3], timeout);
  return Write(git, ref, *args, timeout);
}

}  // namespace
}  // namespace gitdest::git

int main(int argc, char** argv) { return gitdest::git::Main(argc, argv); }
