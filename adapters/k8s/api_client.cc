#include "adapters/k8s/api_client.h"

#include <curl/curl.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <future>
#include <list>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "adapters/k8s/rate_limiter.h"
#include "nlohmann/json.hpp"

namespace gitdest::k8s {
namespace {

absl::Status FromHttp(long status, std::string message) {
  if (status >= 200 && status < 300) return absl::OkStatus();
  switch (status) {
    case 400:
    case 422:
      return absl::InvalidArgumentError(message);
    case 401:
      return absl::UnauthenticatedError(message);
    case 403:
      return absl::PermissionDeniedError(message);
    case 404:
      return absl::NotFoundError(message);
    case 409:
      return absl::AbortedError(message);
    case 410:
      return absl::OutOfRangeError(message);
    default:
      return absl::UnavailableError(message);
  }
}

// One transfer on the multi handle: a call (the body collected, a promise kept) or a
// watch (lines handed out as they arrive).
struct Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string request_body;
  ApiResponse response;
  std::string partial_line;
  ApiClient::LineFn on_line;  // set: a watch
  ApiClient::EndFn on_end;
  std::promise<absl::StatusOr<ApiResponse>> result;  // a call's
  bool cancelled = false;
  uint64_t id = 0;  // names it to Cancel: an address may be reused once it is freed
};

size_t OnData(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (!t->on_line) {
    t->response.body.append(data, n);
    return n;
  }
  long status = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 300) {  // an error body, not a stream of events
    t->response.body.append(data, n);
    return n;
  }
  t->partial_line.append(data, n);
  size_t start = 0;
  for (size_t nl; (nl = t->partial_line.find('\n', start)) != std::string::npos; start = nl + 1) {
    if (nl > start) t->on_line(std::string_view(t->partial_line).substr(start, nl - start));
  }
  t->partial_line.erase(0, start);
  return n;
}

class CurlApiClient final : public ApiClient {
 public:
  CurlApiClient(KubeConfig config, Options options)
      : config_(std::move(config)),
        options_(std::move(options)),
        limiter_(options_.qps, options_.burst),
        multi_(curl_multi_init()) {
    curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    loop_ = std::thread([this] { Loop(); });
  }
  ~CurlApiClient() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    curl_multi_wakeup(multi_);
    loop_.join();
    curl_multi_cleanup(multi_);
  }

  absl::StatusOr<ApiResponse> Call(const ApiRequest& request, absl::Duration timeout) override {
    if (!limiter_.Wait(timeout)) {
      return absl::DeadlineExceededError(
          absl::StrCat(request.method, " ", request.path,
                       ": the client-side rate limit (--kube-api-qps) "
                       "left no room within ",
                       absl::FormatDuration(timeout)));
    }
    auto t = std::make_unique<Transfer>();
    Prepare(*t, request.method, request.path, request.body, request.content_type);
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(timeout)));
    auto future = t->result.get_future();
    Submit(std::move(t));
    return future.get();
  }

  std::unique_ptr<Stream> Watch(const std::string& path, LineFn on_line, EndFn on_end) override {
    auto t = std::make_unique<Transfer>();
    Prepare(*t, "GET", path, "", "");
    t->on_line = std::move(on_line);
    t->on_end = std::move(on_end);
    const uint64_t id = t->id;
    Submit(std::move(t));
    return std::make_unique<WatchHandle>(this, id);
  }

  int64_t ConnectionsOpened() const override {
    std::lock_guard lock(mu_);
    return connections_;
  }
  const std::string& server() const override { return config_.server; }

 private:
  class WatchHandle final : public Stream {
   public:
    WatchHandle(CurlApiClient* client, uint64_t id) : client_(client), id_(id) {}
    ~WatchHandle() override { client_->Cancel(id_); }

   private:
    CurlApiClient* client_;
    uint64_t id_;
  };

  void Prepare(Transfer& t, const std::string& method, const std::string& path,
               const std::string& body, const std::string& content_type) {
    t.id = next_id_.fetch_add(1);
    t.easy = curl_easy_init();
    CURL* e = t.easy;
    curl_easy_setopt(e, CURLOPT_URL, (config_.server + path).c_str());
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);  // wait for the shared connection's h2
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
    curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnData);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
    SetTls(e);
    if (method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method.c_str());
      t.request_body = body;
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.request_body.c_str());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(t.request_body.size()));
    }
    t.headers = curl_slist_append(t.headers, "Accept: application/json");
    if (!content_type.empty()) {
      t.headers = curl_slist_append(t.headers, ("Content-Type: " + content_type).c_str());
    }
    if (const std::string token = Token(); !token.empty()) {
      t.headers = curl_slist_append(t.headers, ("Authorization: Bearer " + token).c_str());
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
  }

  void SetTls(CURL* e) {
    auto blob = [](const std::string& pem) {
      curl_blob b{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_NOCOPY};
      return b;
    };
    if (!config_.ca_pem.empty()) {
      curl_blob ca = blob(config_.ca_pem);
      curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &ca);
    }
    if (!config_.client_cert_pem.empty()) {
      curl_blob cert = blob(config_.client_cert_pem);
      curl_blob key = blob(config_.client_key_pem);
      curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cert);
      curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
      curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &key);
      curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    }
  }

  // The bearer token: the file again each time (a projected token rotates).
  std::string Token() const {
    if (config_.token_file.empty()) return config_.bearer_token;
    std::ifstream in(config_.token_file);
    std::ostringstream text;
    text << in.rdbuf();
    return std::string(absl::StripAsciiWhitespace(text.str()));
  }

  void Submit(std::unique_ptr<Transfer> t) {
    {
      std::lock_guard lock(mu_);
      if (stop_) {
        Finish(std::move(t), absl::CancelledError("the API client is shutting down"));
        return;
      }
      pending_.push_back(std::move(t));
    }
    curl_multi_wakeup(multi_);
  }

  // Returns once the loop has let go of the transfer: no callback of it runs any more.
  void Cancel(uint64_t id) {
    std::unique_lock lock(mu_);
    cancels_.push_back(id);
    curl_multi_wakeup(multi_);
    cancelled_cv_.wait(lock, [&] { return !Active(id) && finishing_ != id; });
  }
  bool Active(uint64_t id) const {
    for (const auto& a : active_) {
      if (a->id == id) return true;
    }
    for (const auto& p : pending_) {
      if (p->id == id) return true;
    }
    return false;
  }

  void Loop();
  void TakeSubmissions();
  void Reap();
  void Finish(std::unique_ptr<Transfer> t, absl::Status transport);

  KubeConfig config_;
  Options options_;
  RateLimiter limiter_;
  CURLM* multi_;
  std::thread loop_;
  mutable std::mutex mu_;
  std::condition_variable cancelled_cv_;
  bool stop_ = false;
  std::deque<std::unique_ptr<Transfer>> pending_;
  std::vector<uint64_t> cancels_;
  uint64_t finishing_ = 0;  // the transfer whose end callback runs now (0: none)
  std::atomic<uint64_t> next_id_{1};
  std::list<std::unique_ptr<Transfer>> active_;  // guarded by mu_; touched by the loop
  int64_t connections_ = 0;
};

