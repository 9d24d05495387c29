#include "core/requests.h"

#include "core/check.h"

namespace gitdest::core {

const char* RequestKindName(RequestKind kind) {
  switch (kind) {
    case RequestKind::kMetadataRead:
      return "metadata read";
    case RequestKind::kPush:
      return "push";
    case RequestKind::kList:
      return "list";
    case RequestKind::kStatusWrite:
      return "status write";
  }
  return "?";
}

Requests& Requests::operator=(const Requests& other) {
  if (this != &other) {
    by_id_ = other.by_id_;
    Reindex();
  }
  return *this;
}

void Requests::Reindex() {
  by_owner_.clear();
  in_flight_ = {};
  for (ById& of_kind : by_id_) {
    for (auto& [id, entry] : of_kind) {
      entry.slot = by_owner_.insert(&entry.request).first;
      ++in_flight_[Index(entry.request.kind)];
    }
  }
}

void Requests::Erase(ById::iterator it) {
  by_owner_.erase(it->second.slot);
  const RequestKind kind = it->second.request.kind;
  --in_flight_[Index(kind)];
  OfKind(kind).erase(it);
}

bool Requests::Sent(RequestId id, RequestKind kind, RequestOwner owner, absl::Time now,
                    uint32_t owner_slot) {
  // One search down the owner index: it finds the owner's request of this kind, if any,
  // and where the new one goes.
  const SlotRef<RequestOwner> probe{kind, owner};
  auto slot = by_owner_.lower_bound(probe);
  const bool replaces = slot != by_owner_.end() && !by_owner_.key_comp()(probe, *slot);
  ById& of_kind = OfKind(kind);
  if (replaces) {
    const RequestId given_up = (*slot)->id;  // its answer matches nothing now
    ++slot;
    Erase(of_kind.find(given_up));
  }
  // Ids grow, and so does time: the least id in flight is the first sent (FirstSent).
  GITDEST_ASSERT(of_kind.empty() ||
                 (of_kind.rbegin()->first < id && of_kind.rbegin()->second.request.sent_at <= now));
  const size_t held = of_kind.size();
  const auto it = of_kind.emplace_hint(
      of_kind.end(), id, Entry{Request{id, kind, std::move(owner), now, owner_slot}, {}});
  GITDEST_ASSERT(of_kind.size() == held + 1);  // ids are never reused
  it->second.slot = by_owner_.insert(slot, &it->second.request);
  ++in_flight_[Index(kind)];
  return replaces;
}

Request Requests::Take(ById::iterator it) {
  Request request = std::move(it->second.request);  // the index erases by position: no compare
  Erase(it);
  return request;
}

const Request* Requests::FirstSent(RequestKind kind) const {
  const ById& of_kind = OfKind(kind);
  return of_kind.empty() ? nullptr : &of_kind.begin()->second.request;
}

void Requests::ForgetOwner(const RequestOwner& owner) {
  for (RequestKind kind : {RequestKind::kMetadataRead, RequestKind::kPush, RequestKind::kList,
                           RequestKind::kStatusWrite}) {
    Forget(kind, owner);
  }
}

void Requests::Clear() {
  by_id_ = {};
  by_owner_.clear();
  in_flight_ = {};
}

}  // namespace gitdest::core
