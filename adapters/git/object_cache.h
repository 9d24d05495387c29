// The local object cache: one bare repository per remote repository under the cache
// directory, shared by every branch of it, named by a hash of the repository's identity
// (never by a branch or resource name: branches `a` and `a/b` cannot collide, and no
// credential reaches a file name). What the adapter fetched lives here; it is a cache:
// a corrupt one is rebuilt, and losing it loses nothing the remote does not hold.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "adapters/git/handles.h"

namespace gitdest::git {

class ObjectCache {
 public:
  explicit ObjectCache(std::string dir) : dir_(std::move(dir)) {}

  // A handle of the cache repository for `url`, created (or rebuilt when it does not
  // open) on first use. Each caller gets its own handle: libgit2 handles are not shared
  // across threads, the repository on disk is.
  absl::StatusOr<RepositoryPtr> Open(const std::string& url);

  // Removes the cache repository for `url` (it did not read back); the next Open builds
  // it afresh. Handles still open keep working on what they hold.
  void Discard(const std::string& url);

  // The directory of the cache repository for `url` (for tests and operators).
  absl::StatusOr<std::string> PathFor(const std::string& url) const;

  // Held while fetching into the cache repository for `url`: two fetches of one branch
  // (two GitRepoConfigs naming one repository) would race for its tracking ref's lock.
  std::mutex& FetchLock(const std::string& url);

  // Merges small packs of the cache repository for `url` (see pack_compaction.h) through
  // `repo`, a handle of it, unless another thread is doing so already (then it returns at
  // once: the next call does it).
  absl::Status Compact(const std::string& url, git_repository* repo);

  // The local ref where the tip fetched of the remote's `ref` ("refs/heads/a") is kept:
  // named by a hash, so the refs of branches `a` and `a/b` cannot nest.
  static std::string TrackingRef(const std::string& ref);

 private:
  struct Locks {
    std::mutex fetch;
    std::mutex compaction;
  };
  Locks& LocksFor(const std::string& url);

  std::string dir_;
  std::mutex create_mu_;  // creating or rebuilding a cache repository; locks_
  std::map<std::string, std::unique_ptr<Locks>> locks_;  // by cache path
};

}  // namespace gitdest::git
