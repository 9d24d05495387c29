// StableHasher: a fast deterministic 128-bit hash (two independent 64-bit lanes), the
// same in every process and on every platform — unlike absl::Hash (seeded per process)
// or std::hash (unspecified). Not cryptographic: it tells states and commits apart, it
// does not resist an adversary. Used by Controller::StateHash and the simulator's
// commit ids.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"

namespace gitdest::core {

using Digest = std::array<uint64_t, 2>;

// The MurmurHash3 finalizer: a bijection in which every output bit depends on every
// input bit.
constexpr uint64_t Fmix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// Two lanes, each with its own seed and multiplier (hex digits of pi and of e), fed the
// same words: a collision in one lane says next to nothing about the other. Each word
// steps every lane through a bijection (xor, odd multiply, xorshift), so two inputs of
// equal length that differ in one word never collide; Finish mixes fully.
class StableHasher {
 public:
  // Length first: field boundaries are part of what is hashed, so ("a","bc") and
  // ("ab","c") differ.
  StableHasher& Add(absl::string_view bytes) {
    Add(uint64_t{bytes.size()});
    size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) Add(LoadWord(bytes.data() + i));
    if (i < bytes.size()) Add(LoadTail(bytes.data() + i, bytes.size() - i));
    return *this;
  }
  StableHasher& Add(uint64_t word) {
    for (size_t i = 0; i < lanes_.size(); ++i) {
      const uint64_t lane = (lanes_[i] ^ word) * kMultipliers[i];
      lanes_[i] = lane ^ (lane >> 32);
    }
    return *this;
  }
  StableHasher& Add(const Digest& digest) {
    for (uint64_t lane : digest) Add(lane);
    return *this;
  }
  Digest Finish() const { return {Fmix64(lanes_[0]), Fmix64(lanes_[1])}; }

 private:
  // 8 bytes as a little-endian word, whatever the machine's byte order.
  static uint64_t LoadWord(const char* bytes) {
    uint64_t word = 0;
    std::memcpy(&word, bytes, sizeof word);  // a constant size: one load, no call
    if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
    return word;
  }
  // Fewer than 8 bytes (1 to 7), the same way, zero-padded. Keys and folders are mostly
  // this short, so no loop: two loads that may overlap (an overlapping byte is the same
  // byte in both, so or-ing them is exact).
  static uint64_t LoadTail(const char* bytes, size_t count) {
    if (count >= 4) {
      return LoadHalf(bytes) | (LoadHalf(bytes + count - 4) << (8 * (count - 4)));
    }
    // 1 to 3 bytes: the first, the middle and the last (of 1 or 2, some the same).
    return Byte(bytes, 0) | (Byte(bytes, count / 2) << (8 * (count / 2))) |
           (Byte(bytes, count - 1) << (8 * (count - 1)));
  }
  static uint64_t LoadHalf(const char* bytes) {
    uint32_t half = 0;
    std::memcpy(&half, bytes, sizeof half);
    if constexpr (std::endian::native == std::endian::big) half = __builtin_bswap32(half);
    return half;
  }
  static uint64_t Byte(const char* bytes, size_t i) {
    return uint64_t{static_cast<unsigned char>(bytes[i])};
  }

  static constexpr Digest kMultipliers = {0x9e3779b97f4a7c15ULL, 0xb7e151628aed2a6bULL};
  Digest lanes_ = {0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL};
};

}  // namespace gitdest::core
