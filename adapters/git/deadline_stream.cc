#include "adapters/git/deadline_stream.h"

#include <fcntl.h>
#include <git2.h>
#include <git2/sys/stream.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace gitdest::git {
namespace {

// The operation on this thread: its deadline, and whether a connection hit it.
struct Operation {
  absl::Time deadline = absl::InfiniteFuture();
  std::atomic<bool> expired{false};
};
thread_local std::shared_ptr<Operation> current_operation;

// Shuts sockets down at their operation's deadline, so that a read blocked in libssh2
// returns. Sockets are registered while open.
class Watchdog {
 public:
  static Watchdog& Get() {
    static Watchdog* watchdog = new Watchdog();  // never destroyed: detached thread
    return *watchdog;
  }
  void Watch(int fd, std::shared_ptr<Operation> op) {
    std::lock_guard lock(mu_);
    sockets_[fd] = std::move(op);
    wake_.notify_one();
  }
  void Forget(int fd) {
    std::lock_guard lock(mu_);
    sockets_.erase(fd);
  }

 private:
  Watchdog() {
    std::thread([this] { Run(); }).detach();
  }
  void Run() {
    std::unique_lock lock(mu_);
    for (;;) {
      absl::Time next = absl::InfiniteFuture();
      const absl::Time now = absl::Now();
      for (auto& [fd, op] : sockets_) {
        if (op->deadline <= now) {
          op->expired = true;
          shutdown(fd, SHUT_RDWR);  // the fd stays open (and registered) until closed
        } else {
          next = std::min(next, op->deadline);
        }
      }
      if (next == absl::InfiniteFuture()) {
        wake_.wait(lock);
      } else {
        wake_.wait_for(lock, absl::ToChronoNanoseconds(next - now + absl::Milliseconds(1)));
      }
    }
  }
  std::mutex mu_;
  std::condition_variable wake_;
  std::map<int, std::shared_ptr<Operation>> sockets_;
};

// Writes wait here until libgit2 next reads (or this much piles up), then go out in one
// send. TLS makes a record of each write libgit2 makes, and libgit2 writes an HTTP chunk
// as three (its size line, its data, its end): hundreds of small writes for one push.
constexpr size_t kUnsentMax = 64 * 1024;

// Laid out as libgit2 1.5's own git_socket_stream (parent, host, port, s): its SSH
// transport takes the socket from a standard stream by that layout (and then reads and
// writes the socket itself, not through Read and Write).
struct DeadlineStream {
  git_stream parent;
  char* host;
  char* port;
  int s;
  std::shared_ptr<Operation>* op;  // owned: deleted in Free
  std::string* unsent;             // owned: deleted in Free
};

DeadlineStream* Self(git_stream* stream) { return reinterpret_cast<DeadlineStream*>(stream); }

int Fail(DeadlineStream* self, const char* what) {
  if ((*self->op)->expired || absl::Now() >= (*self->op)->deadline) {
    (*self->op)->expired = true;
    git_error_set_str(GIT_ERROR_NET, absl::StrCat(what, " ", self->host, ":", self->port,
                                                  ": no answer before the deadline")
                                         .c_str());
  } else {
    git_error_set_str(
        GIT_ERROR_NET,
        absl::StrCat(what, " ", self->host, ":", self->port, ": ", strerror(errno)).c_str());
  }
  return -1;
}

// Waits until `fd` is ready for `events` or the deadline passes; false on timeout.
bool WaitReady(DeadlineStream* self, short events) {
  for (;;) {
    const absl::Duration left = (*self->op)->deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd p{self->s, events, 0};
    const int ms = left == absl::InfiniteDuration()
                       ? -1
                       : static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1,
                                                            int64_t{1} << 30));
    const int rc = poll(&p, 1, ms);
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return true;  // let the call report the error
  }
}

int TryConnect(DeadlineStream* self, const addrinfo* ai) {
  const int fd =
      socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) return -1;
  self->s = fd;
  // Without this, Nagle's algorithm holds a small write back until the previous one is
  // acknowledged, and the server delays that acknowledgement (40 ms on Linux) while it
  // waits for the rest of a message: the TLS handshake and each request's end stalled.
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return 0;
  if (errno == EINPROGRESS && WaitReady(self, POLLOUT)) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) return 0;
    errno = err;
  }
  const int saved = errno;
  close(fd);
  self->s = -1;
  errno = saved;
  return -1;
}

