#include "adapters/k8s/informer.h"

#include <random>
#include <set>

#include "absl/strings/str_cat.h"

namespace gitdest::k8s {
namespace {

std::string KeyString(const nlohmann::json& object) {
  const nlohmann::json& meta = object.value("metadata", nlohmann::json::object());
  return absl::StrCat(meta.value("namespace", ""), "/", meta.value("name", ""));
}

std::string VersionOf(const nlohmann::json& object) {
  return object.value("metadata", nlohmann::json::object()).value("resourceVersion", "");
}

// Where an object's keys are: {"items": [{...}]} and {"type": ..., "object": {...}}.
constexpr int kListItemDepth = 3;
constexpr int kWatchObjectDepth = 2;

std::string Separator(const std::string& path) {
  return path.find('?') == std::string::npos ? "?" : "&";
}

// JSON without the objects' metadata.managedFields, dropped while parsing: they are often
// the larger part of an object, and nothing here reads them. The objects' own keys are at
// `object_depth` (nlohmann's depth: 1 = the top level's keys), so a key of that name
// anywhere else (in a spec, in a ConfigMap's data) is kept.
nlohmann::json ParseWithoutManagedFields(std::string_view text, int object_depth) {
  std::string object_key;  // the object's key being parsed (at object_depth)
  const auto keep = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& value) {
    if (event != nlohmann::json::parse_event_t::key) return true;
    if (depth == object_depth) object_key = value.get<std::string>();
    return !(depth == object_depth + 1 && object_key == "metadata" && value == "managedFields");
  };
  return nlohmann::json::parse(text, keep, false);
}

}  // namespace

Informer::Informer(ApiClient& client, std::string collection, Handlers handlers, Options options)
    : client_(&client),
      collection_(std::move(collection)),
      handlers_(std::move(handlers)),
      options_(options) {}

Informer::~Informer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Informer::Start() {
  thread_ = std::thread([this] { Run(); });
}

bool Informer::SleepUnlessStopped(absl::Duration d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, absl::ToChronoMilliseconds(d), [&] { return stop_; });
}

