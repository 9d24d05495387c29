// A simulated remote Git server: repositories with branches, a commit graph and file
// trees, compare-and-swap pushes, external writers, and injectable faults. It
// implements the core's GitRemote port, so the core cannot tell it from libgit2.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/ports.h"

namespace gitdest::sim {

using Tree = std::map<std::string, std::string>;  // path → content

struct Commit {
  std::string parent;  // "" for a root commit
  Tree tree;
  std::string message;
  std::string author;
};

class SimRemote : public core::GitRemote {
 public:
  // ---- the world, as tests and external writers see it -----------------------------
  // A repository must exist before it can be read or pushed; it starts empty.
  void CreateRepository(const std::string& url);
  // The branch tip ("" if absent) and its tree.
  std::string Tip(const std::string& url, const std::string& branch) const;
  Tree TreeAt(const std::string& url, const std::string& branch) const;
  // Every branch of a repository with its tip, in name order.
  std::map<std::string, std::string> Branches(const std::string& url) const;
  // Another writer commits `path` = `content` on the branch (creating it if absent).
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
  void ClearFaults() {
    read_faults_.clear();
    push_faults_.clear();
  }
  int64_t reads() const { return reads_; }
  int64_t pushes() const { return pushes_; }

  // ---- core::GitRemote ------------------------------------------------------------
  absl::StatusOr<core::PullReport> ReadBranchMetadata(const core::FetchMetadata& request) override;
  absl::Status PushBatch(const core::PushBatch& batch, core::PushOutcome& outcome) override;

 private:
  struct Repository {
    std::map<std::string, std::string> branches;  // name → tip sha
  };
  Repository* Find(const std::string& url);
  const Repository* Find(const std::string& url) const;
  std::string AddCommit(Commit commit);
  std::optional<absl::Status> TakeFault(std::deque<absl::Status>& faults);
  std::optional<absl::Status> TakeReadFault(const std::string& branch);

  std::map<std::string, Repository> repositories_;
  std::map<std::string, Commit> commits_;                         // sha → commit
  std::deque<std::pair<std::string, absl::Status>> read_faults_;  // (branch or "", error)
  std::deque<absl::Status> push_faults_;
  int64_t reads_ = 0;
  int64_t pushes_ = 0;
};

}  // namespace gitdest::sim