int Connect(git_stream* stream) {
  DeadlineStream* self = Self(stream);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(self->host, self->port, &hints, &found); rc != 0) {
    git_error_set_str(GIT_ERROR_NET,
                      absl::StrCat("resolving ", self->host, ": ", gai_strerror(rc)).c_str());
    return -1;
  }
  int rc = -1;
  for (const addrinfo* ai = found; ai != nullptr && rc != 0; ai = ai->ai_next) {
    rc = TryConnect(self, ai);
  }
  freeaddrinfo(found);
  if (rc != 0) return Fail(self, "connecting to");
  Watchdog::Get().Watch(self->s, *self->op);
  return 0;
}

// Sends `len` bytes, waiting for room until the deadline.
int SendAll(DeadlineStream* self, const char* data, size_t len) {
  size_t done = 0;
  while (done < len) {
    const ssize_t n = send(self->s, data + done, len - done, MSG_NOSIGNAL);
    if (n >= 0) {
      done += static_cast<size_t>(n);
    } else if (errno != EAGAIN && errno != EINTR) {
      return Fail(self, "writing to");
    } else if (!WaitReady(self, POLLOUT)) {
      return Fail(self, "writing to");
    }
  }
  return 0;
}

int Flush(DeadlineStream* self) {
  if (self->unsent->empty()) return 0;
  const int rc = SendAll(self, self->unsent->data(), self->unsent->size());
  self->unsent->clear();
  return rc;
}

ssize_t Read(git_stream* stream, void* data, size_t len) {
  DeadlineStream* self = Self(stream);
  if (Flush(self) < 0) return -1;  // the answer awaited may depend on it
  for (;;) {
    const ssize_t n = recv(self->s, data, len, 0);
    if (n >= 0) return n;
    if (errno != EAGAIN && errno != EINTR) return Fail(self, "reading from");
    if (!WaitReady(self, POLLIN)) return Fail(self, "reading from");
  }
}

ssize_t Write(git_stream* stream, const char* data, size_t len, int /*flags*/) {
  DeadlineStream* self = Self(stream);
  self->unsent->append(data, len);
  if (self->unsent->size() >= kUnsentMax && Flush(self) < 0) return -1;
  return static_cast<ssize_t>(len);
}

int Close(git_stream* stream) {
  DeadlineStream* self = Self(stream);
  if (self->s >= 0) {
    // What is left is a goodbye (TLS close_notify): sent if it goes at once, never waited on.
    if (!self->unsent->empty()) {
      (void)send(self->s, self->unsent->data(), self->unsent->size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    Watchdog::Get().Forget(self->s);  // before the number can be reused
    close(self->s);
    self->s = -1;
  }
  self->unsent->clear();
  return 0;
}

void Free(git_stream* stream) {
  DeadlineStream* self = Self(stream);
  Close(stream);
  free(self->host);
  free(self->port);
  delete self->op;
  delete self->unsent;
  delete self;
}

int Init(git_stream** out, const char* host, const char* port) {
  auto* self = new DeadlineStream{};
  self->parent.version = GIT_STREAM_VERSION;
  self->parent.connect = Connect;
  self->parent.read = Read;
  self->parent.write = Write;
  self->parent.close = Close;
  self->parent.free = Free;
  self->host = strdup(host);
  self->port = strdup(port);
  self->s = -1;
  if (!current_operation) current_operation = std::make_shared<Operation>();
  self->op = new std::shared_ptr<Operation>(current_operation);
  self->unsent = new std::string();
  *out = &self->parent;
  return 0;
}

}  // namespace

void RegisterDeadlineStream() {
  git_stream_registration registration{};
  registration.version = GIT_STREAM_VERSION;
  registration.init = Init;
  git_stream_register(GIT_STREAM_STANDARD, &registration);
}

ScopedNetworkDeadline::ScopedNetworkDeadline(absl::Time deadline) {
  current_operation = std::make_shared<Operation>();
  current_operation->deadline = deadline;
}

ScopedNetworkDeadline::~ScopedNetworkDeadline() { current_operation.reset(); }

bool NetworkDeadlineExpired() { return current_operation && current_operation->expired; }

}  // namespace gitdest::git
