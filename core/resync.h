// Resync: the level-based resync of one destination, as a value. A destination needs
// one when it is admitted to a (new) target, when a rule feeding it grows, or when its
// branch lost history; it then asks for a list of its objects and files (one in flight:
// its request lives in the registry, core/requests.h), and is done when an answer
// arrives while it is admitted. A list asked for while the controller has as many in
// flight as it allows (ControllerOptions::max_lists_in_flight) waits for a slot. A failed
// or overdue list is asked again; the registry ignores a late answer.
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
  // Whether to ask now: needed, not waiting for a slot, and no list in flight
  // (`in_flight`: the registry's) or the one in flight overdue.
  bool Due(const Request* in_flight, absl::Time now, absl::Duration timeout) const {
    return needed_ && !waiting_ && (in_flight == nullptr || now - in_flight->sent_at >= timeout);
  }
  // A list is due but no slot is free: the destination waits in the controller's line, and
  // the list sent when its turn comes asks what is to be listed then (its selectors, its
  // folder, the paths queued). Not while a list is in flight (the caller gave up on it).
  void Wait() { waiting_ = true; }
  bool waiting() const { return waiting_; }
  // Its turn came while it could not list (no longer admitted): it lists when admitted.
  void StopWaiting() { waiting_ = false; }
  // A list was sent (the caller registers its request); it no longer waits. `queued`: the
  // paths in the folder that writes queued or in flight will create — the listing may
  // predate them, yet they land before the deletes the answer leads to.
  void Asked(std::set<std::string> queued) {
    queued_ = std::move(queued);
    waiting_ = false;
  }
  // The answer to the list in flight arrived: the paths queued when it was asked.
  std::set<std::string> Answered() { return std::exchange(queued_, {}); }
  // The objects were listed and queued: no list is needed until something asks again.
  void Done() { needed_ = false; }
  // Forgets everything: a new term of the lease resyncs from its own reconciles.
  void Forget() {
    needed_ = false;
    queued_.clear();
    waiting_ = false;
  }

  bool needed() const { return needed_; }

 private:
  template <class T>
  friend struct StateFields;  // core/state_hash.cc hashes every field
  bool needed_ = false;
  std::set<std::string> queued_;  // of the list in flight, if one is
  bool waiting_ = false;          // in the controller's line for a free slot
};

}  // namespace gitdest::core
