// Ordering the versions of one Kubernetes object. A resourceVersion is opaque to clients
// by contract, yet an API server backed by etcd issues increasing decimal revisions, and
// a watch delivers one object's versions in order; comparing them is how a late event
// or an old list is kept from overwriting newer knowledge.
#pragma once

#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"

namespace gitdest::core {

// True only when both versions are decimal revisions and `a` is the earlier one. Any
// other pair (empty, opaque, equal) is not known to be older: the caller takes the event.
inline bool ResourceVersionOlder(absl::string_view a, absl::string_view b) {
  uint64_t x = 0;
  uint64_t y = 0;
  return absl::SimpleAtoi(a, &x) && absl::SimpleAtoi(b, &y) && x < y;
}

}  // namespace gitdest::core
