// The libgit2 adapter's own cases beyond the contract: deadlines against servers that
// never answer, refused paths, author identities, large and non-ASCII files, and two
// writers racing on one branch.
#include <git2.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/git/commit_builder.h"
#include "adapters/git/git_status.h"
#include "adapters/git/libgit2_remote.h"
#include "adapters/git/pack_compaction.h"
#include "adapters/git/runtime.h"
#include "tests/git/git_world.h"

namespace gitdest::testing {
namespace {

using core::PushResult;

core::FileChange Write(const std::string& path, const std::string& content,
                       const std::string& user = "alice") {
  return core::FileChange{path,       core::ChangeOp::kUpdate, content, "[UPDATE] " + path, user,
                          {"ns", "d"}};
}

// A loopback port that accepts connections (the kernel completes them) and never says
// a word: a black-holed server. Closed with the object.
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 16);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { close(fd_); }
  int port() const { return port_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class Libgit2RemoteTest : public ::testing::Test {
 protected:
  void SetUp() override { world_ = MakeRealWorld("file"); }
  core::GitRemote& git() { return world_->remote(); }
  std::unique_ptr<GitWorld> world_;
};

void ExpectDeadlineWithin(core::GitRemote& git, const std::string& url, absl::Duration timeout) {
  const core::RemoteRef ref{{"test", "config"}, url, {}, "main"};
  const absl::Time start = absl::Now();
  absl::StatusOr<core::PullReport> report = git.ReadBranch(ref, "", timeout);
  const absl::Duration took = absl::Now() - start;
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(absl::IsDeadlineExceeded(report.status())) << report.status();
  EXPECT_GE(took, timeout);
  EXPECT_LT(took, timeout + absl::Seconds(5));  // a loaded machine is slow to wake
}

TEST_F(Libgit2RemoteTest, SilentHttpsServerFailsAtTheDeadline) {
  SilentServer server;
  ExpectDeadlineWithin(git(), absl::StrCat("https://localhost:", server.port(), "/r.git"),
                       absl::Seconds(1));
}

TEST_F(Libgit2RemoteTest, SilentHttpServerFailsAtTheDeadline) {
  SilentServer server;
  ExpectDeadlineWithin(git(), absl::StrCat("http://localhost:", server.port(), "/r.git"),
                       absl::Seconds(1));
}

TEST_F(Libgit2RemoteTest, SilentSshServerFailsAtTheDeadline) {
  SilentServer server;
  ExpectDeadlineWithin(git(), absl::StrCat("ssh://git@localhost:", server.port(), "/r.git"),
                       absl::Seconds(1));
}

TEST_F(Libgit2RemoteTest, ServerDownIsUnavailableAtOnce) {
  int port = 0;
  { port = SilentServer().port(); }  // closed: connections are refused
  const core::RemoteRef ref{
      {"test", "config"}, absl::StrCat("https://localhost:", port, "/r.git"), {}, "main"};
  const absl::Time start = absl::Now();
  absl::StatusOr<core::PullReport> report = git().ReadBranch(ref, "", absl::Seconds(20));
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(absl::IsUnavailable(report.status())) << report.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(Libgit2RemoteTest, PathsThatEscapeAreRefusedAndNothingIsWritten) {
  const core::RemoteRef ref = world_->NewRepository(true, "main");
  const std::string tip = world_->Tip(ref);
  for (const char* path :
       {"../x", "apps/../../x", "/etc/passwd", "apps//x", "apps/.git/config", "apps/.GIT/x", ""}) {
    absl::StatusOr<PushResult> result = git().Push(ref, tip, {Write(path, "x")}, absl::Seconds(20));
    ASSERT_FALSE(result.ok()) << path;
    EXPECT_TRUE(absl::IsInvalidArgument(result.status())) << result.status();
  }
  EXPECT_EQ(world_->Tip(ref), tip);
}

TEST_F(Libgit2RemoteTest, NonAsciiNamesAndATenMebibyteObjectRoundTrip) {
  const core::RemoteRef ref = world_->NewRepository(true, "main");
  std::string big(10 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + i % 26);
  absl::StatusOr<PushResult> result = git().Push(
      ref, world_->Tip(ref),
      {Write("apps/ünïcødé-名前.yaml", "k: v\n"), Write("apps/big.yaml", big)}, absl::Seconds(60));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(world_->Content(ref, "apps/ünïcødé-名前.yaml"), "k: v\n");
  EXPECT_EQ(world_->Content(ref, "apps/big.yaml"), big);
  absl::StatusOr<std::vector<std::string>> files = git().ListFiles(ref, "apps", absl::Seconds(20));
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, (std::vector<std::string>{"apps/big.yaml", "apps/ünïcødé-名前.yaml"}));
}

TEST(RedactTest, LibgitMessagesLoseTheirCredentials) {
  const std::string message = git::RedactMessage(
      "failed to connect to https://bob:s3cret@h/r.git: 401 and 'ssh://git:pw@h/r'");
  EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
  EXPECT_EQ(message.find("pw@"), std::string::npos) << message;
  EXPECT_NE(message.find("https://bob@h/r.git"), std::string::npos) << message;
}

// An HTTP status is read as a number of its own: an object id that holds "401" or "403"
// (one in about a hundred do) is no refusal of credentials, and a cache that names a lost
// object is rebuilt, not reported as bad credentials.
TEST(GitStatusTest, AnObjectIdHoldingAnHttpStatusIsNoAuthError) {
  git::EnsureLibgit2();
  const auto status_of = [](int klass, const char* message) {
    git_error_set_str(klass, message);
    return git::FromLibgit2(-1, "fetching refs/heads/main").code();
  };
  EXPECT_EQ(status_of(GIT_ERROR_ODB,
                      "object not found - no match for id "
                      "(40116defe11b7142127ef5cafb7e1ab15abfdf48)"),
            absl::StatusCode::kInternal);
  EXPECT_EQ(status_of(GIT_ERROR_ODB, "object not found - no match for id (c403aa)"),
            absl::StatusCode::kInternal);
  EXPECT_EQ(status_of(GIT_ERROR_HTTP, "unexpected http status code: 401"),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(status_of(GIT_ERROR_HTTP, "unexpected http status code: 403"),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status_of(GIT_ERROR_HTTP, "unexpected http status code: 404"),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(status_of(GIT_ERROR_HTTP, "request to 10.0.4.401x failed"),
            absl::StatusCode::kUnavailable);
}

TEST(AuthorTest, EveryUserGetsAValidDistinctEmail) {
  const git::Identity sa = git::AuthorOf("system:serviceaccount:ns:sa");
  EXPECT_EQ(sa.name, "system:serviceaccount:ns:sa");
  EXPECT_TRUE(sa.email.starts_with("system-serviceaccount-ns-sa+"));
  EXPECT_NE(git::AuthorOf("a:b").email, git::AuthorOf("a-b").email);
  EXPECT_EQ(git::AuthorOf("alice").email, "alice@users.gitdest.invalid");
  EXPECT_EQ(git::AuthorOf("").name, "unknown user");
  EXPECT_EQ(git::AuthorOf("Eve <evil@x>\n").name, "Eve evil@x");
}

TEST_F(Libgit2RemoteTest, CommitsNameTheUserAsAuthorAndGitdestAsCommitter) {
  const core::RemoteRef ref = world_->NewRepository(true, "main");
  ASSERT_TRUE(
      git()
          .Push(ref, world_->Tip(ref), {Write("a.yaml", "a", "system:admin")}, absl::Seconds(20))
          .ok());
  // What a user's `git log` shows.
  FILE* log = popen(absl::StrCat("git -C ", world_->RepositoryPath(ref),
                                 " log -1 --format='%an <%ae>|%cn|%s' main")
                        .c_str(),
                    "r");
  ASSERT_NE(log, nullptr);
  char line[512] = {};
  ASSERT_NE(fgets(line, sizeof(line), log), nullptr);
  pclose(log);
  EXPECT_EQ(std::string(line), absl::StrCat("system:admin <", git::AuthorOf("system:admin").email,
                                            ">|gitdest|[UPDATE] a.yaml\n"));
}

// Two writers (say two GitRepoConfigs) on different folders of one branch, each
// replaying its batch on the tip found after a lost race, as the core does: every
// commit of both lands.
TEST_F(Libgit2RemoteTest, TwoWritersOnOneBranchBothLand) {
  const core::RemoteRef ref = world_->NewRepository(true, "main");
  auto writer = [&](const std::string& folder) {
    std::string tip = world_->Tip(ref);
    for (int i = 0; i < 10; ++i) {
      for (int attempt = 0; attempt < 50; ++attempt) {
        absl::StatusOr<PushResult> result = git().Push(
            ref, tip, {Write(absl::StrCat(folder, "/f", i, ".yaml"), "v")}, absl::Seconds(20));
        ASSERT_TRUE(result.ok()) << result.status();
        tip = result->tip;
        if (result->outcome == PushResult::Outcome::kPushed) break;
      }
    }
  };
  std::thread a(writer, "team-a");
  std::thread b(writer, "team-b");
  a.join();
  b.join();
  EXPECT_EQ(world_->Files(ref).size(), 21u);  // README and ten files of each
}

// A TCP proxy to a loopback port that cuts the first connection whose answer exceeds
// `cut_after` bytes (a pack, not a ref listing); later connections pass untouched.
class CuttingProxy {
 public:
  CuttingProxy(int upstream_port, size_t cut_after) : upstream_(upstream_port), limit_(cut_after) {
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~CuttingProxy() {
    shutdown(listener_.fd(), SHUT_RDWR);
    accept_thread_.join();
    for (std::thread& t : pumps_) t.join();
  }
  int port() const { return listener_.port(); }
  bool cut() const { return cut_done_; }

 private:
  void AcceptLoop() {
    for (;;) {
      const int client = accept(listener_.fd(), nullptr, nullptr);
      if (client < 0) return;
      const int server = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(upstream_));
      if (connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        close(client);
        close(server);
        continue;
      }
      pumps_.emplace_back([=, this] { Pump(client, server, false); });
      pumps_.emplace_back([=, this] { Pump(server, client, true); });
    }
  }
  // Copies `from` to `to`; the answering side may be cut once, mid-stream.
  void Pump(int from, int to, bool answers) {
    char buffer[16384];
    size_t sent = 0;
    for (;;) {
      const ssize_t n = read(from, buffer, sizeof(buffer));
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
      if (answers && sent > limit_ && !cut_done_.exchange(true)) break;
      // MSG_NOSIGNAL: the other pump may have shut `to` down already (a cut, or the
      // client's goodbye after it); a plain write would kill the test with SIGPIPE.
      if (send(to, buffer, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
    }
    shutdown(to, SHUT_RDWR);
    shutdown(from, SHUT_RDWR);
  }

  SilentServer listener_;  // its socket listens; this class answers
  int upstream_;
  size_t limit_;
  std::atomic<bool> cut_done_{false};
  std::thread accept_thread_;
  std::vector<std::thread> pumps_;
};

// A fetch cut in the middle of its pack fails as Unavailable; the cache stays usable and
// the next call fetches and answers.
TEST(Libgit2CutTest, ConnectionCutMidPackLeavesTheCacheUsable) {
  std::unique_ptr<GitWorld> direct = MakeRealWorld("https");
  if (!direct) GTEST_SKIP() << "https servers are not running (tests/git/servers.sh)";
  const std::string base = std::getenv("GITDEST_TEST_HTTPS_BASE");
  const int port = std::atoi(base.substr(base.rfind(':') + 1).c_str());
  const core::RemoteRef seeded = direct->NewRepository(true, "main");
  std::string noise;
  for (int i = 0; noise.size() < (2 << 20); ++i) absl::StrAppend(&noise, i * 2654435761u, "\n");
  direct->ExternalCommit(seeded, "apps/big.txt", noise);
  CuttingProxy proxy(port, 256 << 10);
  std::unique_ptr<GitWorld> cut =
      MakeRealWorld("https", Through(absl::StrCat("https://localhost:", proxy.port())));
  core::RemoteRef ref = seeded;
  ref.url = absl::StrCat("https://localhost:", proxy.port(), ref.url.substr(base.size()));
  ref.secret = seeded.secret;
  absl::StatusOr<std::vector<std::string>> files =
      cut->remote().ListFiles(ref, "apps", absl::Seconds(20));
  ASSERT_TRUE(proxy.cut());
  ASSERT_FALSE(files.ok());
  EXPECT_TRUE(absl::IsUnavailable(files.status())) << files.status();
  files = cut->remote().ListFiles(ref, "apps", absl::Seconds(20));
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(*files, std::vector<std::string>{"apps/big.txt"});
}

// The object cache is only a cache: one whose objects no longer read back is rebuilt
// from the remote, and the call succeeds.
TEST(Libgit2CacheTest, ACorruptCacheIsRebuiltAndTheCallSucceeds) {
  std::unique_ptr<GitWorld> world = MakeRealWorld("https");
  if (!world) GTEST_SKIP() << "https servers are not running (tests/git/servers.sh)";
  auto& git = dynamic_cast<git::Libgit2Remote&>(world->remote());
  const core::RemoteRef ref = world->NewRepository(true, "main");
  absl::StatusOr<PushResult> first =
      git.Push(ref, world->Tip(ref), {Write("apps/a.yaml", "a")}, absl::Seconds(20));
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string cache = *git.cache().PathFor(ref.url);
  int truncated = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(cache + "/objects")) {
    if (entry.is_regular_file()) {
      std::filesystem::resize_file(entry.path(), 0);
      ++truncated;
    }
  }
  ASSERT_GT(truncated, 0);
  absl::StatusOr<PushResult> second =
      git.Push(ref, first->tip, {Write("apps/b.yaml", "b")}, absl::Seconds(20));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->outcome, PushResult::Outcome::kPushed);
  EXPECT_EQ(world->Files(ref), (std::vector<std::string>{"README", "apps/a.yaml", "apps/b.yaml"}));
}

// The objects a push makes reach the cache as one pack once the remote has them, not as
// a file each; and however many pushes there are, the cache keeps few packs.
TEST(Libgit2CacheTest, PushesKeepTheCacheInFewPacks) {
  std::unique_ptr<GitWorld> world = MakeRealWorld("https");
  if (!world) GTEST_SKIP() << "https servers are not running (tests/git/servers.sh)";
  auto& git = dynamic_cast<git::Libgit2Remote&>(world->remote());
  const core::RemoteRef ref = world->NewRepository(true, "main");
  std::string tip = world->Tip(ref);
  constexpr int kPushes = 2 * git::kPackCountMax;
  for (int i = 0; i < kPushes; ++i) {
    absl::StatusOr<PushResult> result =
        git.Push(ref, tip, {Write(absl::StrCat("apps/f", i, ".yaml"), "v")}, absl::Seconds(20));
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->outcome, PushResult::Outcome::kPushed);
    tip = result->tip;
  }
  size_t packs = 0, loose = 0;
  const std::string objects = *git.cache().PathFor(ref.url) + "/objects";
  for (const auto& entry : std::filesystem::recursive_directory_iterator(objects)) {
    const std::string folder = entry.path().parent_path().filename();
    if (!entry.is_regular_file() || folder == "info") continue;
    if (folder != "pack") ++loose;
    if (entry.path().extension() == ".idx") ++packs;
  }
  EXPECT_EQ(loose, 0u);
  EXPECT_GE(packs, 1u);
  EXPECT_LE(packs, git::kPackCountMax);
  EXPECT_EQ(world->Files(ref).size(), kPushes + 1u);
  // What the merged packs hold still builds the next commit.
  absl::StatusOr<PushResult> next =
      git.Push(ref, tip, {Write("apps/f0.yaml", "changed")}, absl::Seconds(20));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(world->Content(ref, "apps/f0.yaml"), "changed");
}

// Waits up to 20 s for `path` to exist; whether it does.
bool AwaitFile(const std::string& path) {
  for (int i = 0; i < 200 && !std::filesystem::exists(path); ++i)
    absl::SleepFor(absl::Milliseconds(100));
  return std::filesystem::exists(path);
}

// A push's new commit lives only in its call's memory until the remote accepts it. A
// fetch that another thread makes into the same cache meanwhile (a listing of another
// branch, whose tip the cache lacks) offers the server every commit the cache's refs name:
// it succeeds, and the cache is not thrown away and fetched again.
TEST(Libgit2CacheTest, AFetchWhileAnotherBranchIsPushedKeepsTheCache) {
  std::unique_ptr<GitWorld> world = MakeRealWorld("https");
  if (!world) GTEST_SKIP() << "https servers are not running (tests/git/servers.sh)";
  auto& git = dynamic_cast<git::Libgit2Remote&>(world->remote());
  const core::RemoteRef ref = world->NewRepository(true, "main");
  core::RemoteRef other = ref;
  other.branch = "other";
  world->ExternalCommit(other, "apps/b.yaml", "b");
  absl::StatusOr<PushResult> first =
      git.Push(ref, world->Tip(ref), {Write("apps/a.yaml", "a")}, absl::Seconds(20));
  ASSERT_TRUE(first.ok()) << first.status();
  // The server holds the next push, its pack received, until the test releases it.
  const std::string repo = world->RepositoryPath(ref);
  {
    std::ofstream hook(repo + "/hooks/pre-receive");
    hook << "#!/bin/sh\ncat >/dev/null\ntouch " << repo << "/holding\n"
         << "for i in $(seq 300); do [ -e " << repo << "/release ] && exit 0; sleep 0.1; done\n"
         << "exit 1\n";
  }
  ASSERT_EQ(chmod((repo + "/hooks/pre-receive").c_str(), 0755), 0);
  const std::string kept = *git.cache().PathFor(ref.url) + "/kept";
  std::ofstream(kept) << "a file the cache keeps unless it is discarded\n";
  absl::StatusOr<PushResult> held = absl::UnknownError("not run");
  std::thread pushing(
      [&] { held = git.Push(ref, first->tip, {Write("apps/a.yaml", "a2")}, absl::Seconds(40)); });
  const bool holding = AwaitFile(repo + "/holding");
  absl::StatusOr<std::vector<std::string>> files = git.ListFiles(other, "apps", absl::Seconds(20));
  std::ofstream(repo + "/release") << "";
  pushing.join();
  ASSERT_TRUE(holding) << "the push never reached the server's hook";
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(*files, std::vector<std::string>{"apps/b.yaml"});
  EXPECT_TRUE(std::filesystem::exists(kept)) << "the cache was discarded";
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(held->outcome, PushResult::Outcome::kPushed);
  EXPECT_EQ(world->Content(ref, "apps/a.yaml"), "a2");
}

// Whether the object cache of `git` for `url` holds the blob `content`, and its refs.
bool CacheHoldsBlob(git::Libgit2Remote& git, const std::string& url, const std::string& content) {
  git_oid id;
  git_odb_hash(&id, content.data(), content.size(), GIT_OBJECT_BLOB);
  git_repository* repo = nullptr;
  if (git_repository_open_bare(&repo, git.cache().PathFor(url)->c_str()) < 0) return false;
  git::RepositoryPtr owned(repo);
  git_odb* odb = nullptr;
  if (git_repository_odb(&odb, repo) < 0) return false;
  git::OdbPtr owned_odb(odb);
  return git_odb_exists(odb, &id) == 1;
}

std::vector<std::string> CacheRefs(git::Libgit2Remote& git, const std::string& url) {
  git_repository* repo = nullptr;
  if (git_repository_open_bare(&repo, git.cache().PathFor(url)->c_str()) < 0) return {};
  git::RepositoryPtr owned(repo);
  git_strarray names{};
  if (git_reference_list(&names, repo) < 0) return {};
  std::vector<std::string> refs(names.strings, names.strings + names.count);
  git_strarray_dispose(&names);
  return refs;
}

// Another writer moves the branch after our listing, inside the push: a pre-receive hook
// updates it before the server applies ours. The server's compare-and-swap refuses our
// update; the answer is a conflict with the other writer's tip, and nothing of ours lands.
void ExpectServerSideRaceIsAConflict(const std::string& transport) {
  std::unique_ptr<GitWorld> world = MakeRealWorld(transport);
  if (!world) GTEST_SKIP() << transport << " servers are not running (tests/git/servers.sh)";
  const core::RemoteRef ref = world->NewRepository(true, "main");
  core::RemoteRef other = ref;
  other.branch = "theirs";
  const std::string theirs = world->ExternalCommit(other, "theirs.yaml", "x");
  const std::string repo = world->RepositoryPath(ref);
  {
    std::ofstream hook(repo + "/hooks/pre-receive");
    hook << "#!/bin/sh\n[ -e " << repo << "/raced ] && exit 0\ntouch " << repo << "/raced\n"
         << "env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY "
         << "-u GIT_ALTERNATE_OBJECT_DIRECTORIES git --git-dir=" << repo
         << " update-ref refs/heads/main " << theirs << "\n";
  }
  ASSERT_EQ(chmod((repo + "/hooks/pre-receive").c_str(), 0755), 0);
  absl::StatusOr<PushResult> result =
      world->remote().Push(ref, world->Tip(ref), {Write("apps/a.yaml", "ours")}, absl::Seconds(20));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->outcome, PushResult::Outcome::kConflict);
  EXPECT_EQ(result->tip, theirs);
  EXPECT_EQ(world->Tip(ref), theirs);
  // Nor in the object cache: no object of the refused push, no ref but fetched tips.
  auto& git = dynamic_cast<git::Libgit2Remote&>(world->remote());
  EXPECT_FALSE(CacheHoldsBlob(git, ref.url, "ours"));
  for (const std::string& name : CacheRefs(git, ref.url)) {
    EXPECT_TRUE(absl::StartsWith(name, "refs/gitdest/tips/")) << name;
  }
}

TEST(Libgit2RaceTest, ServerSideRaceOverHttpsIsAConflict) {
  ExpectServerSideRaceIsAConflict("https");
}
TEST(Libgit2RaceTest, ServerSideRaceOverSshIsAConflict) { ExpectServerSideRaceIsAConflict("ssh"); }

// Refused credentials and untrusted servers fail with the code and message that say what
// to fix, and write nothing.
void ExpectRefused(const std::string& transport, const std::function<void(git::Credentials&)>& edit,
                   absl::StatusCode code, const std::string& says) {
  std::unique_ptr<GitWorld> good = MakeRealWorld(transport);
  if (!good) GTEST_SKIP() << transport << " servers are not running (tests/git/servers.sh)";
  const core::RemoteRef ref = good->NewRepository(true, "main");
  std::unique_ptr<GitWorld> bad = MakeRealWorld(transport, WithCredentials(edit));
  const std::string tip = good->Tip(ref);
  absl::StatusOr<PushResult> result =
      bad->remote().Push(ref, tip, {Write("apps/a.yaml", "a")}, absl::Seconds(20));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), code) << result.status();
  EXPECT_NE(result.status().message().find(says), std::string::npos) << result.status();
  EXPECT_EQ(good->Tip(ref), tip);
}

