// The object cache's packs without a server: a push's objects held in memory until they
// are flushed as one pack (ObjectBuffer), which packs a merge picks (PacksToMerge), and a
// merge that removes packs other handles of the repository are reading.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/git/handles.h"
#include "adapters/git/object_buffer.h"
#include "adapters/git/pack_compaction.h"
#include "adapters/git/runtime.h"

namespace gitdest::testing {
namespace {

namespace fs = std::filesystem;

// A bare repository in a fresh temporary directory, removed with the object.
class BareRepository {
 public:
  BareRepository() {
    git::EnsureLibgit2();
    char dir[] = "/tmp/gitdest-packs-XXXXXX";
    path_ = mkdtemp(dir);
    git_repository* repo = nullptr;
    EXPECT_EQ(git_repository_init(&repo, path_.c_str(), 1), 0);
    git_repository_free(repo);
  }
  ~BareRepository() { fs::remove_all(path_); }

  // A handle of its own, as each operation of the adapter opens one.
  git::RepositoryPtr Open() const {
    git_repository* repo = nullptr;
    EXPECT_EQ(git_repository_open_bare(&repo, path_.c_str()), 0);
    return git::RepositoryPtr(repo);
  }
  // The files under objects/ other than packs and their indexes.
  size_t LooseFiles() const {
    return CountFiles([](const fs::path& p) { return !InPack(p); });
  }
  size_t Packs() const {
    return CountFiles([](const fs::path& p) { return p.extension() == ".idx"; });
  }

