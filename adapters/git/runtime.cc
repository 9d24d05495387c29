#include "adapters/git/runtime.h"

#include <git2.h>

#include <mutex>

#include "adapters/git/deadline_stream.h"

namespace gitdest::git {

void EnsureLibgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    RegisterDeadlineStream();
    // The cache is gitdest's own: no ownership checks against the process user, and no
    // fsync per object (a crash loses nothing the remote does not hold).
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
  });
}

}  // namespace gitdest::git