TEST(Libgit2AuthTest, WrongPasswordIsUnauthenticated) {
  ExpectRefused(
      "https", [](git::Credentials& c) { c.password = "wrong"; },
      absl::StatusCode::kUnauthenticated, "refused the credentials");
}

TEST(Libgit2AuthTest, MissingCaIsNotTrusted) {
  ExpectRefused(
      "https", [](git::Credentials& c) { c.ca_bundle.clear(); },
      absl::StatusCode::kPermissionDenied, "ca.crt");
}

TEST(Libgit2AuthTest, UnknownHostKeyIsRefused) {
  ExpectRefused(
      "ssh", [](git::Credentials& c) { c.known_hosts.clear(); },
      absl::StatusCode::kPermissionDenied, "known_hosts");
}

TEST(Libgit2AuthTest, HashedKnownHostsAreAccepted) {
  std::unique_ptr<GitWorld> world =
      MakeRealWorld("ssh", WithCredentials([](git::Credentials& c) {
                      c.known_hosts = FileNamedBy("GITDEST_TEST_KNOWN_HOSTS_HASHED");
                    }));
  if (!world) GTEST_SKIP() << "ssh servers are not running (tests/git/servers.sh)";
  const core::RemoteRef ref = world->NewRepository(true, "main");
  absl::StatusOr<core::PullReport> report = world->remote().ReadBranch(ref, "", absl::Seconds(20));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->head.sha, world->Tip(ref));
}