 private:
  static bool InPack(const fs::path& p) { return p.parent_path().filename() == "pack"; }
  template <class Predicate>
  size_t CountFiles(Predicate counts) const {
    size_t n = 0;
    for (const auto& entry : fs::recursive_directory_iterator(path_ + "/objects")) {
      if (entry.is_regular_file() && counts(entry.path())) ++n;
    }
    return n;
  }
  std::string path_;
};

git_oid WriteBlob(git_repository* repo, const std::string& content) {
  git_oid id{};
  EXPECT_EQ(git_blob_create_from_buffer(&id, repo, content.data(), content.size()), 0);
  return id;
}

bool Holds(git_repository* repo, const git_oid& id) {
  git_odb* odb = nullptr;
  if (git_repository_odb(&odb, repo) < 0) return false;
  git::OdbPtr owned(odb);
  return git_odb_exists(odb, &id) == 1;
}

// The content `id` reads back as through `repo`, "" when it does not read.
std::string Read(git_repository* repo, const git_oid& id) {
  git_blob* blob = nullptr;
  if (git_blob_lookup(&blob, repo, &id) < 0) return "";
  std::string content(static_cast<const char*>(git_blob_rawcontent(blob)),
                      static_cast<size_t>(git_blob_rawsize(blob)));
  git_blob_free(blob);
  return content;
}

// `count` blobs, each flushed as a pack of its own (as `count` pushes leave them).
std::vector<git_oid> OnePackEach(const BareRepository& bare, int count) {
  std::vector<git_oid> ids;
  for (int i = 0; i < count; ++i) {
    git::RepositoryPtr repo = bare.Open();
    absl::StatusOr<git::ObjectBuffer> buffer = git::ObjectBuffer::Attach(repo.get());
    EXPECT_TRUE(buffer.ok()) << buffer.status();
    ids.push_back(WriteBlob(repo.get(), absl::StrCat("object ", i, "\n")));
    EXPECT_TRUE(buffer->Flush().ok());
  }
  return ids;
}

TEST(ObjectBufferTest, ObjectsStayInMemoryUntilFlushedAsOnePack) {
  BareRepository bare;
  git::RepositoryPtr repo = bare.Open();
  absl::StatusOr<git::ObjectBuffer> buffer = git::ObjectBuffer::Attach(repo.get());
  ASSERT_TRUE(buffer.ok()) << buffer.status();
  const git_oid a = WriteBlob(repo.get(), "a\n");
  const git_oid b = WriteBlob(repo.get(), "b\n");
  EXPECT_EQ(Read(repo.get(), a), "a\n");  // the writer reads its own objects back
  EXPECT_FALSE(Holds(bare.Open().get(), a));
  EXPECT_EQ(bare.LooseFiles(), 0u);
  EXPECT_EQ(bare.Packs(), 0u);
  ASSERT_TRUE(buffer->Flush().ok());
  EXPECT_EQ(bare.LooseFiles(), 0u);
  EXPECT_EQ(bare.Packs(), 1u);
  git::RepositoryPtr other = bare.Open();
  EXPECT_EQ(Read(other.get(), a), "a\n");
  EXPECT_EQ(Read(other.get(), b), "b\n");
  EXPECT_EQ(Read(repo.get(), b), "b\n");  // from the pack now: the buffer is empty
}

// A push the remote refused is never flushed: its objects go with the handle.
TEST(ObjectBufferTest, ObjectsNeverFlushedLeaveNothingOnDisk) {
  BareRepository bare;
  git_oid id{};
  {
    git::RepositoryPtr repo = bare.Open();
    absl::StatusOr<git::ObjectBuffer> buffer = git::ObjectBuffer::Attach(repo.get());
    ASSERT_TRUE(buffer.ok()) << buffer.status();
    id = WriteBlob(repo.get(), "refused\n");
    ASSERT_TRUE(Holds(repo.get(), id));
  }
  EXPECT_FALSE(Holds(bare.Open().get(), id));
  EXPECT_EQ(bare.LooseFiles(), 0u);
  EXPECT_EQ(bare.Packs(), 0u);
}

// Handles opened before a merge still read every object afterwards, once the old packs
// are gone from the directory: one that has read from them, one that has only listed
// them, and a new one (which finds the merged pack only).
TEST(PackCompactionTest, ReadersOfTheOldPacksStillReadEveryObject) {
  BareRepository bare;
  const std::vector<git_oid> ids = OnePackEach(bare, static_cast<int>(git::kPackCountMax) + 1);
  ASSERT_EQ(bare.Packs(), git::kPackCountMax + 1);
  git::RepositoryPtr reading = bare.Open();
  for (const git_oid& id : ids) ASSERT_NE(Read(reading.get(), id), "");
  git::RepositoryPtr listed = bare.Open();
  git_odb* odb = nullptr;
  ASSERT_EQ(git_repository_odb(&odb, listed.get()), 0);
  git_odb_free(odb);
  absl::StatusOr<bool> merged = git::CompactPacks(bare.Open().get());
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_TRUE(*merged);
  EXPECT_EQ(bare.Packs(), 1u);
  git::RepositoryPtr fresh = bare.Open();
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string content = absl::StrCat("object ", i, "\n");
    EXPECT_EQ(Read(reading.get(), ids[i]), content) << i;
    EXPECT_EQ(Read(listed.get(), ids[i]), content) << i;
    EXPECT_EQ(Read(fresh.get(), ids[i]), content) << i;
  }
  merged = git::CompactPacks(bare.Open().get());
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_FALSE(*merged);  // one pack: nothing to merge
}

std::vector<git::PackFile> Packs(const std::vector<uint64_t>& sizes) {
  std::vector<git::PackFile> packs;
  for (uint64_t size : sizes) packs.push_back({absl::StrCat("pack-", packs.size(), ".idx"), size});
  return packs;
}

TEST(PackCompactionTest, UpToTheBoundNothingIsMerged) {
  EXPECT_TRUE(git::PacksToMerge(Packs(std::vector<uint64_t>(git::kPackCountMax, 10))).empty());
}

TEST(PackCompactionTest, PacksOfOneSizeAreAllMerged) {
  EXPECT_EQ(git::PacksToMerge(Packs(std::vector<uint64_t>(git::kPackCountMax + 1, 10))).size(),
            git::kPackCountMax + 1);
}

// The fetched history (large packs twice the size of the next) stays as it is; the small
// packs pushes left are merged.
TEST(PackCompactionTest, OnlyThePacksBelowTheProgressionAreMerged) {
  std::vector<uint64_t> sizes(git::kPackCountMax, 100);
  sizes.push_back(100000);
  sizes.push_back(1000000);
  const std::vector<git::PackFile> merged = git::PacksToMerge(Packs(sizes));
  ASSERT_EQ(merged.size(), git::kPackCountMax);
  for (const git::PackFile& pack : merged) EXPECT_EQ(pack.size_bytes, 100u);
}

// A pack that would not be twice the size of the merged one joins the merge.
TEST(PackCompactionTest, APackSmallerThanTwiceTheMergedOneJoins) {
  std::vector<uint64_t> sizes(git::kPackCountMax, 10);
  sizes.push_back(300);
  sizes.push_back(100000);
  EXPECT_EQ(git::PacksToMerge(Packs(sizes)).size(), git::kPackCountMax + 1);
}

// A whole progression, however many packs, is left as it is.
TEST(PackCompactionTest, AGeometricProgressionIsLeftAsItIs) {
  std::vector<uint64_t> sizes;
  for (size_t i = 0; i < 2 * git::kPackCountMax; ++i) sizes.push_back(uint64_t{1} << i);
  EXPECT_TRUE(git::PacksToMerge(Packs(sizes)).empty());
}

}  // namespace
}  // namespace gitdest::testing
