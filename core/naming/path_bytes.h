// The bytes no path segment may hold, found eight at a time. Every path the controller
// queues is checked (a Kubernetes object's name becomes a file name), so the scan is a
// word at a time (SWAR) rather than a byte at a time: a test per eight bytes, whatever
// they are. Exact: it never misses a byte and never reports one that is not there.
#pragma once

#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"

namespace gitdest::core {

// A control character (below 0x20, or DEL), or a backslash: never in a path.
inline bool IsControlOrBackslash(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f || c == '\\';
}

namespace path_bytes_internal {

constexpr uint64_t kOnes = 0x0101010101010101;
constexpr uint64_t kHighBits = 0x8080808080808080;

// The high bit of each byte of `x` below `n` (n ≤ 0x80) may be set, and is set for the
// lowest such byte: nonzero exactly when some byte is below `n`. Borrows only run upwards
// from a byte that is below `n`, so a byte of 0x80 or more never counts.
constexpr uint64_t BytesBelow(uint64_t x, uint8_t n) { return (x - kOnes * n) & ~x & kHighBits; }
constexpr uint64_t BytesEqual(uint64_t x, char c) {
  return BytesBelow(x ^ (kOnes * static_cast<unsigned char>(c)), 1);
}
constexpr bool AnyBad(uint64_t x, bool slash) {
  const uint64_t bad = BytesBelow(x, 0x20) | BytesEqual(x, 0x7f) | BytesEqual(x, '\\') |
                       (slash ? BytesEqual(x, '/') : 0);
  return bad != 0;
}

}  // namespace path_bytes_internal

// Whether `s` holds a control character or a backslash (IsControlOrBackslash), or, when
// `slash`, a '/'.
inline bool HasControlOrSeparator(absl::string_view s, bool slash) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, sizeof word);  // one unaligned load
    if (path_bytes_internal::AnyBad(word, slash)) return true;
  }
  for (; i < s.size(); ++i) {
    if (IsControlOrBackslash(s[i]) || (slash && s[i] == '/')) return true;
  }
  return false;
}

}  // namespace gitdest::core
