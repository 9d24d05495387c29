// Keeps the number of packs in a cache repository bounded. Every accepted push and every
// fetch adds one pack, and each lookup of an object the cache lacks scans every pack, so
// once there are more than kPackCountMax the small ones are merged into one, as
// `git repack --geometric=2` chooses them: afterwards the pack sizes at least double from
// one to the next, so a cache holds O(log size) packs and each object is rewritten
// O(log size) times over its life. Old packs are removed only after the merged one is
// written, index first; a reader that misses them rescans the directory and finds the
// merged one (libgit2 retries a lookup after a rescan). Call with no other compaction of
// the same repository running (ObjectCache::Compact holds its lock).
#pragma once

#include <git2.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gitdest::git {

inline constexpr size_t kPackCountMax = 16;

struct PackFile {
  std::string index_path;  // ".../pack-X.idx"
  uint64_t size_bytes;     // of the .pack
};

// The directory where `repo` keeps its packs (".../objects/pack").
absl::StatusOr<std::string> PackDirectory(git_repository* repo);

// Which packs to merge (the smallest ones): empty when there are at most
// kPackCountMax, or when merging would not reduce their number.
std::vector<PackFile> PacksToMerge(std::vector<PackFile> packs);

// Merges PacksToMerge of `repo`'s packs into one and removes them; whether it merged.
// Like git repack, a merge holds some memory per object merged while it runs.
absl::StatusOr<bool> CompactPacks(git_repository* repo);

}  // namespace gitdest::git
