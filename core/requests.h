// Requests: every request the core has sent and not yet had answered, in one registry.
// An answer is routed through it (one to an unknown or already-answered id — from another
// incarnation, another term of the lease, or a request given up on — is ignored), overdue
// requests are found through it, and losing the lease forgets every request of the term
// at once, so that a late answer cannot act. The small state machines (a status write, a
// resync, a branch worker's read and push) keep their own state but ask it whether their
// request is still in flight. Effects without an answer (RequeueAfter, RecordEvent,
// EnsureWatches) are not requests.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

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

const char* RequestKindName(RequestKind kind);

// Whose request it is: a branch worker's (reads and pushes), or an object's (a
// destination's list, under its GitDestination target; a status write, under the object
// whose status it replaces).
using RequestOwner = std::variant<WorkerKey, StatusTarget>;

// The owner of a destination's list and of its status write.
inline RequestOwner DestinationOwner(const ObjectKey& destination) {
  return StatusTarget{ResourceKind::kGitDestination, destination};
}

// No slot: a GitRepoConfig's or rule's status write, whose owner has none.
inline constexpr uint32_t kNoSlot = UINT32_MAX;

struct Request {
  RequestId id = 0;
  RequestKind kind = RequestKind::kMetadataRead;
  RequestOwner owner;
  absl::Time sent_at;
  // The owner's slot (core/slots.h): its branch worker's, or its GitDestination record's
  // (kNoSlot for others). The owner holds it while the request is in flight, since an
  // owner's requests are forgotten with it: an answer finds its owner there, checking the
  // key, instead of looking the key up. Follows from `owner`: not hashed.
  uint32_t owner_slot = kNoSlot;
  friend bool operator==(const Request&, const Request&) = default;
};

// What an answered request leaves behind: when it was sent, and its owner's slot (where the
// caller finds the owner, see Request).
struct Answered {
  RequestId id = 0;
  absl::Time sent_at;
  uint32_t owner_slot = kNoSlot;
};

class Requests {
 public:
  Requests() = default;
  // The owner index points into by_id_: a copy is indexed anew, a move keeps the nodes.
  // Spare nodes are not state: a copy starts without.
  Requests(const Requests& other) : by_id_(other.by_id_) { Reindex(); }
  Requests& operator=(const Requests& other);
  // A move keeps the nodes (and so the index) and leaves the source empty.
  Requests(Requests&& other) noexcept { *this = std::move(other); }
  Requests& operator=(Requests&& other) noexcept {
    by_id_ = std::exchange(other.by_id_, {});
    by_owner_ = std::exchange(other.by_owner_, {});
    spares_ = std::exchange(other.spares_, {});
    return *this;
  }

  // `id` was sent at `now` by `owner` (a RequestOwner, a WorkerKey or a StatusTarget), which
  // holds `owner_slot` (see Request). An owner has at most one request of each kind in
  // flight: one it had is given up on (forgotten; its answer will be ignored), and Sent
  // says so.
  template <class Owner>
  bool Sent(RequestId id, RequestKind kind, const Owner& owner, absl::Time now,
            uint32_t owner_slot = kNoSlot);

  // The request of `kind` with `id` in flight, or nullptr (unknown, or already answered).
  const Request* Find(RequestId id, RequestKind kind) const {
    const ById& of_kind = OfKind(kind);
    auto it = of_kind.find(id);
    return it == of_kind.end() ? nullptr : &it->second;
  }

  // An answer of `kind` to `id` arrived: what the request leaves behind; it is no longer in
  // flight. nullopt when it is unknown, already answered, of another kind, or (if `owner`
  // is given) of another owner — the caller ignores such an answer.
  // `owner` is a RequestOwner, a WorkerKey or a StatusTarget (compared in place).
  template <class Owner = RequestOwner>
  std::optional<Answered> Answer(RequestId id, RequestKind kind, const Owner* owner = nullptr) {
    ById& of_kind = OfKind(kind);
    auto it = of_kind.find(id);
    if (it == of_kind.end()) return std::nullopt;
    if (owner != nullptr && !IsOwner(it->second.owner, *owner)) return std::nullopt;
    const Request& request = it->second;
    const Answered answered{request.id, request.sent_at, request.owner_slot};
    Erase(it);
    return answered;
  }

