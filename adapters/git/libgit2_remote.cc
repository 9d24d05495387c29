#include "adapters/git/libgit2_remote.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/git/deadline_stream.h"
#include "adapters/git/git_status.h"
#include "adapters/git/object_buffer.h"
#include "adapters/git/runtime.h"
#include "adapters/git/session.h"
#include "adapters/git/status_macros.h"

namespace gitdest::git {
namespace {

std::string Hex(const git_oid& oid) {
  char out[GIT_OID_HEXSZ + 1];
  git_oid_tostr(out, sizeof(out), &oid);
  return out;
}

std::string BranchRef(const std::string& branch) { return "refs/heads/" + branch; }

// What a ref listing tells of one branch.
struct Advertisement {
  bool empty_repository = true;  // the remote has no ref at all
  std::optional<git_oid> tip;    // of the branch asked about
  std::string default_branch;    // HEAD's target ("refs/heads/main"), "" if none
  std::optional<git_oid> default_tip;
};

// One call's state: its session (credentials, refusals), its handle of the cache, and
// the deadline of every connection it opens.
struct Operation {
  Operation(const core::RemoteRef& remote, Credentials credentials, absl::Time deadline,
            ObjectCache& object_cache)
      : session(remote, std::move(credentials)), deadline_scope(deadline), cache(object_cache) {}
  Session session;
  ScopedNetworkDeadline deadline_scope;
  ObjectCache& cache;
  RepositoryPtr repo;
  const std::string& url() const { return session.remote().url; }
  const std::string& branch() const { return session.remote().branch; }
};

// An anonymous remote for the configured URL exactly: no `url.*.insteadOf` of the
// process's Git configuration rewrites it (reading those also leaks in libgit2 1.5's
// PCRE2 matcher, on every connection).
absl::StatusOr<RemotePtr> NewRemote(Operation& op) {
  git_remote_create_options opts = GIT_REMOTE_CREATE_OPTIONS_INIT;
  opts.repository = op.repo.get();
  opts.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
  git_remote* remote = nullptr;
  if (int rc = git_remote_create_with_opts(&remote, op.url().c_str(), &opts); rc < 0) {
    return FromLibgit2(rc, absl::StrCat("the repository URL ", op.url()));
  }
  return RemotePtr(remote);
}

absl::StatusOr<RemotePtr> Connect(Operation& op, git_direction direction) {
  ASSIGN_OR_RETURN(RemotePtr owned, NewRemote(op));
  git_remote* remote = owned.get();
  git_remote_callbacks callbacks = op.session.Callbacks();
  if (int rc = git_remote_connect(remote, direction, &callbacks, nullptr, nullptr); rc < 0) {
    return op.session.Failed(rc, absl::StrCat("connecting to ", op.url()));
  }
  return owned;
}

absl::StatusOr<Advertisement> ListRefs(Operation& op, git_remote* remote) {
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  if (int rc = git_remote_ls(&heads, &count, remote); rc < 0) {
    return op.session.Failed(rc, absl::StrCat("listing the branches of ", op.url()));
  }
  Advertisement ad;
  std::map<std::string, git_oid> refs;
  for (size_t i = 0; i < count; ++i) {
    if (git_oid_is_zero(&heads[i]->oid)) continue;  // an empty repository's capabilities
    refs[heads[i]->name] = heads[i]->oid;
    if (heads[i]->symref_target != nullptr && std::string_view(heads[i]->name) == "HEAD") {
      ad.default_branch = heads[i]->symref_target;
    }
  }
  ad.empty_repository = refs.empty();
  // Without a symref (the local transport sends none) HEAD itself names the commit.
  if (ad.default_branch.empty() && refs.count("HEAD") > 0) ad.default_branch = "HEAD";
  auto find = [&refs](const std::string& name) -> std::optional<git_oid> {
    auto it = refs.find(name);
    return it == refs.end() ? std::nullopt : std::optional(it->second);
  };
  ad.tip = find(BranchRef(op.branch()));
  if (!ad.default_branch.empty()) ad.default_tip = find(ad.default_branch);
  return ad;
}

absl::StatusOr<Advertisement> ReadRefs(Operation& op) {
  absl::StatusOr<RemotePtr> remote = Connect(op, GIT_DIRECTION_FETCH);
  if (!remote.ok()) return remote.status();
  return ListRefs(op, remote->get());
}

// Whether `op` builds commits in an object cache of gitdest's own, rather than in the
// user's repository itself (file://; see OpenCache).
bool InCache(const Operation& op) { return !op.url().starts_with("file://"); }

// Keeps the cache's packs few (pack_compaction.h). Never in a user's repository: a
// merge removes packs, and other git processes may be reading them.
void CompactCache(Operation& op) {
  if (InCache(op)) op.cache.Compact(op.url(), op.repo.get()).IgnoreError();
}

// Fetches `ref` ("refs/heads/x", or "HEAD") into its tracking ref in the cache.
absl::Status Fetch(Operation& op, const std::string& ref) {
  ASSIGN_OR_RETURN(RemotePtr owned, NewRemote(op));
  git_remote* remote = owned.get();
  std::string refspec = absl::StrCat("+", ref, ":", ObjectCache::TrackingRef(ref));
  char* specs[] = {refspec.data()};
  git_strarray refspecs{specs, 1};
  git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
  opts.callbacks = op.session.Callbacks();
  opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  opts.update_fetchhead = 0;
  {
    std::lock_guard lock(op.cache.FetchLock(op.url()));
    if (int rc = git_remote_fetch(remote, &refspecs, &opts, nullptr); rc < 0) {
      return op.session.Failed(rc, absl::StrCat("fetching ", ref, " of ", op.url()));
    }
  }
  CompactCache(op);  // a fetch adds a pack
  return absl::OkStatus();
}

bool Has(git_repository* repo, const git_oid& oid) {
  git_odb* odb = nullptr;
  if (git_repository_odb(&odb, repo) < 0) return false;
  OdbPtr owned(odb);
  return git_odb_exists(odb, &oid) == 1;
}

// Whether `tip` no longer descends from `known`. `branch_fetched`: the cache holds the
// branch's whole history, so a `known` it lacks is not in it.
core::Tristate Rewritten(git_repository* repo, const git_oid& tip, const std::string& known,
                         bool branch_fetched) {
  git_oid known_oid;
  if (known.empty() || git_oid_fromstr(&known_oid, known.c_str()) < 0) return core::Tristate::kNo;
  if (git_oid_equal(&tip, &known_oid)) return core::Tristate::kNo;
  if (!Has(repo, tip)) return core::Tristate::kUnknown;
  if (!Has(repo, known_oid))
    return branch_fetched ? core::Tristate::kYes : core::Tristate::kUnknown;
  return git_graph_descendant_of(repo, &tip, &known_oid) == 1 ? core::Tristate::kNo
                                                              : core::Tristate::kYes;
}

core::PushResult Conflict(Operation& op, const std::optional<git_oid>& found,
                          const std::string& expected) {
  core::PushResult result{core::PushResult::Outcome::kConflict, "", core::Tristate::kYes};
  if (found) {
    result.tip = Hex(*found);
    result.history_rewritten = Rewritten(op.repo.get(), *found, expected, false);
  }
  return result;
}

// The commit the batch starts from: the expected tip, else (a new branch) the remote's
// default branch, else none (a root commit in an empty repository).
absl::StatusOr<std::optional<git_oid>> BaseOf(Operation& op, const std::string& expected,
                                              const Advertisement& pushing_to) {
  std::optional<git_oid> base;
  std::string ref;
  if (!expected.empty()) {
    base.emplace();
    git_oid_fromstr(&*base, expected.c_str());
    ref = BranchRef(op.branch());
  } else if (!pushing_to.empty_repository) {
    // A push listing does not name HEAD: ask as a fetch does.
    ASSIGN_OR_RETURN(const Advertisement ad, ReadRefs(op));
    base = ad.default_tip;
    ref = ad.default_branch;
  }
  if (base && !Has(op.repo.get(), *base)) {
    if (absl::Status s = Fetch(op, ref); !s.ok()) return s;
    if (!Has(op.repo.get(), *base)) {
      return absl::UnavailableError(
          absl::StrCat(ref, " of ", op.url(), " moved while it was fetched; retry"));
    }
  }
  return base;
}

struct PushOutcome {
  std::string rejection;  // the server's reason, "" when the update was accepted
};

int OnPushUpdate(const char* /*ref*/, const char* status, void* payload) {
  if (status != nullptr) static_cast<PushOutcome*>(payload)->rejection = status;
  return 0;
}

std::atomic<uint64_t> push_serial{0};

// libgit2 pushes refs, not commits: a ref of this call's own names the new tip. Its
// commit lives only in this call's memory (ObjectBuffer) until the remote accepts it, and
// a fetch into the same cache on another thread offers every ref under refs/ to the
// server and fails on one whose commit it cannot read. So the ref is a root one, as
// FETCH_HEAD is, which no listing of refs/ shows; a root ref's name is capitals and
// underscores only, so the serial is spelled in letters.
std::string PushSourceRef(uint64_t serial) {
  std::string letters;
  do {
    letters.insert(letters.begin(), static_cast<char>('A' + serial % 26));
    serial /= 26;
  } while (serial > 0);
  return absl::StrCat("GITDEST_PUSH_", letters);
}

// The repository where commits are built for `url`: its object cache, or for a file://
// repository the repository itself (objects written in place, as git does locally; the
// branch then moves by compare-and-swap, see PushLocal).
absl::StatusOr<RepositoryPtr> OpenCache(ObjectCache& cache, const std::string& url) {
  if (!url.starts_with("file://")) return cache.Open(url);
  git_repository* repo = nullptr;
  if (int rc = git_repository_open_bare(&repo, url.substr(sizeof("file://") - 1).c_str()); rc < 0) {
    return FromLibgit2(rc, absl::StrCat("opening ", url));
  }
  return RepositoryPtr(repo);
}

struct TreeListing {
  std::string prefix;  // the folder and "/"
  std::vector<std::string> paths;
};

int OnTreeEntry(const char* root, const git_tree_entry* entry, void* payload) {
  auto* listing = static_cast<TreeListing*>(payload);
  if (git_tree_entry_type(entry) == GIT_OBJECT_BLOB) {
    listing->paths.push_back(absl::StrCat(listing->prefix, root, git_tree_entry_name(entry)));
  }
  return 0;
}

// Every file path under `folder` in `commit`'s tree, sorted.
absl::StatusOr<std::vector<std::string>> ListTree(git_repository* repo, const git_oid& commit,
                                                  const std::string& folder) {
  git_commit* c = nullptr;
  if (int rc = git_commit_lookup(&c, repo, &commit); rc < 0) {
    return FromLibgit2(rc, "reading the branch's tip");
  }
  CommitPtr owned_commit(c);
  git_tree* root = nullptr;
  if (int rc = git_commit_tree(&root, c); rc < 0) return FromLibgit2(rc, "reading its tree");
  TreePtr owned_root(root);
  TreeListing listing{folder + "/", {}};
  git_tree_entry* found = nullptr;
  if (git_tree_entry_bypath(&found, root, folder.c_str()) < 0) return listing.paths;
  TreeEntryPtr entry(found);
  if (git_tree_entry_type(found) != GIT_OBJECT_TREE) return listing.paths;
  git_tree* sub = nullptr;
  if (int rc = git_tree_lookup(&sub, repo, git_tree_entry_id(found)); rc < 0) {
    return FromLibgit2(rc, absl::StrCat("reading ", folder));
  }
  TreePtr owned_sub(sub);
  if (int rc = git_tree_walk(sub, GIT_TREEWALK_PRE, OnTreeEntry, &listing); rc < 0) {
    return FromLibgit2(rc, absl::StrCat("listing ", folder));
  }
  std::sort(listing.paths.begin(), listing.paths.end());
  return listing.paths;
}

// file://: libgit2's local transport moves a pushed ref without comparing it. The commits
// were built in the repository itself; the branch moves here, atomically, only if it is
// still at `expected`.
absl::StatusOr<bool> PushLocal(Operation& op, const git_oid& last, const std::string& expected) {
  git_reference* moved = nullptr;
  int rc = 0;
  if (expected.empty()) {
    rc = git_reference_create(&moved, op.repo.get(), BranchRef(op.branch()).c_str(), &last, 0,
                              nullptr);
  } else {
    git_oid current;
    git_oid_fromstr(&current, expected.c_str());
    rc = git_reference_create_matching(&moved, op.repo.get(), BranchRef(op.branch()).c_str(), &last,
                                       1, &current, nullptr);
  }
  git_reference_free(moved);
  // Locked: another writer is moving it right now.
  if (rc == GIT_EEXISTS || rc == GIT_EMODIFIED || rc == GIT_ELOCKED) return false;
  if (rc < 0) return FromLibgit2(rc, absl::StrCat("moving ", op.branch(), " of ", op.url()));
  return true;
}

// Sends the commits up to `last` and moves the branch from `expected` to it, never
// forcing: false when another writer moved it first (the server compares the ref with
// the value listed, in the push negotiation).
absl::StatusOr<bool> Upload(Operation& op, git_remote* connection, const git_oid& last,
                            const std::string& expected) {
  if (!InCache(op)) return PushLocal(op, last, expected);
  const std::string source = PushSourceRef(push_serial.fetch_add(1));
  git_reference* ref = nullptr;
  if (int rc = git_reference_create(&ref, op.repo.get(), source.c_str(), &last, 1, nullptr);
      rc < 0) {
    return FromLibgit2(rc, "recording the commits to push");
  }
  ReferencePtr owned_ref(ref);
  std::string refspec = absl::StrCat(source, ":", BranchRef(op.branch()));
  char* specs[] = {refspec.data()};
  git_strarray refspecs{specs, 1};
  PushOutcome outcome;
  git_push_options opts = GIT_PUSH_OPTIONS_INIT;
  opts.callbacks = op.session.Callbacks();
  opts.callbacks.push_update_reference = OnPushUpdate;
  opts.callbacks.payload = &outcome;
  const int rc = git_remote_upload(connection, &refspecs, &opts);
  git_reference_delete(ref);
  if (rc == GIT_ENONFASTFORWARD || (rc >= 0 && !outcome.rejection.empty())) return false;
  if (rc < 0) return op.session.Failed(rc, absl::StrCat("pushing to ", op.url()));
  return true;
}

// The cache keeps what was pushed, so that the next batch builds on it without a fetch:
// the new objects as one pack, the branch's tracking ref at the new tip. The push has
// succeeded by now, so a failure here fails nothing: the next push fetches what it lacks.
void RememberPushed(Operation& op, ObjectBuffer& buffer, const git_oid& last) {
  if (!buffer.Flush().ok()) return;
  git_reference* tracking = nullptr;
  git_reference_create(&tracking, op.repo.get(),
                       ObjectCache::TrackingRef(BranchRef(op.branch())).c_str(), &last, 1, nullptr);
  git_reference_free(tracking);
  CompactCache(op);  // the new objects are one more pack
}

}  // namespace

Libgit2Remote::Libgit2Remote(Libgit2RemoteOptions options, CredentialSource& credentials)
    : options_(std::move(options)), credentials_(credentials), cache_(options_.cache_dir) {
  EnsureLibgit2();
}

absl::Time Libgit2Remote::Now() const {
  return options_.clock != nullptr ? options_.clock->Now() : absl::Now();
}

// The cache is only a cache: when something in it does not read back (an error that is
// not the remote's, the credentials' or the deadline's), it is discarded and the call
// made once more, from the remote, within the same deadline.
template <class Attempt>
auto Libgit2Remote::Repairing(const core::RemoteRef& remote, Attempt attempt) {
  auto result = attempt();
  if (result.ok() || !absl::IsInternal(result.status()) || remote.url.starts_with("file://")) {
    return result;
  }
  cache_.Discard(remote.url);
  return attempt();
}

absl::StatusOr<core::PullReport> Libgit2Remote::ReadBranch(const core::RemoteRef& remote,
                                                           const std::string& known_tip,
                                                           absl::Duration timeout) {
  const absl::Time deadline = Now() + timeout;
  return Repairing(remote, [&] { return ReadBranchOnce(remote, known_tip, deadline); });
}

absl::StatusOr<core::PushResult> Libgit2Remote::Push(const core::RemoteRef& remote,
                                                     const std::string& expected_tip,
                                                     const std::vector<core::FileChange>& changes,
                                                     absl::Duration timeout) {
  const absl::Time deadline = Now() + timeout;
  return Repairing(remote, [&] { return PushOnce(remote, expected_tip, changes, deadline); });
}

absl::StatusOr<std::vector<std::string>> Libgit2Remote::ListFiles(const core::RemoteRef& remote,
                                                                  const std::string& folder,
                                                                  absl::Duration timeout) {
  const absl::Time deadline = Now() + timeout;
  return Repairing(remote, [&] { return ListFilesOnce(remote, folder, deadline); });
}

absl::StatusOr<core::PullReport> Libgit2Remote::ReadBranchOnce(const core::RemoteRef& remote,
                                                               const std::string& known_tip,
                                                               absl::Time deadline) {
  ASSIGN_OR_RETURN(Credentials credentials, credentials_.Get(remote.secret));
  Operation op(remote, std::move(credentials), deadline, cache_);
  ASSIGN_OR_RETURN(op.repo, OpenCache(cache_, remote.url));
  ASSIGN_OR_RETURN(const Advertisement ad, ReadRefs(op));
  core::PullReport report;
  report.head.short_name = remote.branch;
  report.head.unborn = ad.empty_repository;
  report.exists_on_remote = ad.tip.has_value();
  if (!ad.tip) return report;
  report.head.sha = Hex(*ad.tip);
  report.history_rewritten = Rewritten(op.repo.get(), *ad.tip, known_tip, false);
  if (report.history_rewritten == core::Tristate::kUnknown) {
    // The tip moved to a commit the cache lacks: fetch just this branch to tell. If that
    // fails, the listing still stands and ancestry stays unknown.
    const bool fetched = Fetch(op, BranchRef(remote.branch)).ok();
    report.history_rewritten = Rewritten(op.repo.get(), *ad.tip, known_tip, fetched);
  }
  return report;
}

absl::StatusOr<core::PushResult> Libgit2Remote::PushOnce(
    const core::RemoteRef& remote, const std::string& expected_tip,
    const std::vector<core::FileChange>& changes, absl::Time deadline) {
  ASSIGN_OR_RETURN(Credentials credentials, credentials_.Get(remote.secret));
  Operation op(remote, std::move(credentials), deadline, cache_);
  ASSIGN_OR_RETURN(op.repo, OpenCache(cache_, remote.url));
  ASSIGN_OR_RETURN(RemotePtr connection, Connect(op, GIT_DIRECTION_PUSH));
  ASSIGN_OR_RETURN(const Advertisement ad, ListRefs(op, connection.get()));
  if ((ad.tip ? Hex(*ad.tip) : "") != expected_tip) return Conflict(op, ad.tip, expected_tip);
  ASSIGN_OR_RETURN(const std::optional<git_oid> base, BaseOf(op, expected_tip, ad));
  // In a cache the new objects wait in memory until the remote has them. A file://
  // repository is the user's own: objects are written there as git writes them.
  std::optional<ObjectBuffer> buffer;
  if (InCache(op)) {
    ASSIGN_OR_RETURN(buffer, ObjectBuffer::Attach(op.repo.get()));
  }
  ASSIGN_OR_RETURN(const std::optional<git_oid> last,
                   CommitChanges(op.repo.get(), base, changes, options_.committer, Now()));
  // No change changed a byte: nothing to push, unless the branch is new and has a base
  // (the default branch), where creating it is the change.
  if (!last || (base && git_oid_equal(&*last, &*base) && !expected_tip.empty())) {
    return core::PushResult{core::PushResult::Outcome::kPushed, expected_tip, core::Tristate::kNo};
  }
  ASSIGN_OR_RETURN(const bool accepted, Upload(op, connection.get(), *last, expected_tip));
  if (!accepted) {
    // Another writer moved the branch after it was listed: the update was refused.
    connection.reset();
    ASSIGN_OR_RETURN(const Advertisement now, ReadRefs(op));
    return Conflict(op, now.tip, expected_tip);
  }
  if (buffer) RememberPushed(op, *buffer, *last);
  return core::PushResult{core::PushResult::Outcome::kPushed, Hex(*last), core::Tristate::kNo};
}

absl::StatusOr<std::vector<std::string>> Libgit2Remote::ListFilesOnce(const core::RemoteRef& remote,
                                                                      const std::string& folder,
                                                                      absl::Time deadline) {
  ASSIGN_OR_RETURN(Credentials credentials, credentials_.Get(remote.secret));
  Operation op(remote, std::move(credentials), deadline, cache_);
  ASSIGN_OR_RETURN(op.repo, OpenCache(cache_, remote.url));
  ASSIGN_OR_RETURN(const Advertisement ad, ReadRefs(op));
  std::vector<std::string> paths;
  if (!ad.tip) return paths;
  if (!Has(op.repo.get(), *ad.tip)) {
    if (absl::Status s = Fetch(op, BranchRef(remote.branch)); !s.ok()) return s;
  }
  return ListTree(op.repo.get(), *ad.tip, folder);
}

}  // namespace gitdest::git
