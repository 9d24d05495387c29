#include "core/requests.h"

#include <algorithm>

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
  for (const ById& of_kind : by_id_) {
    for (const auto& [id, request] : of_kind) by_owner_.push_back(&request);
  }
  std::sort(by_owner_.begin(), by_owner_.end(), SlotLess{});
}

void Requests::Unindex(const Request& request) {
  // While few are in flight, comparing pointers costs less than a search by owner, which
  // compares keys.
  constexpr size_t kScanUpTo = 32;
  const auto slot = by_owner_.size() <= kScanUpTo
                        ? std::find(by_owner_.cbegin(), by_owner_.cend(), &request)
                        : FindSlot(&request);
  GITDEST_ASSERT(slot != by_owner_.end() && *slot == &request);
  by_owner_.erase(slot);
}

void Requests::Erase(ById::iterator it) {
  Unindex(it->second);
  OfKind(it->second.kind).erase(it);
}

bool Requests::Sent(RequestId id, RequestKind kind, RequestOwner owner, absl::Time now,
                    uint32_t owner_slot) {
  // One search of the owner index: it finds the owner's request of this kind, if any,
  // and where the new one goes.
  const SlotRef<RequestOwner> probe{kind, owner};
  auto slot = std::lower_bound(by_owner_.begin(), by_owner_.end(), probe, SlotLess{});
  const bool replaces = slot != by_owner_.end() && !SlotLess{}(probe, *slot);
  ById& of_kind = OfKind(kind);
  if (replaces) {
    of_kind.erase((*slot)->id);  // given up on: its answer matches nothing now
    slot = by_owner_.erase(slot);
  }
  // Ids grow, and so does time: the least id in flight is the first sent (FirstSent).
  GITDEST_ASSERT(of_kind.empty() ||
                 (of_kind.rbegin()->first < id && of_kind.rbegin()->second.sent_at <= now));
  const size_t held = of_kind.size();
  const auto it =
      of_kind.emplace_hint(of_kind.end(), id, Request{id, kind, std::move(owner), now, owner_slot});
  GITDEST_ASSERT(of_kind.size() == held + 1);  // ids are never reused
  by_owner_.insert(slot, &it->second);
  return replaces;
}

Request Requests::Take(ById::iterator it) {
  Unindex(it->second);
  Request request = std::move(it->second);
  OfKind(request.kind).erase(it);
  return request;
}

const Request* Requests::FirstSent(RequestKind kind) const {
  const ById& of_kind = OfKind(kind);
  return of_kind.empty() ? nullptr : &of_kind.begin()->second;
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
}

}  // namespace gitdest::core
