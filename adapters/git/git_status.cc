#include "adapters/git/git_status.h"

#include <git2.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/git/deadline_stream.h"
#include "core/naming/repo_url.h"

namespace gitdest::git {
namespace {

// Whether `message` holds the HTTP status `code` as a number of its own: "401" in
// "unexpected http status code: 401", not inside an object id such as 40116def….
bool HasHttpStatus(absl::string_view message, absl::string_view code) {
  const auto is_word = [](char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); };
  for (size_t at = message.find(code); at != absl::string_view::npos;
       at = message.find(code, at + 1)) {
    const size_t end = at + code.size();
    if ((at == 0 || !is_word(message[at - 1])) &&
        (end == message.size() || !is_word(message[end]))) {
      return true;
    }
  }
  return false;
}

bool LooksLikeNotFound(absl::string_view message) {
  return HasHttpStatus(message, "404") || absl::StrContains(message, "not found") ||
         absl::StrContains(message, "does not appear to be a git repository") ||
         absl::StrContains(message, "could not find repository") ||
         absl::StrContains(message, "failed to resolve path");
}

absl::StatusCode CodeOf(int rc, int klass, absl::string_view message) {
  if (NetworkDeadlineExpired()) return absl::StatusCode::kDeadlineExceeded;
  if (rc == GIT_EAUTH || HasHttpStatus(message, "401") ||
      absl::StrContains(message, "authentication")) {
    return absl::StatusCode::kUnauthenticated;
  }
  if (HasHttpStatus(message, "403")) return absl::StatusCode::kPermissionDenied;
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
