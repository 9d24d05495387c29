// StableHasher's values are part of what the project records: state hashes in traces,
// commit ids in the simulator's remote. A faster way to read bytes must not move them.
#include "core/stable_hash.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace gitdest::core {
namespace {

// Every prefix of one text (bytes above 0x7f included) hashes to the value recorded
// before tails were read with overlapping loads: tails of 1 to 7 bytes, after 0 to 2
// whole words.
TEST(StableHasher, EveryLengthHashesAsRecorded) {
  const std::string text = "gitdest/clusters/prod\xff\x80";
  struct Recorded {
    size_t length;
    uint64_t lane0, lane1;
  };
  const Recorded recorded[] = {
      {0, 0x149aeec19b31d6ccULL, 0x457ce783a528d9c3ULL},
      {1, 0x81516f738e882fb2ULL, 0x3d015e542a9865fcULL},
      {2, 0x044b47134b4efb70ULL, 0xf45d769d5c6dc138ULL},
      {3, 0x1324298e1e6ac056ULL, 0x4b61abe29c12a7a1ULL},
      {4, 0x9224a374e75db20eULL, 0x86380e4f5abac7c8ULL},
      {5, 0xad0fcfd8bfd5b5e3ULL, 0x99909e6708ff15b6ULL},
      {6, 0xc931f99b0e334a04ULL, 0xfd5c5736425e65b0ULL},
      {7, 0xf16ff035881542d9ULL, 0x241b4b936ca10248ULL},
      {8, 0x62e3298983da6254ULL, 0xd92aad8a28bf5d92ULL},
      {9, 0x1322de47cb5d5cbcULL, 0xd1aad1403561f225ULL},
      {10, 0xf4e36b8d8605faa3ULL, 0x2268973c3cabbabbULL},
      {11, 0x1693a02c24473e03ULL, 0x454d34df76db0ffeULL},
      {12, 0xe46e2ab6f32027d2ULL, 0xc49381bc8613b168ULL},
      {13, 0x3bdfa274ed6e07e1ULL, 0x5f5417187ad2632eULL},
      {14, 0xa49deeaf5f1b8fa8ULL, 0x55bc00b764cee71cULL},
      {15, 0xeb54ec5a4f2c1bbdULL, 0x4de3eacab8514e02ULL},
      {16, 0x0b1df2d1f9fec1a9ULL, 0xda5813a5c81c79b4ULL},
      {17, 0x21bebcb96c7e77abULL, 0xbadb2d528f96dd2aULL},
      {18, 0x4f15567d57b68f98ULL, 0x024d6747ed486a37ULL},
      {19, 0x81921383498a93a9ULL, 0x6840fe610e86645dULL},
      {20, 0xe0ba4fd3b4d84c7aULL, 0x8237e8f20faa5c50ULL},
      {21, 0x35665313e61907eeULL, 0xfb0f56e26ce49984ULL},
      {22, 0xbc5d885aad74e277ULL, 0x0c8e680e4bc2872eULL},
      {23, 0xc7d52201b3428766ULL, 0xbea4a15b4fbafd4dULL},
  };
  ASSERT_EQ(std::size(recorded), text.size() + 1);
  for (const Recorded& r : recorded) {
    const Digest digest = StableHasher().Add(absl::string_view(text.data(), r.length)).Finish();
    EXPECT_EQ(digest[0], r.lane0) << "prefix of " << r.length << " bytes";
    EXPECT_EQ(digest[1], r.lane1) << "prefix of " << r.length << " bytes";
  }
}

// A tail is read as its bytes, zero-padded: every byte of it counts, in its place.
TEST(StableHasher, EveryByteOfATailCounts) {
  for (size_t length = 1; length < 8; ++length) {
    const std::string base(length, 'a');
    const Digest of_base = StableHasher().Add(base).Finish();
    for (size_t i = 0; i < length; ++i) {
      std::string changed = base;
      changed[i] = 'b';
      EXPECT_NE(StableHasher().Add(changed).Finish(), of_base)
          << "byte " << i << " of a " << length << "-byte tail";
    }
  }
}

}  // namespace
}  // namespace gitdest::core
