#include "sim/sim_remote.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "core/check.h"
#include "core/naming/repo_url.h"

namespace gitdest::sim {

namespace {

// A server answers every spelling of its repository's URL (https or ssh, scp-like, case,
// a trailing slash or ".git"), as a hosted one does: repositories are keyed by identity.
std::string Canonical(const std::string& url) {
  absl::StatusOr<std::string> normalized = core::RepoIdentity(url);
  return normalized.ok() ? *normalized : url;
}

// ---- hashing -------------------------------------------------------------------------

using Hasher = core::StableHasher;
constexpr auto Fmix = core::Fmix64;

// A file's contribution to its tree's hash. Summing contributions makes the tree hash
// independent of insertion order and lets one change update it in O(1).
Digest EntryHash(Hasher path_hasher, const Blob& content) {
  return path_hasher.Add(content.hash).Finish();
}

void AddEntry(Digest& tree_hash, const Digest& entry) {
  for (size_t i = 0; i < tree_hash.size(); ++i) tree_hash[i] += entry[i];
}

void SubtractEntry(Digest& tree_hash, const Digest& entry) {
  for (size_t i = 0; i < tree_hash.size(); ++i) tree_hash[i] -= entry[i];
}

// Content-addressed like Git: the id covers parent, tree, message and author, so equal
// histories get equal ids in every run. The depth tells a root commit (whose parent
// field means nothing) from the others.
Digest CommitId(int64_t depth, const Digest& parent, const Digest& tree_hash,
                const std::string& message, const std::string& author) {
  Hasher hasher;
  hasher.Add(static_cast<uint64_t>(depth));
  if (depth > 1) hasher.Add(parent);
  return hasher.Add(tree_hash).Add(message).Add(author).Finish();
}

// 40 hex digits like a Git sha: the id's 128 bits, then 32 bits mixed from them (they
// add no strength; they make the sha look like what it stands for).
std::string ToHex(const Digest& id) {
  const std::array<uint64_t, 3> words = {id[0], id[1], Fmix(id[0] ^ (id[1] << 1)) & (~0ULL << 32)};
  constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(40, '0');
  for (size_t i = 0; i < hex.size(); ++i) {
    hex[i] = kDigits[(words[i / 16] >> (60 - 4 * (i % 16))) & 0xf];
  }
  return hex;
}

// The id a sha spells, if it is one ToHex could have written.
std::optional<Digest> FromHex(const std::string& hex) {
  if (hex.size() != 40) return std::nullopt;
  Digest id{};
  for (size_t i = 0; i < 32; ++i) {
    const char c = hex[i];
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return std::nullopt;
    id[i / 16] = id[i / 16] << 4 | static_cast<uint64_t>(digit);
  }
  if (ToHex(id) != hex) return std::nullopt;
  return id;
}

const std::string kNoTip;  // an absent branch's

BlobPtr MakeBlob(const std::string& content) {
  return std::make_shared<const Blob>(Blob{content, HashBytes(content)});
}

}  // namespace

Digest HashBytes(absl::string_view bytes) { return Hasher().Add(bytes).Finish(); }

// ---- the world -----------------------------------------------------------------------

void SimRemote::CreateRepository(const std::string& url) {
  const std::string canonical = Canonical(url);
  // Find relies on it: a canonical spelling is its own canonical form.
  GITDEST_ASSERT(Canonical(canonical) == canonical);
  repositories_.try_emplace(canonical);
}

SimRemote::Repository* SimRemote::Find(const std::string& url) {
  return const_cast<Repository*>(std::as_const(*this).Find(url));
}

// Normalizing a URL costs more than everything else a read does: a spelling is looked
// up as it is, then in the memo of spellings already normalized.
const SimRemote::Repository* SimRemote::Find(const std::string& url) const {
  auto it = repositories_.find(url);
  if (it == repositories_.end()) {
    auto spelling = canonical_spellings_.find(url);
    if (spelling == canonical_spellings_.end()) {
      spelling = canonical_spellings_.emplace(url, Canonical(url)).first;
    }
    it = repositories_.find(spelling->second);
  }
  return it == repositories_.end() ? nullptr : &it->second;
}

const SimRemote::Commit* SimRemote::FindCommit(const std::string& id) const {
  const std::optional<Digest> digest = FromHex(id);
  if (!digest) return nullptr;
  auto it = commit_index_.find(*digest);
  return it == commit_index_.end() ? nullptr : &commits_[it->second];
}

std::string SimRemote::Tip(const std::string& url, const std::string& branch) const {
  const Repository* repo = Find(url);
  if (repo == nullptr) return "";
  auto it = repo->branches.find(branch);
  return it == repo->branches.end() ? "" : it->second.tip_sha;
}

std::map<std::string, std::string> SimRemote::Branches(const std::string& url) const {
  std::map<std::string, std::string> tips;
  if (const Repository* repo = Find(url)) {
    for (const auto& [name, branch] : repo->branches) {
      tips.emplace(name, branch.tip_sha);
    }
  }
  return tips;
}

Tree SimRemote::TreeAt(const std::string& url, const std::string& branch) const {
  Tree tree;
  const Repository* repo = Find(url);
  if (repo == nullptr) return tree;
  auto it = repo->branches.find(branch);
  if (it == repo->branches.end()) return tree;
  for (const auto& [path, blob] : it->second.files) tree.emplace(path, blob->bytes);
  return tree;
}

BlobPtr SimRemote::SetFile(Branch& branch, const std::string& path, BlobPtr content) {
  Hasher path_hasher;
  path_hasher.Add(path);
  BlobPtr previous;
  auto it = branch.files.find(path);
  if (it != branch.files.end()) {
    previous = std::move(it->second);
    SubtractEntry(branch.tree_hash, EntryHash(path_hasher, *previous));
    if (content == nullptr) branch.files.erase(it);
  } else if (content != nullptr) {
    it = branch.files.try_emplace(path).first;
  }
  if (content != nullptr) {
    AddEntry(branch.tree_hash, EntryHash(path_hasher, *content));
    it->second = std::move(content);
  }
  return previous;
}

void SimRemote::MoveTip(Branch& branch, uint32_t commit) {
  ++tip_changes_;
  branch.tip = commit;
  branch.tip_sha = ToHex(commits_[commit].id);
}

void SimRemote::CommitChange(Branch& branch, const std::string& path, BlobPtr content,
                             const std::string& message, const std::string& author) {
  const Commit* parent = branch.tip == kNoCommit ? nullptr : &commits_[branch.tip];
  const int64_t depth = parent == nullptr ? 1 : parent->depth + 1;
  BlobPtr previous = SetFile(branch, path, content);
  const Digest id =
      CommitId(depth, parent == nullptr ? Digest{} : parent->id, branch.tree_hash, message, author);
  const auto [slot, inserted] =
      commit_index_.try_emplace(id, static_cast<uint32_t>(commits_.size()));
  if (inserted) {
    GITDEST_ASSERT(commits_.size() < kNoCommit);
    commits_.push_back(Commit{id, branch.tip, depth, path, std::move(content), std::move(previous),
                              branch.tree_hash});
  } else {
    // An id reached again must name the same parent and tree (as when a branch is
    // rebuilt with the same changes); anything else is a hash collision, and the
    // history would be wrong.
    const Commit& existing = commits_[slot->second];
    GITDEST_ASSERT(existing.parent == branch.tip);
    GITDEST_ASSERT(existing.tree_hash == branch.tree_hash);
  }
  MoveTip(branch, slot->second);
  ++commits_made_;
}

std::string SimRemote::ExternalCommit(const std::string& url, const std::string& branch,
                                      const std::string& path, const std::string& content) {
  Repository* repo = Find(url);
  if (repo == nullptr) return "";
  Branch& target = repo->branches[branch];  // an absent branch starts from an empty tree
  CommitChange(target, path, MakeBlob(content), "external change", "someone-else");
  return target.tip_sha;
}

void SimRemote::DeleteBranch(const std::string& url, const std::string& branch) {
  if (Repository* repo = Find(url)) tip_changes_ += repo->branches.erase(branch);
}

// Undoes the tip's one change: the tree becomes exactly the parent's.
void SimRemote::ForceMoveBack(const std::string& url, const std::string& branch) {
  Repository* repo = Find(url);
  if (repo == nullptr) return;
  auto it = repo->branches.find(branch);
  if (it == repo->branches.end()) return;
  Branch& moved = it->second;
  const Commit& tip = commits_[moved.tip];
  SetFile(moved, tip.path, tip.previous);
  if (tip.parent == kNoCommit) {
    GITDEST_ASSERT(moved.files.empty());
    GITDEST_ASSERT(moved.tree_hash == Digest{});
    repo->branches.erase(it);
    ++tip_changes_;
    return;
  }
  GITDEST_ASSERT(moved.tree_hash == commits_[tip.parent].tree_hash);
  MoveTip(moved, tip.parent);
}

// Walks from `descendant` towards the root, but no deeper than `ancestor`.
bool SimRemote::IsAncestor(const std::string& ancestor, const std::string& descendant) const {
  const Commit* target = FindCommit(ancestor);
  const Commit* commit = FindCommit(descendant);
  if (target == nullptr || commit == nullptr) return false;
  while (commit->depth > target->depth) commit = &commits_[commit->parent];
  return commit == target;
}

// ---- faults --------------------------------------------------------------------------

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

// ---- core::GitRemote -----------------------------------------------------------------

core::Tristate SimRemote::Rewritten(const std::string& known, const std::string& now) {
  if (known.empty() || known == now) return core::Tristate::kNo;
  if (ancestry_unknown_ > 0) {
    --ancestry_unknown_;
    return core::Tristate::kUnknown;
  }
  return IsAncestor(known, now) ? core::Tristate::kNo : core::Tristate::kYes;
}

absl::StatusOr<core::PullReport> SimRemote::ReadBranch(const core::RemoteRef& remote,
                                                       const std::string& known_tip,
                                                       absl::Duration /*timeout*/) {
  ++reads_;
  if (auto fault = TakeReadFault(remote.branch)) return *fault;
  const Repository* repo = Find(remote.url);
  if (repo == nullptr) return absl::NotFoundError("repository not found");
  core::PullReport report;
  report.head.short_name = remote.branch;
  auto it = repo->branches.find(remote.branch);
  report.exists_on_remote = it != repo->branches.end();
  report.head.unborn = repo->branches.empty();
  if (report.exists_on_remote) {
    report.head.sha = it->second.tip_sha;
    report.history_rewritten = Rewritten(known_tip, report.head.sha);
  }
  return report;
}

// A listing is a read too: it shares the read faults (an outage fails both).
absl::StatusOr<std::vector<std::string>> SimRemote::ListFiles(const core::RemoteRef& remote,
                                                              const std::string& folder,
                                                              absl::Duration /*timeout*/) {
  if (auto fault = TakeReadFault(remote.branch)) return *fault;
  const Repository* repo = Find(remote.url);
  if (repo == nullptr) return absl::NotFoundError("repository not found");
  std::vector<std::string> paths;
  auto it = repo->branches.find(remote.branch);
  if (it == repo->branches.end()) return paths;
  const std::string prefix = folder + "/";
  for (const auto& [path, content] : it->second.files) {
    if (path.starts_with(prefix)) paths.push_back(path);
  }
  std::sort(paths.begin(), paths.end());  // the tree is a hash map: order it
  return paths;
}

absl::StatusOr<core::PushResult> SimRemote::Push(const core::RemoteRef& remote,
                                                 const std::string& expected_tip,
                                                 const std::vector<core::FileChange>& changes,
                                                 absl::Duration /*timeout*/) {
  ++pushes_;
  if (auto fault = TakeFault(push_faults_)) return *fault;
  Repository* repo = Find(remote.url);
  if (repo == nullptr) return absl::NotFoundError("repository not found");
  auto it = repo->branches.find(remote.branch);
  const std::string& current = it == repo->branches.end() ? kNoTip : it->second.tip_sha;
  if (current != expected_tip) {
    return core::PushResult{
        core::PushResult::Outcome::kConflict, current,
        current.empty() ? core::Tristate::kYes : Rewritten(expected_tip, current)};
  }
  const bool creates = it == repo->branches.end();
  if (creates) {
    // As Git does: a new branch starts from the default branch (`main`, HEAD of the
    // repositories here), or as a root commit in an empty repository.
    auto main = repo->branches.find(kDefaultBranch);
    Branch start = main == repo->branches.end() ? Branch{} : main->second;
    it = repo->branches.try_emplace(remote.branch, std::move(start)).first;
    ++tip_changes_;  // a branch appears, at main's tip
  }
  Branch& branch = it->second;
  for (const core::FileChange& change : changes) {
    auto file = branch.files.find(change.path);
    BlobPtr content;
    if (change.op == core::ChangeOp::kDelete) {
      if (file == branch.files.end()) continue;  // changes no bytes: no commit
    } else {
      content = MakeBlob(change.content);
      // The hashes first: the old content's bytes are rarely in cache.
      if (file != branch.files.end() && file->second->hash == content->hash &&
          file->second->bytes == change.content) {
        continue;
      }
    }
    CommitChange(branch, change.path, std::move(content), change.message, change.author);
  }
  if (branch.tip == kNoCommit) {
    // Nothing to commit on an empty repository: the push creates nothing. (Started from
    // the default branch, the new branch exists even if no change changed a byte.)
    repo->branches.erase(it);
    ++tip_changes_;
    return core::PushResult{core::PushResult::Outcome::kPushed, "", core::Tristate::kNo};
  }
  return core::PushResult{core::PushResult::Outcome::kPushed, branch.tip_sha, core::Tristate::kNo};
}

}  // namespace gitdest::sim
