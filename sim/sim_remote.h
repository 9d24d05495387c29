// A simulated remote Git server: repositories with branches, a commit graph and file
// trees, compare-and-swap pushes, external writers, and injectable faults. It
// implements the core's GitRemote port, so the core cannot tell it from libgit2.
//
// Cheap enough for a simulated day of a large fleet: a commit stores only its parent
// and its one change (plus what that change replaced, so a branch can step back), and
// each branch keeps one current tree that moves with its tip. Commit ids are
// content-addressed like Git's, from a tree hash maintained in O(1) per change.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/ports.h"
#include "core/stable_hash.h"

namespace gitdest::sim {

using Tree = std::map<std::string, std::string>;  // path → content

// A deterministic 128-bit hash (core::StableHasher): the same in every process and on
// every platform. Not cryptographic: it guards against accidents, not adversaries.
using core::Digest;
Digest HashBytes(absl::string_view bytes);

// File content, hashed once and shared by the trees and commits that hold it.
struct Blob {
  std::string bytes;
  Digest hash;
};
using BlobPtr = std::shared_ptr<const Blob>;

class SimRemote : public core::GitRemote {
 public:
  // The branch a repository's HEAD names: pushes that create a branch start from it.
  static constexpr char kDefaultBranch[] = "main";

  // ---- the world, as tests and external writers see it -----------------------------
  // A repository must exist before it can be read or pushed; it starts empty.
  void CreateRepository(const std::string& url);
  // The branch tip ("" if absent) and its tree.
  std::string Tip(const std::string& url, const std::string& branch) const;
  Tree TreeAt(const std::string& url, const std::string& branch) const;
  // Every branch of a repository with its tip, in name order.
  std::map<std::string, std::string> Branches(const std::string& url) const;
  // Calls f(branch, tip) for every branch of a repository, in no particular order: for
  // callers whose result does not depend on it (no copies, unlike Branches).
  template <class F>
  void ForEachBranch(const std::string& url, F&& f) const {
    if (const Repository* repo = Find(url)) {
      for (const auto& [name, branch] : repo->branches) f(name, branch.tip_sha);
    }
  }
  // Another writer commits `path` = `content` on the branch (creating it if absent).
  // Unlike a push, it commits even when the content is already there.
  std::string ExternalCommit(const std::string& url, const std::string& branch,
                             const std::string& path, const std::string& content);
  void DeleteBranch(const std::string& url, const std::string& branch);
  // Someone force-pushes the branch back to the parent of its tip: the newest commit is
  // gone from its history.
  void ForceMoveBack(const std::string& url, const std::string& branch);
  // Whether `ancestor` is `descendant` or one of its ancestors.
  bool IsAncestor(const std::string& ancestor, const std::string& descendant) const;

  // Faults: the next N calls of a kind fail with `error` (FIFO); reads may be limited
  // to one branch.
  void FailNextReads(int count, absl::Status error, const std::string& branch = "");
  void FailNextPushes(int count, absl::Status error);
  // The next N answers that must say whether a moved branch still contains a tip (a read
  // with a known tip, a conflicting push) say kUnknown instead: a real adapter does not
  // hold the new tip's history until it fetches, and may answer before it does.
  void AnswerAncestryUnknown(int count) { ancestry_unknown_ += count; }
  void ClearFaults() {
    read_faults_.clear();
    push_faults_.clear();
    ancestry_unknown_ = 0;
  }
  int64_t reads() const { return reads_; }
  int64_t pushes() const { return pushes_; }
  // Commits made by pushes and external writers (a commit reached twice counts twice).
  int64_t commits() const { return commits_made_; }
  // Counts the changes of branch tips (moved, created, deleted): a reader that saw the same count
  // before has nothing new to see.
  uint64_t tip_changes() const { return tip_changes_; }

  // ---- core::GitRemote ------------------------------------------------------------
  absl::StatusOr<core::PullReport> ReadBranch(const core::RemoteRef& remote,
                                              const std::string& known_tip,
                                              absl::Duration timeout) override;
  absl::StatusOr<core::PushResult> Push(const core::RemoteRef& remote,
                                        const std::string& expected_tip,
                                        const std::vector<core::FileChange>& changes,
                                        absl::Duration timeout) override;
  absl::StatusOr<std::vector<std::string>> ListFiles(const core::RemoteRef& remote,
                                                     const std::string& folder,
                                                     absl::Duration timeout) override;

 private:
  static constexpr uint32_t kNoCommit = UINT32_MAX;  // a root's parent; an unborn tip

  // One change on top of `parent`. `previous` is what `path` held in the parent's
  // tree (null: absent), so moving a branch back from this commit is O(1).
  struct Commit {
    Digest id;
    uint32_t parent;  // position in commits_, or kNoCommit for a root commit
    int64_t depth;    // 1 for a root commit: bounds ancestry walks
    std::string path;
    BlobPtr content;  // null: the change deletes `path`
    BlobPtr previous;
    Digest tree_hash;  // of the tree at this commit: lets a move back check itself
  };
  // A branch's tip and the tree at that tip, with its order-independent hash. A branch
  // exists while it has a commit.
  struct Branch {
    uint32_t tip = kNoCommit;  // position in commits_
    std::string tip_sha;       // its id as text: asked for far more often than it moves
    // Unordered for speed; TreeAt sorts what it returns.
    absl::flat_hash_map<std::string, BlobPtr> files;
    Digest tree_hash{};  // Σ EntryHash(path, content) over files, lane by lane, mod 2^64
  };
  struct Repository {
    absl::flat_hash_map<std::string, Branch> branches;  // by name; Branches() sorts
  };
  Repository* Find(const std::string& url);
  const Repository* Find(const std::string& url) const;
  // Sets `path` to `content` (null: deletes it) in the branch's tree and commits that
  // on the branch's tip; the branch's tip becomes the new commit.
  void CommitChange(Branch& branch, const std::string& path, BlobPtr content,
                    const std::string& message, const std::string& author);
  // Sets `path` to `content` (null: deletes it) in the tree, keeping its hash; returns
  // what the path held before (null: absent).
  static BlobPtr SetFile(Branch& branch, const std::string& path, BlobPtr content);
  void MoveTip(Branch& branch, uint32_t commit);
  // The commit an id in its text form names, if any.
  const Commit* FindCommit(const std::string& id) const;
  std::optional<absl::Status> TakeFault(std::deque<absl::Status>& faults);
  std::optional<absl::Status> TakeReadFault(const std::string& branch);
  // Whether the tip `now` still contains `known` (kNo: yes it does), as answered.
  core::Tristate Rewritten(const std::string& known, const std::string& now);

  std::map<std::string, Repository> repositories_;
  // URL spelling → its canonical form (a memo: lookups only, never iterated).
  mutable absl::flat_hash_map<std::string, std::string> canonical_spellings_;
  // Every commit in the order made: appending writes memory in order, and keeps the
  // commits a move back or an ancestry walk reads (the newest) close together.
  std::deque<Commit> commits_;
  // Id → position in commits_: small entries, so the table stays in cache. Never
  // iterated, so its per-process hash order cannot reach a trace.
  absl::flat_hash_map<Digest, uint32_t> commit_index_;
  std::deque<std::pair<std::string, absl::Status>> read_faults_;  // (branch or "", error)
  std::deque<absl::Status> push_faults_;
  int ancestry_unknown_ = 0;
  int64_t reads_ = 0;
  int64_t pushes_ = 0;
  int64_t commits_made_ = 0;
  uint64_t tip_changes_ = 0;
};

}  // namespace gitdest::sim
