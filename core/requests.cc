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
  for (auto& [id, entry] : by_id_) {
    entry.slot = by_owner_.insert(&entry.request).first;
    ++in_flight_[Index(entry.request.kind)];
  }
}

void Requests::Erase(std::map<RequestId, Entry>::iterator it) {
  by_owner_.erase(it->second.slot);
  --in_flight_[Index(it->second.request.kind)];
  by_id_.erase(it);
}

bool Requests::Sent(RequestId id, RequestKind kind, RequestOwner owner, absl::Time now) {
  // One search down the owner index: it finds the owner's request of this kind, if any,
  // and where the new one goes.
  const SlotRef<RequestOwner> probe{kind, owner};
  auto slot = by_owner_.lower_bound(probe);
  const bool replaces = slot != by_owner_.end() && !by_owner_.key_comp()(probe, *slot);
  if (replaces) {
    const RequestId given_up = (*slot)->id;  // its answer matches nothing now
    ++slot;
    Erase(by_id_.find(given_up));
  }
  // Ids grow, and so does time: the least id in flight is the first sent (FirstSent).
  GITDEST_ASSERT(by_id_.empty() ||
                 (by_id_.rbegin()->first < id && by_id_.rbegin()->second.request.sent_at <= now));
  const size_t held = by_id_.size();
  const auto it =
      by_id_.emplace_hint(by_id_.end(), id, Entry{Request{id, kind, std::move(owner), now}, {}});
  GITDEST_ASSERT(by_id_.size() == held + 1);  // ids are never reused
  it->second.slot = by_owner_.insert(slot, &it->second.request);
  ++in_flight_[Index(kind)];
  return replaces;
}

Request Requests::Take(std::map<RequestId, Entry>::iterator it) {
  Request request = std::move(it->second.request);  // the index erases by position: no compare
  Erase(it);
  return request;
}

const Request* Requests::FirstSent(RequestKind kind) const {
  if (CountInFlight(kind) == 0) return nullptr;
  for (const auto& [id, entry] : by_id_) {
    if (entry.request.kind == kind) return &entry.request;
  }
  return nullptr;
}

void Requests::ForgetOwner(const RequestOwner& owner) {
  for (RequestKind kind : {RequestKind::kMetadataRead, RequestKind::kPush, RequestKind::kList,
                           RequestKind::kStatusWrite}) {
    Forget(kind, owner);
  }
}

void Requests::Clear() {
  by_id_.clear();
  by_owner_.clear();
  in_flight_ = {};
}

}  // namespace gitdest::core
