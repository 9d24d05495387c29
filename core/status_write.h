// StatusWrite: the write of one object's status subresource, as a value. It knows what the
// API holds (or will hold once the write in flight lands) and, given the write in flight
// (its request in the registry, core/requests.h), whether the status must be written
// again. Every kind the controller owns uses it: a status is
// written only when it differs from what the API holds, one write at a time, and the
// object's resourceVersion never moves backwards.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/requests.h"
#include "core/resource_version.h"
#include "core/state_fields.h"
#include "core/types.h"

namespace gitdest::core {

// What a write's answer did: kConfirmed, the API holds it; kConfirmedAskedSince, the same,
// but a write was asked while it flew, so the status may have changed since it was sent
// (the caller asks again: written if it differs); kFailed, what the API holds is unknown,
// so the status is written again. (An answer to anything but the write in flight never
// gets here: the registry of requests, core/requests.h, ignores it.)
enum class WriteAnswer { kConfirmed, kConfirmedAskedSince, kFailed };

template <class Status>
class StatusWrite {
 public:
  // A write of `status` is asked: whether it must be sent now. It must if it differs from
  // what the API holds (or will hold) and no write is in flight (`in_flight`: the
  // registry's, core/requests.h) — or if the one in flight is overdue by `timeout`, and is
  // given up on (its late answer is ignored). Asked while a write flies, it is remembered:
  // that write's answer says so (kConfirmedAskedSince), and only then is the status
  // compared again, not on every answer.
  bool Ask(const Status& status, const Request* in_flight, absl::Time now, absl::Duration timeout) {
    if (in_flight == nullptr) return written_ != status;
    if (now - in_flight->sent_at >= timeout) return true;
    asked_in_flight_ = true;
    return false;
  }

  // A write is due but no slot is free (ControllerOptions::max_status_writes_in_flight):
  // the object waits in the controller's line, and the status sent when its turn comes is
  // the one current then. Not while a write is in flight (the caller gave up on it).
  void Wait() { waiting_ = true; }
  bool waiting() const { return waiting_; }

  // Records a write of `status` (the caller registers its request); it no longer waits.
  // Assigns into the buffers of what it held: no allocation when the status did not grow.
  void Start(const Status& status) {
    written_ = status;
    waiting_ = false;
    asked_in_flight_ = false;
  }
  // Its turn came and nothing is left to write: the status went back to what the API
  // holds while it waited.
  void StopWaiting() { waiting_ = false; }

  // Applies the answer to the write in flight. Confirmed: `object_version` takes the new
  // resourceVersion unless the watch already reported a newer one. Failed: written again
  // (after a pause; on a 409 against the version the watch reports meanwhile).
  WriteAnswer OnWritten(const absl::StatusOr<std::string>& answer, std::string& object_version) {
    const bool asked = std::exchange(asked_in_flight_, false);
    if (!answer.ok()) {
      written_.reset();
      return WriteAnswer::kFailed;
    }
    if (!ResourceVersionOlder(*answer, object_version)) object_version = *answer;
    return asked ? WriteAnswer::kConfirmedAskedSince : WriteAnswer::kConfirmed;
  }

  // Forgets what the API holds: whatever a write in flight does, the API's status is
  // unknown (the lease was lost, and the next leader writes anew; or the write was given
  // up on as overdue). It no longer waits: the caller takes it out of the line.
  void Forget() {
    written_.reset();
    waiting_ = false;
    asked_in_flight_ = false;
  }

  // What the API holds, or will hold once the write in flight lands; nullopt: unknown.
  const std::optional<Status>& written() const { return written_; }
  friend bool operator==(const StatusWrite&, const StatusWrite&) = default;

 private:
  template <class T>
  friend struct StateFields;  // core/state_hash.cc hashes every field
  std::optional<Status> written_;
  bool waiting_ = false;          // in the controller's line for a free slot
  bool asked_in_flight_ = false;  // a write was asked while one was in flight (see Ask)
};

// One object's status write, its status as computed last, and the resourceVersion a write
// is conditional on: the parts the controller's line of writes works on; and the slot of
// its object's record (kNoSlot if none), which its request names (see Request).
template <class Status>
struct StatusWriteOf {
  StatusWrite<Status>& write;
  const Status& status;
  const std::string& resource_version;
  uint32_t owner_slot = kNoSlot;
};

}  // namespace gitdest::core
