// The objects one push writes, held in memory in front of the cache's object database
// instead of one loose file each (a file created and renamed per object: about 140 for a
// batch of 20 changes, most of the push's own time), and written to the cache as one
// pack once the remote accepted them. Objects of a push that is refused go with the
// repository handle. Not thread-safe: one per operation, like its repository handle.
#pragma once

#include <git2.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gitdest::git {

class ObjectBuffer {
 public:
  // From now on every object written through `repo` stays in memory until Flush. The
  // buffer belongs to `repo`'s object database and lives as long as `repo`.
  static absl::StatusOr<ObjectBuffer> Attach(git_repository* repo);

  // Writes the objects held as one pack into the repository's object directory, then
  // empties the buffer; nothing is written when it holds nothing.
  absl::Status Flush();

 private:
  struct Backend;
  ObjectBuffer(git_repository* repo, Backend* backend) : repo_(repo), backend_(backend) {}

  git_repository* repo_;
  Backend* backend_;  // owned by repo_'s object database
};

}  // namespace gitdest::git