  // The request of `kind` that `owner` (a WorkerKey or a StatusTarget) has in flight, or
  // nullptr. Looked up without copying the owner's key.
  template <class Owner>
  const Request* InFlight(RequestKind kind, const Owner& owner) const {
    auto slot = FindSlot(SlotRef<Owner>{kind, owner});
    return slot == by_owner_.end() ? nullptr : *slot;
  }
  // The same, only if it has been in flight for `timeout` or longer at `now`.
  template <class Owner>
  const Request* Overdue(RequestKind kind, const Owner& owner, absl::Time now,
                         absl::Duration timeout) const {
    const Request* request = InFlight(kind, owner);
    return request != nullptr && now - request->sent_at >= timeout ? request : nullptr;
  }
  // The request `id` of `kind` if it is in flight and has been for `timeout` or longer at
  // `now` (id 0, which no request has, for none): the same as by owner, without comparing
  // the owner's key, for an owner that knows its request.
  const Request* Overdue(RequestKind kind, RequestId id, absl::Time now,
                         absl::Duration timeout) const {
    const Request* request = Find(id, kind);
    return request != nullptr && now - request->sent_at >= timeout ? request : nullptr;
  }
  // Whether any request of `kind` is in flight.
  bool AnyInFlight(RequestKind kind) const { return CountInFlight(kind) > 0; }
  // How many requests of `kind` are in flight.
  size_t CountInFlight(RequestKind kind) const { return OfKind(kind).size(); }
  // The request of `kind` sent first of those in flight, or nullptr: ids grow with time,
  // so it is the one with the least id.
  const Request* FirstSent(RequestKind kind) const {
    const ById& of_kind = OfKind(kind);
    return of_kind.empty() ? nullptr : &of_kind.begin()->second;
  }
  // Its id, or 0 (which no request has) if none is in flight.
  RequestId FirstSentId(RequestKind kind) const {
    const ById& of_kind = OfKind(kind);
    return of_kind.empty() ? 0 : of_kind.begin()->first;
  }
  // Calls fn(request) for every request of `kind` in flight, in owner order (linear in
  // their number, as CountInFlight). `fn` must not change the registry.
  template <class Fn>
  void ForEachInFlight(RequestKind kind, Fn&& fn) const {
    const WorkerKey least;  // the least owner of any kind
    for (auto it = std::lower_bound(by_owner_.begin(), by_owner_.end(),
                                    SlotRef<WorkerKey>{kind, least}, SlotLess{});
         it != by_owner_.end() && (*it)->kind == kind; ++it) {
      fn(**it);
    }
  }

  // Gives up on the owner's request of `kind` (its answer will be ignored), if any.
  template <class Owner>
  void Forget(RequestKind kind, const Owner& owner) {
    auto slot = FindSlot(SlotRef<Owner>{kind, owner});
    if (slot != by_owner_.end()) Erase(OfKind(kind).find((*slot)->id));
  }
  // Gives up on every request of the owner: it is gone.
  void ForgetOwner(const RequestOwner& owner);
  // Gives up on every request: the lease was lost, or the process restarted.
  void Clear();

  size_t size() const { return by_owner_.size(); }
  bool Contains(RequestId id) const {
    return std::ranges::any_of(by_id_, [id](const ById& of_kind) { return of_kind.contains(id); });
  }
  // Calls fn(request) for every request in flight, kind by kind, first sent first.
  template <class Fn>
  void ForEach(Fn&& fn) const {
    for (const ById& of_kind : by_id_) {
      for (const auto& [id, request] : of_kind) fn(request);
    }
  }
  // The same requests in flight (the owner index follows from them).
  friend bool operator==(const Requests& a, const Requests& b) { return a.by_id_ == b.by_id_; }

