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

void Requests::Sent(RequestId id, RequestKind kind, RequestOwner owner, absl::Time now) {
  GITDEST_ASSERT(!by_id_.contains(id));  // ids are never reused
  auto slot = by_owner_.find(SlotRef<RequestOwner>{kind, owner});
  if (slot != by_owner_.end()) {
    by_id_.erase(slot->second);  // given up on: its answer matches nothing now
    slot->second = id;
  } else {
    by_owner_.emplace(Slot{kind, owner}, id);
  }
  by_id_.emplace(id, Request{id, kind, std::move(owner), now});
}

std::optional<Request> Requests::Answer(RequestId id, RequestKind kind, const RequestOwner* owner) {
  auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second.kind != kind) return std::nullopt;
  if (owner != nullptr && it->second.owner != *owner) return std::nullopt;
  Request request = std::move(it->second);
  by_id_.erase(it);
  auto slot = by_owner_.find(SlotRef<RequestOwner>{request.kind, request.owner});
  GITDEST_ASSERT(slot != by_owner_.end());
  GITDEST_ASSERT(slot->second == id);
  by_owner_.erase(slot);
  return request;
}

bool Requests::AnyInFlight(RequestKind kind) const {
  const WorkerKey least;  // the least owner of any kind
  auto it = by_owner_.lower_bound(SlotRef<WorkerKey>{kind, least});
  return it != by_owner_.end() && it->first.first == kind;
}

size_t Requests::CountInFlight(RequestKind kind) const {
  const WorkerKey least;
  size_t count = 0;
  for (auto it = by_owner_.lower_bound(SlotRef<WorkerKey>{kind, least});
       it != by_owner_.end() && it->first.first == kind; ++it) {
    ++count;
  }
  return count;
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
}

}  // namespace gitdest::core
