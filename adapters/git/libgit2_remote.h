// The core's GitRemote port on libgit2. Reads are ref listings (no pack); pushes build
// commits on the object cache without a working tree, in memory until the remote has
// them (then kept in the cache as one pack), and update the branch only if it still
// points where the batch was built (compare-and-swap in the push negotiation, never
// forced); ListFiles reads trees from the cache. Every network step ends by the
// deadline the core gives. Thread-safe: each call opens its own libgit2 handles.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adapters/git/commit_builder.h"
#include "adapters/git/credentials.h"
#include "adapters/git/object_cache.h"
#include "core/ports.h"

namespace gitdest::git {

struct Libgit2RemoteOptions {
  std::string cache_dir;  // the object caches live here (one bare repository each)
  Identity committer{"gitdest", "gitdest@users.gitdest.invalid"};
  core::Clock* clock = nullptr;  // commit times; null = the system clock
};

class Libgit2Remote : public core::GitRemote {
 public:
  // `credentials` must outlive the remote.
  Libgit2Remote(Libgit2RemoteOptions options, CredentialSource& credentials);

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

  ObjectCache& cache() { return cache_; }

 private:
  absl::Time Now() const;
  template <class Attempt>
  auto Repairing(const core::RemoteRef& remote, Attempt attempt);
  absl::StatusOr<core::PullReport> ReadBranchOnce(const core::RemoteRef& remote,
                                                  const std::string& known_tip,
                                                  absl::Time deadline);
  absl::StatusOr<core::PushResult> PushOnce(const core::RemoteRef& remote,
                                            const std::string& expected_tip,
                                            const std::vector<core::FileChange>& changes,
                                            absl::Time deadline);
  absl::StatusOr<std::vector<std::string>> ListFilesOnce(const core::RemoteRef& remote,
                                                         const std::string& folder,
                                                         absl::Time deadline);

  Libgit2RemoteOptions options_;
  CredentialSource& credentials_;
  ObjectCache cache_;
};

}  // namespace gitdest::git