void CurlApiClient::Loop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    TakeSubmissions();
    int running = 0;
    curl_multi_perform(multi_, &running);
    Reap();
    curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
  }
  std::unique_lock lock(mu_);
  auto active = std::move(active_);
  auto pending = std::move(pending_);
  lock.unlock();
  for (auto& t : active) {
    curl_multi_remove_handle(multi_, t->easy);
    Finish(std::move(t), absl::CancelledError("the API client is shutting down"));
  }
  for (auto& t : pending) Finish(std::move(t), absl::CancelledError("shutting down"));
  cancelled_cv_.notify_all();
}

void CurlApiClient::TakeSubmissions() {
  std::vector<std::unique_ptr<Transfer>> cancelled;
  {
    std::lock_guard lock(mu_);
    while (!pending_.empty()) {
      curl_multi_add_handle(multi_, pending_.front()->easy);
      active_.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
    for (uint64_t c : cancels_) {
      for (auto it = active_.begin(); it != active_.end(); ++it) {
        if ((*it)->id != c) continue;
        curl_multi_remove_handle(multi_, (*it)->easy);
        (*it)->cancelled = true;
        cancelled.push_back(std::move(*it));
        active_.erase(it);
        break;
      }
    }
    cancels_.clear();
  }
  for (auto& t : cancelled) Finish(std::move(t), absl::CancelledError("watch stopped"));
  if (!cancelled.empty()) cancelled_cv_.notify_all();
}

void CurlApiClient::Reap() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    std::unique_ptr<Transfer> done;
    {
      std::lock_guard lock(mu_);
      for (auto it = active_.begin(); it != active_.end(); ++it) {
        if ((*it)->easy != msg->easy_handle) continue;
        done = std::move(*it);
        finishing_ = done->id;
        active_.erase(it);
        break;
      }
      long opened = 0;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_NUM_CONNECTS, &opened);
      connections_ += opened;
    }
    const CURLcode code = msg->data.result;
    curl_multi_remove_handle(multi_, msg->easy_handle);
    absl::Status transport;
    if (code == CURLE_OPERATION_TIMEDOUT) {
      transport = absl::DeadlineExceededError(absl::StrCat(
          "no answer from ", config_.server, " in time (", curl_easy_strerror(code), ")"));
    } else if (code != CURLE_OK) {
      transport = absl::UnavailableError(absl::StrCat(
          "cannot reach the API server ", config_.server, ": ", curl_easy_strerror(code)));
    }
    if (done) Finish(std::move(done), transport);
    {
      std::lock_guard lock(mu_);
      finishing_ = 0;
    }
    cancelled_cv_.notify_all();
  }
}

void CurlApiClient::Finish(std::unique_ptr<Transfer> t, absl::Status transport) {
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->response.status);
  if (t->on_end) {
    if (!t->cancelled) {
      if (transport.ok() && t->response.status >= 300) {
        transport = StatusFromResponse(t->response, "watch");
      }
      t->on_end(transport);
    }
  } else if (transport.ok()) {
    t->result.set_value(std::move(t->response));
  } else {
    t->result.set_value(transport);
  }
  curl_slist_free_all(t->headers);
  curl_easy_cleanup(t->easy);
}

}  // namespace

absl::Status StatusFromResponse(const ApiResponse& response, absl::string_view what) {
  if (response.status >= 200 && response.status < 300) return absl::OkStatus();
  std::string message;
  const nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    message = body["message"].get<std::string>();
  } else {
    message = absl::StrCat("HTTP ", response.status);
  }
  return FromHttp(response.status, absl::StrCat(what, ": ", message));
}

absl::StatusOr<std::unique_ptr<ApiClient>> ApiClient::Create(KubeConfig config, Options options) {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) return absl::InternalError("libcurl failed to initialize");
  if (!absl::StartsWith(config.server, "https://") && !absl::StartsWith(config.server, "http://")) {
    return absl::InvalidArgumentError(
        absl::StrCat(config.origin, ": server \"", config.server, "\" is not an http(s) URL"));
  }
  return std::unique_ptr<ApiClient>(new CurlApiClient(std::move(config), std::move(options)));
}

}  // namespace gitdest::k8s