 private:
  template <class T>
  friend struct StateFields;  // core/state_hash.cc hashes every field
  // A probe for by_owner_ that refers to its owner instead of holding a copy.
  template <class Owner>
  struct SlotRef {
    RequestKind kind;
    const Owner& owner;
  };
  // Orders requests and probes alike: by kind, then as RequestOwner orders (alternative
  // index, then value).
  struct SlotLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      if (KindOf(a) != KindOf(b)) return KindOf(a) < KindOf(b);
      return Less(OwnerOf(a), OwnerOf(b));
    }
    static RequestKind KindOf(const Request* r) { return r->kind; }
    template <class O>
    static RequestKind KindOf(const SlotRef<O>& s) {
      return s.kind;
    }
    static const RequestOwner& OwnerOf(const Request* r) { return r->owner; }
    template <class O>
    static const O& OwnerOf(const SlotRef<O>& s) {
      return s.owner;
    }
    static bool Less(const RequestOwner& a, const RequestOwner& b) { return a < b; }
    template <class T>
    static bool Less(const RequestOwner& a, const T& b) {
      constexpr size_t kIndex = std::is_same_v<T, WorkerKey> ? 0 : 1;
      return a.index() != kIndex ? a.index() < kIndex : std::get<kIndex>(a) < b;
    }
    template <class T>
    static bool Less(const T& a, const RequestOwner& b) {
      constexpr size_t kIndex = std::is_same_v<T, WorkerKey> ? 0 : 1;
      return b.index() != kIndex ? kIndex < b.index() : a < std::get<kIndex>(b);
    }
  };
  // The requests by (kind, owner), at most one each, sorted by SlotLess: pointers into
  // by_id_'s nodes, so that an owner's key is held once. A sorted array, not a tree: a
  // few requests are in flight at a time (each kind is bounded), and a binary search over
  // them costs less than a tree's node per request.
  using OwnerIndex = std::vector<const Request*>;
  // One kind's requests by id: its first sent is its first (ids grow with time). Its
  // nodes stay put: the owner index points into them.
  using ById = std::map<RequestId, Request>;
  // Where `probe` (a Request* or a SlotRef) is in the owner index, or end().
  template <class Probe>
  OwnerIndex::const_iterator FindSlot(const Probe& probe) const {
    auto it = std::lower_bound(by_owner_.begin(), by_owner_.end(), probe, SlotLess{});
    return it != by_owner_.end() && !SlotLess{}(probe, *it) ? it : by_owner_.end();
  }
  ById& OfKind(RequestKind kind) { return by_id_[Index(kind)]; }
  const ById& OfKind(RequestKind kind) const { return by_id_[Index(kind)]; }
  void Reindex();
  void Unindex(const Request& request);  // out of the owner index only
  // Out of the registry; its node is kept as a spare for a later Sent (no allocation).
  void Erase(ById::iterator it);
  // A node for a new request: a spare one if any (its owner's strings keep their buffers).
  ById::node_type NewNode(RequestId id);
  // Assigns `owner` into `to`, into the buffers of the owner it held if of the same type.
  template <class Owner>
  static void AssignOwner(RequestOwner& to, const Owner& owner) {
    if constexpr (std::is_same_v<Owner, RequestOwner>) {
      to = owner;
    } else if (Owner* same = std::get_if<Owner>(&to)) {
      *same = owner;
    } else {
      to.template emplace<Owner>(owner);
    }
  }
  void Insert(ById& of_kind, ById::node_type node, OwnerIndex::const_iterator slot);
  static bool IsOwner(const RequestOwner& owner, const RequestOwner& other) {
    return owner == other;
  }
  template <class T>
  static bool IsOwner(const RequestOwner& owner, const T& other) {
    const T* alternative = std::get_if<T>(&owner);
    return alternative != nullptr && *alternative == other;
  }
  static size_t Index(RequestKind kind) { return static_cast<size_t>(kind); }

  static constexpr size_t kKinds = 4;
  std::array<ById, kKinds> by_id_;  // by kind
  OwnerIndex by_owner_;
  // Nodes of answered or forgotten requests, reused by the next sends: not state (not
  // compared, copied or hashed). At most kMaxSpares.
  static constexpr size_t kMaxSpares = 8;
  std::vector<ById::node_type> spares_;
};

template <class Owner>
bool Requests::Sent(RequestId id, RequestKind kind, const Owner& owner, absl::Time now,
                    uint32_t owner_slot) {
  // One search of the owner index: it finds the owner's request of this kind, if any,
  // and where the new one goes.
  const SlotRef<Owner> probe{kind, owner};
  auto slot = std::lower_bound(by_owner_.cbegin(), by_owner_.cend(), probe, SlotLess{});
  const bool replaces = slot != by_owner_.cend() && !SlotLess{}(probe, *slot);
  ById& of_kind = OfKind(kind);
  ById::node_type node = replaces ? of_kind.extract((*slot)->id) : NewNode(id);
  if (replaces) slot = by_owner_.erase(slot);  // given up on: its answer matches nothing now
  Request& request = node.mapped();
  node.key() = id;
  request.id = id;
  request.kind = kind;
  AssignOwner(request.owner, owner);
  request.sent_at = now;
  request.owner_slot = owner_slot;
  Insert(of_kind, std::move(node), slot);
  return replaces;
}

}  // namespace gitdest::core