void Informer::Run() {
  std::minstd_rand jitter(std::random_device{}());
  absl::Duration backoff = absl::Seconds(1);
  bool need_list = true;
  for (;;) {
    absl::Status status = need_list ? List() : WatchOnce();
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    if (need_list && status.ok()) {
      need_list = false;
      backoff = absl::Seconds(1);
      continue;
    }
    if (status.ok()) continue;  // the server ended the watch: resume from where it was
    need_list = need_list || absl::IsOutOfRange(status);
    if (absl::IsOutOfRange(status)) continue;  // 410 Gone: list again at once
    if (handlers_.trouble) handlers_.trouble(status);
    const double factor = 0.5 + std::uniform_real_distribution<double>(0, 1)(jitter);
    if (!SleepUnlessStopped(backoff * factor)) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::Status Informer::List() {
  lists_.fetch_add(1);
  // Keys only: each page's objects are handed over as it arrives, so that no more than
  // one page is ever held, however large the collection.
  std::set<std::string> listed;
  std::string cont;
  std::string version;
  do {
    auto page = ListPage(cont);
    if (!page.ok()) return page.status();
    for (const nlohmann::json& item : (*page)["items"]) {
      std::string key = KeyString(item);
      listed.insert(key);
      Deliver(std::move(key), item);
    }
    const nlohmann::json& meta = page->value("metadata", nlohmann::json::object());
    cont = meta.value("continue", "");
    version = meta.value("resourceVersion", "");
  } while (!cont.empty());
  ReportVanished(listed);
  resource_version_ = version;
  if (handlers_.listed) handlers_.listed(version);
  if (!synced_.exchange(true) && handlers_.synced) handlers_.synced();
  return absl::OkStatus();
}

void Informer::Deliver(std::string key, const nlohmann::json& object) {
  const bool is_new = known_.insert_or_assign(std::move(key), VersionOf(object)).second;
  if (is_new && handlers_.added) return handlers_.added(object);
  handlers_.upsert(object);
}

absl::StatusOr<nlohmann::json> Informer::ListPage(const std::string& cont) {
  std::string path =
      absl::StrCat(collection_, Separator(collection_), "limit=", options_.page_size);
  if (!cont.empty()) absl::StrAppend(&path, "&continue=", cont);
  auto response = client_->Call({.path = path}, options_.request_timeout);
  if (!response.ok()) return response.status();
  if (auto s = StatusFromResponse(*response, absl::StrCat("list ", collection_)); !s.ok()) {
    return s;
  }
  nlohmann::json body = ParseWithoutManagedFields(response->body, kListItemDepth);
  if (!body.is_object() || !body.contains("items") || !body["items"].is_array()) {
    return absl::UnavailableError(absl::StrCat("list ", collection_, ": not a list"));
  }
  return body;
}

// What vanished between the last list or watch and this list was deleted.
void Informer::ReportVanished(const std::set<std::string>& listed) {
  for (auto it = known_.begin(); it != known_.end();) {
    if (listed.count(it->first) > 0) {
      ++it;
      continue;
    }
    nlohmann::json gone = {{"metadata", nlohmann::json::object()}};
    const size_t slash = it->first.find('/');
    gone["metadata"]["namespace"] = it->first.substr(0, slash);
    gone["metadata"]["name"] = it->first.substr(slash + 1);
    gone["metadata"]["resourceVersion"] = it->second;
    handlers_.remove(gone);
    it = known_.erase(it);
  }
}

absl::Status Informer::WatchOnce() {
  {
    std::lock_guard lock(mu_);
    lines_.clear();
    stream_ended_ = false;
  }
  std::minstd_rand pick(std::random_device{}());
  // The server ends a watch after this; a fresh one re-checks the connection.
  const int timeout_s = 300 + static_cast<int>(pick() % 300);
  const std::string path =
      absl::StrCat(collection_, Separator(collection_), "watch=1&allowWatchBookmarks=true",
                   "&resourceVersion=", resource_version_, "&timeoutSeconds=", timeout_s);
  auto stream = client_->Watch(
      path,
      [this](std::string_view line) {
        {
          std::lock_guard lock(mu_);
          lines_.emplace_back(line);
        }
        cv_.notify_all();
      },
      [this](absl::Status status) {
        {
          std::lock_guard lock(mu_);
          stream_ended_ = true;
          stream_status_ = std::move(status);
        }
        cv_.notify_all();
      });
  for (;;) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return stop_ || stream_ended_ || !lines_.empty(); });
    if (stop_) return absl::CancelledError("stopped");
    if (lines_.empty()) return stream_status_;
    const std::string line = std::move(lines_.front());
    lines_.pop_front();
    lock.unlock();
    const nlohmann::json event = ParseWithoutManagedFields(line, kWatchObjectDepth);
    if (absl::Status s = HandleEvent(event); !s.ok()) return s;
  }
}

absl::Status Informer::HandleEvent(const nlohmann::json& event) {
  if (!event.is_object() || !event.contains("object") || !event["object"].is_object()) {
    return absl::UnavailableError(absl::StrCat("watch ", collection_, ": malformed event"));
  }
  const std::string type = event.value("type", "");
  const nlohmann::json& object = event["object"];
  if (type == "ERROR") {
    const int code = object.value("code", 0);
    const std::string message = object.value("message", "");
    if (code == 410) return absl::OutOfRangeError(message);
    return absl::UnavailableError(absl::StrCat("watch ", collection_, ": ", message));
  }
  if (const std::string rv = VersionOf(object); !rv.empty()) resource_version_ = rv;
  if (type == "BOOKMARK") return absl::OkStatus();
  const std::string key = KeyString(object);
  if (type == "DELETED") {
    known_.erase(key);
    handlers_.remove(object);
  } else if (type == "ADDED" || type == "MODIFIED") {
    Deliver(key, object);
  }
  return absl::OkStatus();
}

}  // namespace gitdest::k8s
