// The simulator's only source of randomness: xoshiro256** seeded through SplitMix64
// from one u64. Own arithmetic throughout (no std::*_distribution, whose algorithms
// differ between standard libraries), so a seed means the same run everywhere.
#pragma once

#include <cstdint>

#include "absl/time/time.h"

namespace gitdest::sim {

__extension__ using Uint128 = unsigned __int128;  // GCC/Clang builtin; -Wpedantic-clean

class Prng {
 public:
  explicit Prng(uint64_t seed) {
    for (uint64_t& word : s_) word = SplitMix64(seed);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n), n > 0: Lemire's multiply-shift with rejection (unbiased).
  uint64_t Below(uint64_t n) {
    for (;;) {
      const Uint128 m = static_cast<Uint128>(Next()) * n;
      const auto low = static_cast<uint64_t>(m);
      if (low >= n || low >= (0 - n) % n) return static_cast<uint64_t>(m >> 64);
    }
  }
  int64_t Between(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  // True with probability per_mille / 1000.
  bool Chance(int per_mille) { return static_cast<int>(Below(1000)) < per_mille; }
  absl::Duration Millis(int64_t lo, int64_t hi) { return absl::Milliseconds(Between(lo, hi)); }

 private:
  static uint64_t SplitMix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t s_[4];
};

}  // namespace gitdest::sim
