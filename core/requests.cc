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
  for (const auto& [id, request] : by_id_) {
    by_owner_.insert(&request);
    ++in_flight_[Index(request.kind)];
  }
}

void Requests::Sent(RequestId id, RequestKind kind, RequestOwner owner, absl::Time now) {
  auto slot = by_owner_.find(SlotRef<RequestOwner>{kind, owner});
  if (slot != by_owner_.end()) {
    const RequestId given_up = (*slot)->id;  // its answer matches nothing now
    slot = by_owner_.erase(slot);
    by_id_.erase(given_up);
    --in_flight_[Index(kind)];
  }
  // Ids grow, and so does time: the least id in flight is the first sent (FirstSent).
  GITDEST_ASSERT(by_id_.empty() ||
                 (by_id_.rbegin()->first < id && by_id_.rbegin()->second.sent_at <= now));
  const size_t held = by_id_.size();
  const auto it = by_id_.emplace_hint(by_id_.end(), id, Request{id, kind, std::move(owner), now});
  GITDEST_ASSERT(by_id_.size() == held + 1);  // ids are never reused
  by_owner_.insert(slot, &it->second);
  ++in_flight_[Index(kind)];
}

std::optional<Request> Requests::Answer(RequestId id, RequestKind kind, const RequestOwner* owner) {
  auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second.kind != kind) return std::nullopt;
  if (owner != nullptr && it->second.owner != *owner) return std::nullopt;
  auto slot = by_owner_.find(&it->second);
  GITDEST_ASSERT(slot != by_owner_.end() && *slot == &it->second);
  by_owner_.erase(slot);
  --in_flight_[Index(kind)];
  Request request = std::move(it->second);
  by_id_.erase(it);
  return request;
}

const Request* Requests::FirstSent(RequestKind kind) const {
  if (CountInFlight(kind) == 0) return nullptr;
  for (const auto& [id, request] : by_id_) {
    if (request.kind == kind) return &request;
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
