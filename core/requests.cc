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
  ById::node_type node = OfKind(it->second.kind).extract(it);
  if (spares_.size() < kMaxSpares) spares_.push_back(std::move(node));
}

Requests::ById::node_type Requests::NewNode(RequestId id) {
  if (spares_.empty()) {
    ById scratch;  // a node is only made by a map
    return scratch.extract(scratch.try_emplace(id).first);
  }
  ById::node_type node = std::move(spares_.back());
  spares_.pop_back();
  return node;
}

void Requests::Insert(ById& of_kind, ById::node_type node, OwnerIndex::const_iterator slot) {
  const RequestId id = node.key();
  // Ids grow, and so does time: the least id in flight is the first sent (FirstSent).
  GITDEST_ASSERT(of_kind.empty() || (of_kind.rbegin()->first < id &&
                                     of_kind.rbegin()->second.sent_at <= node.mapped().sent_at));
  const size_t held = of_kind.size();
  const auto inserted = of_kind.insert(of_kind.end(), std::move(node));
  GITDEST_ASSERT(of_kind.size() == held + 1);  // ids are never reused
  by_owner_.insert(slot, &inserted->second);
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
