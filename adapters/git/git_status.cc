#include "adapters/git/git_status.h"

#include <git2.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/git/deadline_stream.h"
#include "core/naming/repo_url.h"

namespace gitdest::git {
namespace {

bool LooksLikeNotFound(absl::string_view message) {
  return absl::StrContains(message, "404") || absl::StrContains(message, "not found") ||
         absl::StrContains(message, "does not appear to be a git repository") ||
         absl::StrContains(message, "could not find repository") ||
         absl::StrContains(message, "failed to resolve path");
}

absl::StatusCode CodeOf(int rc, int klass, absl::string_view message) {
  if (NetworkDeadlineExpired()) return absl::StatusCode::kDeadlineExceeded;
  if (rc == GIT_EAUTH || absl::StrContains(message, "401") ||
      absl::StrContains(message, "authentication")) {
    return absl::StatusCode::kUnauthenticated;
  }
  if (absl::StrContains(message, "403")) return absl::StatusCode::kPermissionDenied;
  if (rc == GIT_ECERTIFICATE) return absl::StatusCode::kUnavailable;
  switch (klass) {
    case GIT_ERROR_NET:
    case GIT_ERROR_SSL:
    case GIT_ERROR_SSH:
    case GIT_ERROR_HTTP:
      return LooksLikeNotFound(message) ? absl::StatusCode::kNotFound
                                        : absl::StatusCode::kUnavailable;
    case GIT_ERROR_ODB:
      // An object missing or unreadable in a local object database (a ref of the cache
      // names a commit its packs no longer hold): the cache does not read back.
      return absl::StatusCode::kInternal;
    default:
      break;
  }
  if (rc == GIT_ENOTFOUND || LooksLikeNotFound(message)) return absl::StatusCode::kNotFound;
  return absl::StatusCode::kInternal;
}

}  // namespace

std::string RedactMessage(absl::string_view text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t scheme = text.find("://", pos);
    if (scheme == absl::string_view::npos) break;
    size_t end = scheme + 3;
    while (end < text.size() && text[end] != ' ' && text[end] != '\'' && text[end] != '"') ++end;
    absl::StrAppend(&out, text.substr(pos, scheme + 3 - pos));
    const std::string url = core::RedactUrl(absl::StrCat("x", text.substr(scheme, end - scheme)));
    absl::StrAppend(&out, absl::string_view(url).substr(4));
    pos = end;
  }
  absl::StrAppend(&out, text.substr(pos));
  return out;
}

absl::Status FromLibgit2(int rc, absl::string_view what) {
  const git_error* error = git_error_last();
  const std::string message =
      RedactMessage(error != nullptr && error->message != nullptr ? error->message : "");
  const int klass = error != nullptr ? error->klass : GIT_ERROR_NONE;
  return absl::Status(CodeOf(rc, klass, message),
                      message.empty() ? std::string(what) : absl::StrCat(what, ": ", message));
}

}  // namespace gitdest::git
