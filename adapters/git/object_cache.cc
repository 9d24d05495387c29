#include "adapters/git/object_cache.h"

#include <malloc.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "adapters/git/git_status.h"
#include "adapters/git/pack_compaction.h"
#include "core/naming/identity.h"
#include "core/naming/repo_url.h"

namespace gitdest::git {

namespace fs = std::filesystem;

absl::StatusOr<std::string> ObjectCache::PathFor(const std::string& url) const {
  absl::StatusOr<std::string> identity = core::RepoIdentity(url);
  if (!identity.ok()) return identity.status();
  return absl::StrCat(dir_, "/", core::Sha256Hex(*identity).substr(0, 32), ".git");
}

std::string ObjectCache::TrackingRef(const std::string& ref) {
  return absl::StrCat("refs/gitdest/tips/", core::Sha256Hex(ref).substr(0, 40));
}

void ObjectCache::Discard(const std::string& url) {
  absl::StatusOr<std::string> path = PathFor(url);
  if (!path.ok()) return;
  std::lock_guard lock(create_mu_);
  std::error_code ec;
  fs::remove_all(*path, ec);
}

ObjectCache::Locks& ObjectCache::LocksFor(const std::string& url) {
  const std::string key = PathFor(url).value_or(url);
  std::lock_guard lock(create_mu_);
  std::unique_ptr<Locks>& locks = locks_[key];
  if (!locks) locks = std::make_unique<Locks>();
  return *locks;
}

std::mutex& ObjectCache::FetchLock(const std::string& url) { return LocksFor(url).fetch; }

absl::Status ObjectCache::Compact(const std::string& url, git_repository* repo) {
  std::unique_lock lock(LocksFor(url).compaction, std::try_to_lock);
  if (!lock.owns_lock()) return absl::OkStatus();
  absl::StatusOr<bool> merged = CompactPacks(repo);
  // A merge's memory grows with the objects merged (the largest merges take in most of
  // the history) and the allocator would keep its peak: give it back to the system.
  if (merged.ok() && *merged) malloc_trim(0);
  return merged.status();
}

absl::StatusOr<RepositoryPtr> ObjectCache::Open(const std::string& url) {
  absl::StatusOr<std::string> path = PathFor(url);
  if (!path.ok()) return path.status();
  git_repository* repo = nullptr;
  if (git_repository_open_bare(&repo, path->c_str()) == 0) return RepositoryPtr(repo);
  std::lock_guard lock(create_mu_);
  if (git_repository_open_bare(&repo, path->c_str()) == 0) return RepositoryPtr(repo);
  std::error_code ec;
  fs::remove_all(*path, ec);  // absent, or not a repository any more: start afresh
  fs::create_directories(dir_, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("the Git cache directory ", dir_, " cannot be created: ", ec.message()));
  }
  if (absl::Status s = Check(git_repository_init(&repo, path->c_str(), /*is_bare=*/1),
                             absl::StrCat("creating the Git cache ", *path));
      !s.ok()) {
    return s;
  }
  return RepositoryPtr(repo);
}

}  // namespace gitdest::git
