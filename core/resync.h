// Resync: the level-based resync of one destination, as a value. A destination needs
// one when it is admitted to a (new) target, when a rule feeding it grows, or when its
// branch lost history; it then asks for a list of its objects and files (one in flight:
// its request lives in the registry, core/requests.h), and is done when an answer
// arrives while it is admitted. A failed or overdue list is asked again; the registry
// ignores a late answer.
#pragma once

#include <set>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "core/requests.h"
#include "core/state_fields.h"

namespace gitdest::core {

class Resync {
 public:
  // A list is needed; one in flight still counts (it lists what is there now too).
  void Need() { needed_ = true; }
  // A list is needed, and one in flight was for what came before (another target, the
  // rules before they grew): the caller forgets its request, so its answer is ignored.
  void NeedAnew() {
    needed_ = true;
    queued_.clear();
  }
  // Whether to ask now: needed, and no list in flight (`in_flight`: the registry's) or
  // the one in flight overdue.
  bool Due(const Request* in_flight, absl::Time now, absl::Duration timeout) const {
    return needed_ && (in_flight == nullptr || now - in_flight->sent_at >= timeout);
  }
  // A list was asked for (the caller registers its request). `queued`: the paths in the
  // folder that writes queued or in flight will create — the listing may predate them,
  // yet they land before the deletes the answer leads to.
  void Asked(std::set<std::string> queued) { queued_ = std::move(queued); }
  // The answer to the list in flight arrived: the paths queued when it was asked.
  std::set<std::string> Answered() { return std::exchange(queued_, {}); }
  // The objects were listed and queued: no list is needed until something asks again.
  void Done() { needed_ = false; }
  // Forgets everything: a new term of the lease resyncs from its own reconciles.
  void Forget() {
    needed_ = false;
    queued_.clear();
  }

  bool needed() const { return needed_; }

 private:
  template <class T>
  friend struct StateFields;  // core/state_hash.cc hashes every field
  bool needed_ = false;
  std::set<std::string> queued_;  // of the list in flight, if one is
};

}  // namespace gitdest::core