TEST(Libgit2AuthTest, WrongKeyIsUnauthenticated) {
  std::unique_ptr<GitWorld> probe = MakeRealWorld("ssh");
  if (!probe || std::getenv("GITDEST_TEST_SSH_STRANGER_KEY") == nullptr) {
    GTEST_SKIP() << "ssh servers are not running (tests/git/servers.sh)";
  }
  ExpectRefused(
      "ssh",
      [](git::Credentials& c) { c.ssh_private_key = FileNamedBy("GITDEST_TEST_SSH_STRANGER_KEY"); },
      absl::StatusCode::kUnauthenticated, "check its username and password, or its ssh-privatekey");
}

// The test server authorizes the RSA key too, yet refuses its SHA-1 signature (OpenSSH's
// defaults since 8.8): what an operator with an RSA key meets, told what to do instead.
TEST(Libgit2AuthTest, AnRsaKeyIsRefusedWithTheKeyTypeToUseInstead) {
  ExpectRefused(
      "ssh",
      [](git::Credentials& c) { c.ssh_private_key = FileNamedBy("GITDEST_TEST_SSH_RSA_KEY"); },
      absl::StatusCode::kUnauthenticated, "use an ed25519 or ECDSA key");
}

}  // namespace
}  // namespace gitdest::testing
