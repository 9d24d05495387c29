#include "adapters/git/pack_compaction.h"

#include <git2/sys/odb_backend.h>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/git/git_status.h"
#include "adapters/git/handles.h"
#include "adapters/git/status_macros.h"

namespace gitdest::git {
namespace {

namespace fs = std::filesystem;

// Each pack at least this many times the size of the one below it.
constexpr uint64_t kGrowthFactor = 2;

// The complete packs in `dir`: an index with its pack (a pack being written has neither
// name yet).
std::vector<PackFile> ListPacks(const std::string& dir) {
  std::vector<PackFile> packs;
  std::error_code ec;
  // Stepped with error codes: the directory may vanish (a cache discarded meanwhile).
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const fs::path& path = it->path();
    if (path.extension() != ".idx") continue;
    fs::path pack = path;
    pack.replace_extension(".pack");
    std::error_code size_ec;
    const uintmax_t size = fs::file_size(pack, size_ec);
    if (!size_ec) packs.push_back(PackFile{path.string(), size});
  }
  return packs;
}

int InsertObject(const git_oid* oid, void* builder) {
  return git_packbuilder_insert(static_cast<git_packbuilder*>(builder), oid, nullptr);
}

// Queues every object of one pack, read through its own index.
absl::Status InsertObjectsOf(git_packbuilder* builder, const std::string& index_path) {
  git_odb* odb = nullptr;
  if (int rc = git_odb_new(&odb); rc < 0) return FromLibgit2(rc, "reading a pack");
  OdbPtr owned_odb(odb);
  git_odb_backend* pack = nullptr;
  if (int rc = git_odb_backend_one_pack(&pack, index_path.c_str()); rc < 0) {
    return FromLibgit2(rc, absl::StrCat("reading ", index_path));
  }
  if (int rc = git_odb_add_backend(odb, pack, 1); rc < 0) {
    pack->free(pack);
    return FromLibgit2(rc, absl::StrCat("reading ", index_path));
  }
  if (int rc = git_odb_foreach(odb, InsertObject, builder); rc < 0) {
    return FromLibgit2(rc, absl::StrCat("merging ", index_path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> PackDirectory(git_repository* repo) {
  git_buf dir = GIT_BUF_INIT;
  const int rc = git_repository_item_path(&dir, repo, GIT_REPOSITORY_ITEM_OBJECTS);
  std::string path = rc < 0 ? "" : absl::StrCat(dir.ptr, "pack");
  git_buf_dispose(&dir);
  if (rc < 0) return FromLibgit2(rc, "finding the object directory");
  return path;
}

std::vector<PackFile> PacksToMerge(std::vector<PackFile> packs) {
  if (packs.size() <= kPackCountMax) return {};
  std::sort(packs.begin(), packs.end(), [](const PackFile& a, const PackFile& b) {
    return std::tie(a.size_bytes, a.index_path) < std::tie(b.size_bytes, b.index_path);
  });
  // From the largest down, the first pack that is not twice the one below it ends the
  // progression: it and everything below are merged...
  size_t split = packs.size() - 1;
  while (split > 0 && packs[split].size_bytes >= kGrowthFactor * packs[split - 1].size_bytes) {
    --split;
  }
  if (split > 0) ++split;
  uint64_t merged_bytes = 0;
  for (size_t i = 0; i < split; ++i) merged_bytes += packs[i].size_bytes;
  // ...with every larger pack that would not be twice the merged one.
  while (split < packs.size() && packs[split].size_bytes < kGrowthFactor * merged_bytes) {
    merged_bytes += packs[split].size_bytes;
    ++split;
  }
  if (split < 2) return {};
  packs.resize(split);
  return packs;
}

absl::StatusOr<bool> CompactPacks(git_repository* repo) {
  ASSIGN_OR_RETURN(const std::string dir, PackDirectory(repo));
  const std::vector<PackFile> merge = PacksToMerge(ListPacks(dir));
  if (merge.empty()) return false;
  git_packbuilder* builder = nullptr;
  if (int rc = git_packbuilder_new(&builder, repo); rc < 0) {
    return FromLibgit2(rc, "merging packs");
  }
  PackBuilderPtr owned_builder(builder);
  git_packbuilder_set_threads(builder, 1);
  for (const PackFile& pack : merge) {
    if (absl::Status s = InsertObjectsOf(builder, pack.index_path); !s.ok()) return s;
  }
  if (int rc = git_packbuilder_write(builder, dir.c_str(), 0, nullptr, nullptr); rc < 0) {
    return FromLibgit2(rc, "writing the merged pack");
  }
  const std::string written = absl::StrCat("pack-", git_packbuilder_name(builder), ".idx");
  for (const PackFile& pack : merge) {
    fs::path index(pack.index_path);
    if (index.filename() == written) continue;  // the same objects, packed the same
    std::error_code ec;
    fs::remove(index, ec);  // first: without its index, a pack is not read
    fs::remove(index.replace_extension(".pack"), ec);
  }
  return true;
}

}  // namespace gitdest::git
