// Resync: the level-based resync of one destination, as a value. A destination needs
// one when it is admitted to a (new) target, when a rule feeding it grows, or when its
// branch lost history; it then asks for a list of its objects and files (one in flight,
// matched by request id), and is done when an answer arrives while it is admitted.
// A failed or overdue list is asked again; a late answer is recognised and ignored.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "core/state_fields.h"
#include "core/types.h"

namespace gitdest::core {

class Resync {
 public:
  // A list is needed; one in flight still counts (it lists what is there now too).
  void Need() { needed_ = true; }
  // A list is needed, and one in flight was for what came before (another target, the
  // rules before they grew): its answer will be ignored.
  void NeedAnew() {
    needed_ = true;
    in_flight_.reset();
  }
  // Whether to ask now: needed, and no list in flight or the one in flight overdue.
  bool Due(absl::Time now, absl::Duration timeout) const {
    return needed_ && (!in_flight_ || now - in_flight_->since >= timeout);
  }
  // A list was asked for by `request`. `queued`: the paths in the folder that writes
  // queued or in flight will create — the listing may predate them, yet they land
  // before the deletes the answer leads to.
  void Asked(RequestId request, absl::Time now, std::set<std::string> queued) {
    in_flight_ = InFlight{request, now, std::move(queued)};
  }
  // The answer to the list in flight: its queued paths, and it is no longer in flight.
  // nullopt for any other request (late, or of a list given up on).
  std::optional<std::set<std::string>> Answered(RequestId request) {
    if (!in_flight_ || in_flight_->request != request) return std::nullopt;
    std::set<std::string> queued = std::move(in_flight_->queued);
    in_flight_.reset();
    return queued;
  }
  // The objects were listed and queued: no list is needed until something asks again.
  void Done() { needed_ = false; }
  // Forgets everything: a new term of the lease resyncs from its own reconciles.
  void Forget() {
    needed_ = false;
    in_flight_.reset();
  }

  bool needed() const { return needed_; }
  bool in_flight() const { return in_flight_.has_value(); }

 private:
  template <class T>
  friend struct StateFields;  // core/state_hash.cc hashes every field
  struct InFlight {
    RequestId request = 0;
    absl::Time since;
    std::set<std::string> queued;
  };
  bool needed_ = false;
  std::optional<InFlight> in_flight_;
};

}  // namespace gitdest::core
