// Requests: every request the core has sent and not yet had answered, in one registry.
// An answer is routed through it (one to an unknown or already-answered id — from another
// incarnation, another term of the lease, or a request given up on — is ignored), overdue
// requests are found through it, and losing the lease forgets every request of the term
// at once, so that a late answer cannot act. The small state machines (a status write, a
// resync, a branch worker's read and push) keep their own state but ask it whether their
// request is still in flight. Effects without an answer (RequeueAfter, RecordEvent,
// EnsureWatches) are not requests.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/time/time.h"
#include "core/state_fields.h"
#include "core/types.h"

namespace gitdest::core {

enum class RequestKind : uint8_t {
  kMetadataRead,  // FetchMetadata → MetadataFetched
  kPush,          // PushBatch → PushCompleted
  kList,          // ResyncDestination → ObjectsListed
  kStatusWrite,   // WriteStatus → StatusWritten
};
inline constexpr size_t kRequestKinds = 4;

const char* RequestKindName(RequestKind kind);

// Whose request it is: a branch worker's (reads and pushes), or an object's (a
// destination's list, under its GitDestination target; a status write, under the object
// whose status it replaces).
using RequestOwner = std::variant<WorkerKey, StatusTarget>;

// The owner of a destination's list and of its status write.
inline RequestOwner DestinationOwner(const ObjectKey& destination) {
  return StatusTarget{ResourceKind::kGitDestination, destination};
}

struct Request {
  RequestId id = 0;
  RequestKind kind = RequestKind::kMetadataRead;
  RequestOwner owner;
  absl::Time sent_at;
  friend bool operator==(const Request&, const Request&) = default;
};

class Requests {
 public:
  // `id` was sent at `now`. An owner has at most one request of each kind in flight: one
  // it had is given up on (forgotten; its answer will be ignored).
  void Sent(RequestId id, RequestKind kind, RequestOwner owner, absl::Time now);

  // An answer of `kind` to `id` arrived: the request, which is no longer in flight. nullopt
  // when it is unknown, already answered, of another kind, or (if `owner` is given) of
  // another owner — the caller ignores such an answer.
  std::optional<Request> Answer(RequestId id, RequestKind kind,
                                const RequestOwner* owner = nullptr);

  // The request of `kind` that `owner` (a WorkerKey or a StatusTarget) has in flight, or
  // nullptr. Looked up without copying the owner's key.
  template <class Owner>
  const Request* InFlight(RequestKind kind, const Owner& owner) const {
    auto slot = by_owner_.find(SlotRef<Owner>{kind, owner});
    return slot == by_owner_.end() ? nullptr : &by_id_.at(slot->second);
  }
  // The same, only if it has been in flight for `timeout` or longer at `now`.
  template <class Owner>
  const Request* Overdue(RequestKind kind, const Owner& owner, absl::Time now,
                         absl::Duration timeout) const {
    const Request* request = InFlight(kind, owner);
    return request != nullptr && now - request->sent_at >= timeout ? request : nullptr;
  }
  // Whether any request of `kind` is in flight.
  bool AnyInFlight(RequestKind kind) const;

  // Gives up on the owner's request of `kind` (its answer will be ignored), if any.
  template <class Owner>
  void Forget(RequestKind kind, const Owner& owner) {
    auto slot = by_owner_.find(SlotRef<Owner>{kind, owner});
    if (slot == by_owner_.end()) return;
    by_id_.erase(slot->second);
    by_owner_.erase(slot);
    --in_flight_[Index(kind)];
  }
  // Gives up on every request of the owner: it is gone.
  void ForgetOwner(const RequestOwner& owner);
  // Gives up on every request: the lease was lost, or the process restarted.
  void Clear();

  size_t size() const { return by_id_.size(); }
  const std::map<RequestId, Request>& by_id() const { return by_id_; }

 private:
  template <class T>
  friend struct StateFields;  // core/state_hash.cc hashes every field
  using Slot = std::pair<RequestKind, RequestOwner>;
  // A probe for by_owner_ that refers to its owner instead of holding a copy.
  template <class Owner>
  struct SlotRef {
    RequestKind first;  // the kind, named as Slot names it
    const Owner& owner;
  };
  // Hash slots and probes alike: the kind, the owner's alternative, then its key.
  struct SlotHash {
    using is_transparent = void;
    size_t operator()(const Slot& s) const {
      return std::visit([&](const auto& owner) { return Of(s.first, owner); }, s.second);
    }
    template <class O>
    size_t operator()(const SlotRef<O>& s) const {
      if constexpr (std::is_same_v<O, RequestOwner>) {
        return std::visit([&](const auto& owner) { return Of(s.first, owner); }, s.owner);
      } else {
        return Of(s.first, s.owner);
      }
    }
    template <class O>
    static size_t Of(RequestKind kind, const O& owner) {
      return absl::HashOf(kind, IndexOf<O>(), owner);
    }
  };
  struct SlotEq {
    using is_transparent = void;
    bool operator()(const Slot& a, const Slot& b) const { return a == b; }
    template <class O>
    bool operator()(const Slot& a, const SlotRef<O>& b) const {
      if (a.first != b.first) return false;
      if constexpr (std::is_same_v<O, RequestOwner>) {
        return a.second == b.owner;
      } else {
        const O* owner = std::get_if<O>(&a.second);
        return owner != nullptr && *owner == b.owner;
      }
    }
    template <class O>
    bool operator()(const SlotRef<O>& a, const Slot& b) const {
      return (*this)(b, a);
    }
  };
  template <class O>
  static constexpr size_t IndexOf() {
    return std::is_same_v<O, WorkerKey> ? 0 : 1;
  }

  std::map<RequestId, Request> by_id_;
  // Lookups only (hash order never leaves it): the request each (kind, owner) has in
  // flight, at most one.
  absl::flat_hash_map<Slot, RequestId, SlotHash, SlotEq> by_owner_;
  std::array<size_t, kRequestKinds> in_flight_{};  // by kind
  static size_t Index(RequestKind kind) { return static_cast<size_t>(kind); }
};

}  // namespace gitdest::core
