// What the controller knows of each captured object's version. The watch's reports order
// its events (a late or duplicate event changes nothing) and keep an older list from
// overwriting a newer event. A resync list may also be ahead of the watch: it shows an
// object (or a version) no event has reported yet. Normally the event follows within
// moments; but an object created and deleted while the watch was away (its events
// compacted before it resumed) is never reported at all, and its file, written from the
// list, would stay. The informer's relist that ends the gap says which objects are alive:
// one written from a list and not among them is deleted then.
#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/controller.h"
#include "core/resource_version.h"

namespace gitdest::core {
namespace {

// `a` is known to be no newer than `b`: equal, or both decimal revisions and `a` older.
bool NotNewer(const std::string& a, const std::string& b) {
  return a == b || ResourceVersionOlder(a, b);
}

bool OfType(const ResourceId& id, const GroupVersionResource& type) {
  return id.group == type.group && id.version == type.version && id.resource == type.resource;
}

}  // namespace

bool Controller::Watches(const ResourceId& object) const {
  if (!watched_) return false;
  // A few types at most: compared in place, as no key is built for every event.
  return std::any_of(watched_->begin(), watched_->end(),
                     [&](const GroupVersionResource& type) { return OfType(object, type); });
}

bool Controller::RecordVersion(const ObjectChanged& in) {
  auto [it, inserted] = object_versions_.try_emplace(in.object);
  ObjectVersion& known = it->second;
  if (!inserted) {
    if (ResourceVersionOlder(in.resource_version, known.resource_version)) return false;
    if (known.deleted && in.op == ChangeOp::kDelete) return false;  // a relist's tombstone
    const bool same = !in.resource_version.empty() &&
                      in.resource_version == known.resource_version && in.uid == known.uid &&
                      (in.op == ChangeOp::kDelete) == known.deleted;
    if (same) return false;
  }
  // In place: the strings keep their buffers (a uid is too long to be stored inline).
  known.uid = in.uid;
  known.resource_version = in.resource_version;
  known.deleted = in.op == ChangeOp::kDelete;
  return true;
}

bool Controller::NewerThanListed(const CapturedObject& listed) const {
  auto it = object_versions_.find(listed.resource);
  // resourceVersions are revisions of the whole store: comparable across incarnations.
  return it != object_versions_.end() &&
         ResourceVersionOlder(listed.resource_version, it->second.resource_version);
}

// A tombstone orders a list that may predate the delete; once no list is in flight,
// every later list is newer than it.
void Controller::PruneTombstones() {
  if (requests_.AnyInFlight(RequestKind::kList)) return;
  absl::erase_if(object_versions_, [](const auto& entry) { return entry.second.deleted; });
}

void Controller::NoteListedAhead(const CapturedObject& listed) {
  if (!Watches(listed.resource)) {
    return;  // no informer lists it (a type no longer served): no relist will come for it
  }
  auto known = object_versions_.find(listed.resource);
  if (known != object_versions_.end() &&
      NotNewer(listed.resource_version, known->second.resource_version)) {
    return;  // the watch has reported this version, or a newer one
  }
  ObjectVersion& ahead = listed_ahead_[listed.resource];
  if (!ahead.resource_version.empty() &&
      NotNewer(listed.resource_version, ahead.resource_version)) {
    return;
  }
  ahead.uid = listed.uid;
  ahead.resource_version = listed.resource_version;
}

// The watch caught up: it reports the version a list wrote, or a newer one (a delete too).
void Controller::ConfirmListedAhead(const ObjectChanged& in) {
  if (listed_ahead_.empty()) return;
  auto it = listed_ahead_.find(in.object);
  if (it != listed_ahead_.end() &&
      !ResourceVersionOlder(in.resource_version, it->second.resource_version)) {
    listed_ahead_.erase(it);
  }
}

// Every object alive at the relist's version was delivered before it, which confirmed
// it: what is still ahead at a version no newer was deleted unseen. Its delete is taken
// as an event at the relist's version, routed like any other.
void Controller::OnWatchRelisted(const WatchRelisted& in, absl::Time now) {
  std::vector<ObjectChanged> gone;
  for (auto it = listed_ahead_.begin(); it != listed_ahead_.end();) {
    if (!OfType(it->first, in.gvr) || !NotNewer(it->second.resource_version, in.resource_version)) {
      ++it;
      continue;
    }
    gone.push_back(ObjectChanged{it->first, it->second.uid, in.resource_version, ChangeOp::kDelete,
                                 "", kResyncAuthor});
    it = listed_ahead_.erase(it);
  }
  for (const ObjectChanged& change : gone) OnObjectChanged(change, now);
}

// Only while the watch is behind: a version newer than the watch reported, of a watched type.
absl::Status Controller::CheckListedAhead() const {
  for (const auto& [id, ahead] : listed_ahead_) {
    auto known = object_versions_.find(id);
    const bool caught_up = known != object_versions_.end() &&
                           NotNewer(ahead.resource_version, known->second.resource_version);
    const bool watched = Watches(id);
    if (ahead.deleted || caught_up || !watched) {
      return absl::InternalError(absl::StrCat("listed ahead: ", id.group, "/", id.version, "/",
                                              id.resource, " ", id.namespace_, "/", id.name, " at ",
                                              ahead.resource_version,
                                              caught_up  ? " is reported by the watch"
                                              : !watched ? " is of a type not watched"
                                                         : " is a tombstone"));
    }
  }
  return absl::OkStatus();
}

}  // namespace gitdest::core
