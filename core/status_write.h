// StatusWrite: the write of one object's status subresource, as a value. It knows what the
// API holds (or will hold once the write in flight lands), the one write in flight (its
// request id, since when, and the resourceVersion it is conditional on), and so whether
// the status must be written again. Every kind the controller owns uses it: a status is
// written only when it differs from what the API holds, one write at a time, and the
// object's resourceVersion never moves backwards.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/resource_version.h"
#include "core/state_fields.h"
#include "core/types.h"

namespace gitdest::core {

// What a write's answer did: kIgnored, not the write in flight (a late answer to one given
// up on, or one of another term); kConfirmed, the API holds it; kFailed, what the API
// holds is unknown, so the status is written again.
enum class WriteAnswer { kIgnored, kConfirmed, kFailed };

// The one status write in flight of an object.
struct StatusWriteInFlight {
  RequestId request = 0;
  absl::Time since;
  std::string resource_version;  // the version the write is conditional on
  friend bool operator==(const StatusWriteInFlight&, const StatusWriteInFlight&) = default;
};

template <class Status>
class StatusWrite {
 public:
  using InFlight = StatusWriteInFlight;

  // Whether `status` must be written now: it differs from what the API holds (or will
  // hold), and no write is in flight — or the one in flight is overdue by `timeout`, and
  // is given up on (its late answer is ignored).
  bool NeedsWrite(const Status& status, absl::Time now, absl::Duration timeout) const {
    if (in_flight_) return now - in_flight_->since >= timeout;
    return written_ != status;
  }

  // Records a write of `status` conditional on `resource_version`, starting at `now` as
  // request `request`. Assigns into the buffers of what it held: no allocation when the
  // status did not grow.
  void Start(const Status& status, RequestId request, const std::string& resource_version,
             absl::Time now) {
    written_ = status;
    in_flight_ = InFlight{request, now, resource_version};
  }

  // Applies a write's answer. Confirmed: `object_version` takes the new resourceVersion
  // unless the watch already reported a newer one. Failed: written again (after a pause;
  // on a 409 against the version the watch reports meanwhile).
  WriteAnswer OnWritten(RequestId request, const absl::StatusOr<std::string>& answer,
                        std::string& object_version) {
    if (!in_flight_ || in_flight_->request != request) return WriteAnswer::kIgnored;
    in_flight_.reset();
    if (!answer.ok()) {
      written_.reset();
      return WriteAnswer::kFailed;
    }
    if (!ResourceVersionOlder(*answer, object_version)) object_version = *answer;
    return WriteAnswer::kConfirmed;
  }

  // Forgets everything: whatever a write in flight does, the API's status is unknown
  // (the lease was lost; the next leader writes anew).
  void Forget() {
    written_.reset();
    in_flight_.reset();
  }

  // What the API holds, or will hold once the write in flight lands; nullopt: unknown.
  const std::optional<Status>& written() const { return written_; }
  const std::optional<InFlight>& in_flight() const { return in_flight_; }
  friend bool operator==(const StatusWrite&, const StatusWrite&) = default;

 private:
  template <class T>
  friend struct StateFields;  // core/state_hash.cc hashes every field
  std::optional<Status> written_;
  std::optional<InFlight> in_flight_;
};

}  // namespace gitdest::core
