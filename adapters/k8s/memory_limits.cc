#include "adapters/k8s/memory_limits.h"

#include <git2.h>
#include <malloc.h>

#include <cstddef>
#include <cstdlib>

#include "adapters/git/runtime.h"

namespace gitdest::k8s {
namespace {

constexpr int kArenas = 2;
constexpr int kMmapThresholdBytes = 256 << 10;
constexpr int kTrimThresholdBytes = 1 << 20;
constexpr size_t kGitObjectCacheBytes = size_t{16} << 20;
constexpr size_t kGitMappedPacksBytes = size_t{64} << 20;

// mallopt(option, value) unless the operator set glibc's variable for it.
void SetUnlessOverridden(const char* variable, int option, int value) {
  if (std::getenv(variable) == nullptr) mallopt(option, value);
}

}  // namespace

void LimitProcessMemory() {
  SetUnlessOverridden("MALLOC_ARENA_MAX", M_ARENA_MAX, kArenas);
  SetUnlessOverridden("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, kMmapThresholdBytes);
  SetUnlessOverridden("MALLOC_TRIM_THRESHOLD_", M_TRIM_THRESHOLD, kTrimThresholdBytes);
  git::EnsureLibgit2();
  git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, static_cast<ssize_t>(kGitObjectCacheBytes));
  git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, kGitMappedPacksBytes);
}

}  // namespace gitdest::k8s
