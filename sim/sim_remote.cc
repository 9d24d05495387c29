#include "sim/sim_remote.h"

#include "absl/strings/str_cat.h"
#include "core/naming/identity.h"
#include "core/naming/repo_url.h"

namespace gitdest::sim {

namespace {

// A server answers every spelling of its repository's URL (case of the host, a
// trailing slash or ".git"), as a real one does.
std::string Canonical(const std::string& url) {
  absl::StatusOr<std::string> normalized = core::NormalizeRepoUrl(url);
  return normalized.ok() ? *normalized : url;
}

}  // namespace

void SimRemote::CreateRepository(const std::string& url) {
  repositories_.try_emplace(Canonical(url));
}

SimRemote::Repository* SimRemote::Find(const std::string& url) {
  auto it = repositories_.find(Canonical(url));
  return it == repositories_.end() ? nullptr : &it->second;
}

const SimRemote::Repository* SimRemote::Find(const std::string& url) const {
  auto it = repositories_.find(Canonical(url));
  return it == repositories_.end() ? nullptr : &it->second;
}

std::string SimRemote::Tip(const std::string& url, const std::string& branch) const {
  const Repository* repo = Find(url);
  if (repo == nullptr) return "";
  auto it = repo->branches.find(branch);
  return it == repo->branches.end() ? "" : it->second;
}

std::map<std::string, std::string> SimRemote::Branches(const std::string& url) const {
  const Repository* repo = Find(url);
  return repo == nullptr ? std::map<std::string, std::string>{} : repo->branches;
}

Tree SimRemote::TreeAt(const std::string& url, const std::string& branch) const {
  const std::string tip = Tip(url, branch);
  return tip.empty() ? Tree{} : commits_.at(tip).tree;
}

// Content-addressed like Git: the sha covers parent, tree, message and author, so
// equal histories get equal shas in every run.
std::string SimRemote::AddCommit(Commit commit) {
  std::string bytes = absl::StrCat(commit.parent, "\n", commit.message, "\n", commit.author);
  for (const auto& [path, content] : commit.tree) {
    absl::StrAppend(&bytes, "\n", path, absl::string_view("\0", 1), core::Sha256Hex(content));
  }
  std::string sha = core::Sha256Hex(bytes).substr(0, 40);
  commits_.try_emplace(sha, std::move(commit));
  return sha;
}

std::string SimRemote::ExternalCommit(const std::string& url, const std::string& branch,
                                      const std::string& path, const std::string& content) {
  Repository* repo = Find(url);
  if (repo == nullptr) return "";
  std::string& tip = repo->branches[branch];
  Tree tree = tip.empty() ? Tree{} : commits_.at(tip).tree;
  tree[path] = content;
  tip = AddCommit(Commit{tip, std::move(tree), "external change", "someone-else"});
  return tip;
}

void SimRemote::DeleteBranch(const std::string& url, const std::string& branch) {
  if (Repository* repo = Find(url)) repo->branches.erase(branch);
}

void SimRemote::FailNextReads(int count, absl::Status error, const std::string& branch) {
  for (int i = 0; i < count; ++i) read_faults_.emplace_back(branch, error);
}

std::optional<absl::Status> SimRemote::TakeReadFault(const std::string& branch) {
  for (auto it = read_faults_.begin(); it != read_faults_.end(); ++it) {
    if (!it->first.empty() && it->first != branch) continue;
    absl::Status error = it->second;
    read_faults_.erase(it);
    return error;
  }
  return std::nullopt;
}

void SimRemote::FailNextPushes(int count, absl::Status error) {
  for (int i = 0; i < count; ++i) push_faults_.push_back(error);
}

std::optional<absl::Status> SimRemote::TakeFault(std::deque<absl::Status>& faults) {
  if (faults.empty()) return std::nullopt;
  absl::Status error = faults.front();
  faults.pop_front();
  return error;
}

absl::StatusOr<core::PullReport> SimRemote::ReadBranchMetadata(const core::FetchMetadata& request) {
  ++reads_;
  if (auto fault = TakeReadFault(request.worker.branch)) return *fault;
  const Repository* repo = Find(request.repo_url);
  if (repo == nullptr) return absl::NotFoundError("repository not found");
  core::PullReport report;
  report.head.short_name = request.worker.branch;
  auto it = repo->branches.find(request.worker.branch);
  report.exists_on_remote = it != repo->branches.end();
  report.head.unborn = repo->branches.empty();
  if (report.exists_on_remote) report.head.sha = it->second;
  return report;
}

void SimRemote::ForceMoveBack(const std::string& url, const std::string& branch) {
  Repository* repo = Find(url);
  if (repo == nullptr) return;
  auto it = repo->branches.find(branch);
  if (it == repo->branches.end()) return;
  const std::string parent = commits_.at(it->second).parent;
  if (parent.empty()) {
    repo->branches.erase(it);
  } else {
    it->second = parent;
  }
}

bool SimRemote::IsAncestor(const std::string& ancestor, const std::string& descendant) const {
  for (std::string sha = descendant; !sha.empty(); sha = commits_.at(sha).parent) {
    if (sha == ancestor) return true;
  }
  return false;
}

absl::Status SimRemote::PushBatch(const core::PushBatch& batch, core::PushOutcome& outcome) {
  std::string& tip = outcome.tip;
  ++pushes_;
  if (auto fault = TakeFault(push_faults_)) return *fault;
  Repository* repo = Find(batch.repo_url);
  if (repo == nullptr) return absl::NotFoundError("repository not found");
  auto it = repo->branches.find(batch.worker.branch);
  const std::string current = it == repo->branches.end() ? "" : it->second;
  if (current != batch.expected_tip) {
    tip = current;
    outcome.history_rewritten =
        !batch.expected_tip.empty() && !IsAncestor(batch.expected_tip, current);
    return absl::FailedPreconditionError("non-fast-forward: the branch moved");
  }
  std::string head = current;
  for (const core::FileChange& change : batch.changes) {
    Tree tree = head.empty() ? Tree{} : commits_.at(head).tree;
    if (change.op == core::ChangeOp::kDelete) {
      if (tree.erase(change.path) == 0) continue;  // changes no bytes: no commit
    } else {
      auto [slot, inserted] = tree.try_emplace(change.path, change.content);
      if (!inserted && slot->second == change.content) continue;
      slot->second = change.content;
    }
    head = AddCommit(Commit{head, std::move(tree), change.message, change.author});
  }
  if (head.empty()) {
    // Nothing to commit on an absent branch: the push creates nothing.
    tip = "";
    return absl::OkStatus();
  }
  repo->branches[batch.worker.branch] = head;
  tip = head;
  return absl::OkStatus();
}

}  // namespace gitdest::sim
