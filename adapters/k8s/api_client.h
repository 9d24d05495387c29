// HTTP to one Kubernetes API server: every request and every watch of the process
// share one libcurl multi handle on one thread, multiplexed over one HTTP/2 connection
// where the server speaks it (kube-apiserver does, over TLS), not a connection per
// watch. Requests are rate-limited on the client side (QPS and burst, as client-go);
// watches are not, as they are long-lived.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/k8s/kube_config.h"

namespace gitdest::k8s {

struct ApiRequest {
  std::string method = "GET";
  std::string path{};  // "/api/v1/namespaces/ns/events", query included
  std::string body{};  // JSON
  std::string content_type = "application/json";
};

struct ApiResponse {
  long status = 0;  // HTTP status
  std::string body{};
};

// An HTTP status as the port's error codes, with the server's own message (the
// `message` of a metav1.Status body): 401 → Unauthenticated, 403 → PermissionDenied,
// 404 → NotFound, 409 → Aborted, 410 → OutOfRange (a watch's resourceVersion is too
// old), 400/422 → InvalidArgument, 429 and 5xx → Unavailable. OK for 2xx. `what` says
// what was asked ("update status of GitDestination ns/name").
absl::Status StatusFromResponse(const ApiResponse& response, absl::string_view what);

class ApiClient {
 public:
  struct Options {
    double qps = 20;  // requests per second, sustained
    int burst = 30;   // requests allowed at once before QPS applies
    std::string user_agent = "gitdest-controller";
    absl::Duration connect_timeout = absl::Seconds(10);
  };

  // A watch in progress. Destroying it cancels the transfer and returns only when no
  // callback of it runs any more; never destroy one from its own callback.
  class Stream {
   public:
    virtual ~Stream() = default;
  };
  // Each complete line of a streamed body (a watch event), from the client's thread:
  // must return quickly and must not call the client.
  using LineFn = std::function<void(std::string_view line)>;
  // Once, when the stream ends: OK when the server closed it, else why.
  using EndFn = std::function<void(absl::Status)>;

  static absl::StatusOr<std::unique_ptr<ApiClient>> Create(KubeConfig config, Options options);
  virtual ~ApiClient() = default;

  // One request; blocks until it is answered or `timeout` passes (DeadlineExceeded).
  // An HTTP error status is a response (see StatusFromResponse); transport failures are
  // Unavailable. Thread-safe.
  virtual absl::StatusOr<ApiResponse> Call(const ApiRequest& request, absl::Duration timeout) = 0;
  // A streamed GET (`path` with ?watch=1...). Thread-safe.
  virtual std::unique_ptr<Stream> Watch(const std::string& path, LineFn on_line, EndFn on_end) = 0;
  // Connections opened so far (for tests and metrics: 1 while HTTP/2 multiplexes).
  virtual int64_t ConnectionsOpened() const = 0;
  // The server's address, for messages.
  virtual const std::string& server() const = 0;
};

}  // namespace gitdest::k8s
