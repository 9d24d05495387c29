// Ordering the versions of one Kubernetes object. A resourceVersion is opaque to clients
// by contract, yet an API server backed by etcd issues increasing decimal revisions, and
// a watch delivers one object's versions in order; comparing them is how a late event
// or an old list is kept from overwriting newer knowledge.
#pragma once

#include <cstdint>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"

namespace gitdest::core {

namespace internal {

// The value of a decimal revision of 1 to 19 digits (below 10^19, so it cannot overflow),
// or nullopt for any other spelling.
inline std::optional<uint64_t> ShortRevision(absl::string_view version) {
  if (version.empty() || version.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (const char c : version) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

}  // namespace internal

// True only when both versions are decimal revisions and `a` is the earlier one. Any
// other pair (empty, opaque, equal) is not known to be older: the caller takes the event.
// Every event and list entry is compared so: etcd's plain revisions are read directly,
// any other spelling as absl::SimpleAtoi reads it (a sign, spaces, 20 digits).
inline bool ResourceVersionOlder(absl::string_view a, absl::string_view b) {
  const std::optional<uint64_t> short_a = internal::ShortRevision(a);
  const std::optional<uint64_t> short_b = internal::ShortRevision(b);
  if (short_a && short_b) return *short_a < *short_b;
  uint64_t x = 0;
  uint64_t y = 0;
  return absl::SimpleAtoi(a, &x) && absl::SimpleAtoi(b, &y) && x < y;
}

}  // namespace gitdest::core
