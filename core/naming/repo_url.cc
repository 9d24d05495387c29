#include "core/naming/repo_url.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace gitdest::core {
namespace {

constexpr size_t kNpos = absl::string_view::npos;
constexpr size_t kMaxUrlBytes = 2048;
constexpr size_t kMaxQuotedBytes = 64;
constexpr absl::string_view kExampleUrls =
    "such as \"https://github.com/org/repo.git\" or \"git@github.com:org/repo.git\"";

// The URL is quoted after redaction so that the secret this file exists to protect
// cannot leak through the very message that rejects the URL.
absl::Status UrlError(absl::string_view url, absl::string_view problem, absl::string_view fix) {
  return absl::InvalidArgumentError(
      absl::StrCat("spec.repoUrl ", QuoteForMessage(RedactUrl(url)), ": ", problem, "; ", fix));
}

// git accepts both spellings of ssh-over-a-URL as aliases of ssh://.
bool IsSshScheme(absl::string_view scheme) {
  return absl::EqualsIgnoreCase(scheme, "ssh") || absl::EqualsIgnoreCase(scheme, "git+ssh") ||
         absl::EqualsIgnoreCase(scheme, "ssh+git");
}

// What is left of a userinfo once its secret is gone: `user:secret` → `user@`; a
// bare userinfo survives only when it is an ssh login (it is a token otherwise).
std::string RedactedUserinfo(absl::string_view userinfo, bool keep_bare_user) {
  const size_t colon = userinfo.find(':');
  const absl::string_view user = colon == kNpos ? userinfo : userinfo.substr(0, colon);
  if (user.empty() || (colon == kNpos && !keep_bare_user)) return "";
  return absl::StrCat(user, "@");
}

// In scp-like `user[:secret]@host:path` the userinfo ends at the last `@` (before
// the first `/`) that a host-ending `:` follows; this keeps `@` in the path
// (`git@h:repo@x`) out of the userinfo and a secret containing `:` inside it.
size_t ScpUserinfoEnd(absl::string_view prefix) {
  size_t fallback = kNpos;
  size_t at = prefix.rfind('@');
  while (at != kNpos) {
    if (prefix.find(':', at) != kNpos) return at;
    if (fallback == kNpos) fallback = at;
    if (at == 0) break;
    at = prefix.rfind('@', at - 1);
  }
  return fallback;
}

// Position of the `://` that ends a well-formed scheme (RFC 3986: ALPHA *( ALPHA /
// DIGIT / "+" / "-" / "." )), else npos. Checking the scheme's spelling keeps a
// `://` later in the text (`u:secret@h:x://y`) from hiding the userinfo before it.
size_t SchemeSeparator(absl::string_view url) {
  const size_t separator = url.find("://");
  if (separator == kNpos || separator == 0) return kNpos;
  if (!absl::ascii_isalpha(static_cast<unsigned char>(url[0]))) return kNpos;
  for (const char c : url.substr(0, separator)) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return kNpos;
    }
  }
  return separator;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); }

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

absl::Status CheckCharacters(absl::string_view url) {
  if (url.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "spec.repoUrl is empty; set it to the repository's clone URL, ", kExampleUrls));
  }
  if (url.size() > kMaxUrlBytes) {
    return UrlError(
        url, absl::StrCat("is ", url.size(), " bytes long, over the limit of ", kMaxUrlBytes),
        "use the repository's plain clone URL");
  }
  for (const char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) {
      return UrlError(url, "contains whitespace or a control character",
                      "remove it (a YAML value may have picked up a trailing space or newline)");
    }
  }
  return absl::OkStatus();
}

struct UrlParts {
  std::string scheme;         // canonical, lower-case; empty for an identity `//host/path`
  std::string user;           // ssh login only
  std::string host;           // lower-case; empty for file://
  std::string port;           // decimal, empty when default
  std::string path;           // raw, starts with '/' unless empty; ParseUrl normalizes it
  bool has_userinfo = false;  // `...@` before the host, whatever the scheme
  bool has_password = false;  // a `:` in that userinfo: a secret follows it
};

// What the userinfo `text` (before its `@`) says about credentials.
void NoteUserinfo(absl::string_view text, UrlParts& parts) {
  parts.has_userinfo = true;
  parts.has_password = text.find(':') != kNpos;
}

absl::StatusOr<std::string> NormalizeHost(absl::string_view url, absl::string_view host) {
  if (host.empty()) {
    return UrlError(url, "has no host", absl::StrCat("name the Git server, ", kExampleUrls));
  }
  if (host.front() == '-') {
    // ssh would read such a host as an option (CVE-2017-1000117).
    return UrlError(url, "host starts with \"-\"", "use the Git server's real host name");
  }
  if (host.front() == '[') {
    const bool ok =
        host.size() > 2 && host.back() == ']' &&
        host.substr(1, host.size() - 2).find_first_not_of("0123456789abcdefABCDEF:.") == kNpos;
    if (!ok) {
      return UrlError(url, "has a malformed IPv6 host",
                      "write an IPv6 address in brackets, e.g. \"https://[2001:db8::1]/org/repo\"");
    }
    return absl::AsciiStrToLower(host);
  }
  for (const char c : host) {
    if (!IsHostChar(c)) {
      return UrlError(url,
                      absl::StrCat("host ", QuoteForMessage(host), " has a character ",
                                   QuoteForMessage(absl::string_view(&c, 1)),
                                   " that is not allowed in a host name"),
                      "use an ASCII host name (punycode \"xn--\" for international names)");
    }
  }
  return absl::AsciiStrToLower(host);
}

absl::StatusOr<std::string> NormalizePort(absl::string_view url, absl::string_view scheme,
                                          absl::string_view port) {
  if (port.empty()) return std::string();  // RFC 3986: an empty port means the default
  uint32_t value = 0;
  for (const char c : port) {
    if (!IsDigit(c) || value > 65535) {
      value = 0;
      break;
    }
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) {
    return UrlError(url, absl::StrCat("port ", QuoteForMessage(port), " is not a number 1-65535"),
                    "fix the port or leave it out to use the scheme's default");
  }
  const bool is_default = (scheme == "https" && value == 443) ||
                          (scheme == "http" && value == 80) || (scheme == "ssh" && value == 22) ||
                          (scheme == "git" && value == 9418);
  return is_default ? std::string() : absl::StrCat(value);
}

// Splits `host[:port]` / `[v6]:port` and canonicalises both halves.
absl::Status ParseHostPort(absl::string_view url, absl::string_view host_port, UrlParts& parts) {
  size_t host_end = host_port.find(':');
  if (!host_port.empty() && host_port.front() == '[') {
    host_end = host_port.find(']');
    host_end = host_end == kNpos ? host_port.size() : host_end + 1;
    if (host_end < host_port.size() && host_port[host_end] != ':') {
      return UrlError(url, "has text after the IPv6 host", "write \"[address]:port\"");
    }
  }
  const absl::string_view host = host_port.substr(0, host_end);
  const absl::string_view port =
      host_end >= host_port.size() ? absl::string_view() : host_port.substr(host_end + 1);
  absl::StatusOr<std::string> normalized_host = NormalizeHost(url, host);
  if (!normalized_host.ok()) return normalized_host.status();
  absl::StatusOr<std::string> normalized_port = NormalizePort(url, parts.scheme, port);
  if (!normalized_port.ok()) return normalized_port.status();
  parts.host = *std::move(normalized_host);
  parts.port = *std::move(normalized_port);
  return absl::OkStatus();
}

absl::Status SetSshUser(absl::string_view url, absl::string_view userinfo, UrlParts& parts) {
  const absl::string_view user = userinfo.substr(0, userinfo.find(':'));
  if (!user.empty() && user.front() == '-') {
    return UrlError(url, "ssh user starts with \"-\"", "use the server's login, usually \"git\"");
  }
  parts.user = std::string(user);
  return absl::OkStatus();
}

absl::StatusOr<std::string> CanonicalScheme(absl::string_view url, absl::string_view raw) {
  if (IsSshScheme(raw)) return std::string("ssh");
  const std::string scheme = absl::AsciiStrToLower(raw);
  if (scheme == "https" || scheme == "http" || scheme == "git" || scheme == "file") return scheme;
  return UrlError(url, absl::StrCat("scheme ", QuoteForMessage(raw), " is not supported"),
                  absl::StrCat("use https://, http://, ssh://, git://, file:// or scp-like ",
                               "git@host:org/repo, ", kExampleUrls));
}

// `[userinfo@]host[:port]/path`, the text after `scheme://` (or after the `//` of an
// identity, whose `scheme` is empty: no port is a default there).
absl::StatusOr<UrlParts> ParseAuthorityAndPath(absl::string_view url, std::string scheme,
                                               absl::string_view rest) {
  UrlParts parts;
  parts.scheme = std::move(scheme);
  const size_t slash = std::min(rest.find('/'), rest.size());
  const absl::string_view authority = rest.substr(0, slash);
  parts.path = std::string(rest.substr(slash));
  const size_t at = authority.rfind('@');
  const absl::string_view userinfo = at == kNpos ? absl::string_view() : authority.substr(0, at);
  const absl::string_view host_port = at == kNpos ? authority : authority.substr(at + 1);
  if (at != kNpos) NoteUserinfo(userinfo, parts);
  if (parts.scheme == "file") {
    if (!host_port.empty() && !absl::EqualsIgnoreCase(host_port, "localhost")) {
      return UrlError(url, "a file:// URL names a local path, not a host",
                      "write \"file:///path/to/repo\" (three slashes)");
    }
    return parts;
  }
  if (parts.scheme == "ssh") {
    if (absl::Status status = SetSshUser(url, userinfo, parts); !status.ok()) return status;
  }
  if (absl::Status status = ParseHostPort(url, host_port, parts); !status.ok()) return status;
  return parts;
}

// `scheme://[userinfo@]host[:port]/path`.
absl::StatusOr<UrlParts> ParseHierarchical(absl::string_view url, size_t separator) {
  absl::StatusOr<std::string> scheme = CanonicalScheme(url, url.substr(0, separator));
  if (!scheme.ok()) return scheme.status();
  return ParseAuthorityAndPath(url, *std::move(scheme), url.substr(separator + 3));
}

// `[user[:secret]@]host:path`, git's scp-like syntax: a `:` before the first `/`.
absl::StatusOr<UrlParts> ParseScpLike(absl::string_view url) {
  const size_t first_slash = url.find('/');
  const size_t first_colon = url.find(':');
  if (first_colon == kNpos || first_colon > first_slash) {
    return UrlError(url, "is neither a URL nor scp-like host:path",
                    absl::StrCat("write a clone URL ", kExampleUrls,
                                 " (a local path is written \"file:///path/to/repo\")"));
  }
  UrlParts parts;
  parts.scheme = "ssh";
  const size_t at = ScpUserinfoEnd(url.substr(0, std::min(first_slash, url.size())));
  if (at != kNpos) {
    NoteUserinfo(url.substr(0, at), parts);
    if (absl::Status status = SetSshUser(url, url.substr(0, at), parts); !status.ok()) {
      return status;
    }
  }
  const absl::string_view host_path = at == kNpos ? url : url.substr(at + 1);
  size_t host_end = host_path.find(':');
  if (!host_path.empty() && host_path.front() == '[') {
    host_end = host_path.find("]:");
    host_end = host_end == kNpos ? kNpos : host_end + 1;
  }
  if (host_end == kNpos) {
    return UrlError(url, "has no \":\" between host and path", "write \"git@host:org/repo\"");
  }
  absl::StatusOr<std::string> host = NormalizeHost(url, host_path.substr(0, host_end));
  if (!host.ok()) return host.status();
  parts.host = *std::move(host);
  // `host:org/repo` is relative to the login's home and `host:/org/repo` absolute;
  // Git servers treat both as `/org/repo`, so both map to the ssh:// spelling.
  parts.path = absl::StrCat("/", host_path.substr(host_end + 1));
  return parts;
}

// Collapses `//`, upper-cases `%xx`, trims trailing `/` and `.git` (repeatedly, any
// case) and rejects dot segments; the result starts with '/' and is a fixed point.
absl::StatusOr<std::string> NormalizePath(absl::string_view url, absl::string_view path) {
  if (path.find_first_of("?#") != kNpos) {
    return UrlError(url, "has a query (?) or fragment (#)",
                    "remove it; a Git remote URL ends at the repository path");
  }
  while (!path.empty()) {
    if (path.back() == '/') {
      path.remove_suffix(1);
    } else if (absl::EndsWithIgnoreCase(path, ".git")) {
      path.remove_suffix(4);
    } else {
      break;
    }
  }
  std::string out;
  while (!path.empty()) {
    const size_t end = std::min(path.find('/'), path.size());
    const absl::string_view segment = path.substr(0, end);
    path.remove_prefix(std::min(end + 1, path.size()));
    if (segment.empty()) continue;  // collapses "//"
    if (segment == "." || segment == "..") {
      return UrlError(url, absl::StrCat("path segment \"", segment, "\" is not allowed"),
                      "write the repository's path without \".\" or \"..\"");
    }
    absl::StrAppend(&out, "/", segment);
  }
  if (out.empty()) {
    return UrlError(url, "has no repository path",
                    absl::StrCat("name the repository, ", kExampleUrls));
  }
  for (size_t i = 0; i + 2 < out.size(); ++i) {
    if (out[i] == '%' && IsHex(out[i + 1]) && IsHex(out[i + 2])) {
      out[i + 1] = absl::ascii_toupper(static_cast<unsigned char>(out[i + 1]));
      out[i + 2] = absl::ascii_toupper(static_cast<unsigned char>(out[i + 2]));
    }
  }
  return out;
}

// Every accepted spelling, split into canonical parts with a normalized path. With
// `accept_identity`, also `//host[:port]/path` (what RepoIdentity returns).
absl::StatusOr<UrlParts> ParseUrl(absl::string_view url, bool accept_identity) {
  if (absl::Status status = CheckCharacters(url); !status.ok()) return status;
  const size_t separator = SchemeSeparator(url);
  absl::StatusOr<UrlParts> parts;
  if (separator != kNpos) {
    parts = ParseHierarchical(url, separator);
  } else if (accept_identity && absl::StartsWith(url, "//")) {
    parts = ParseAuthorityAndPath(url, "", url.substr(2));
  } else {
    parts = ParseScpLike(url);
  }
  if (!parts.ok()) return parts.status();
  absl::StatusOr<std::string> path = NormalizePath(url, parts->path);
  if (!path.ok()) return path.status();
  parts->path = *std::move(path);
  return parts;
}

}  // namespace

absl::StatusOr<std::string> NormalizeRepoUrl(absl::string_view url) {
  absl::StatusOr<UrlParts> parts = ParseUrl(url, /*accept_identity=*/false);
  if (!parts.ok()) return parts.status();
  return absl::StrCat(parts->scheme, "://", parts->user, parts->user.empty() ? "" : "@",
                      parts->host, parts->port.empty() ? "" : ":", parts->port, parts->path);
}

absl::Status ValidateRepoUrl(absl::string_view url) {
  absl::StatusOr<UrlParts> parts = ParseUrl(url, /*accept_identity=*/false);
  if (!parts.ok()) return parts.status();
  constexpr absl::string_view kFix =
      "remove it and put the credentials in the Secret that spec.secretRef names";
  if (parts->has_password) return UrlError(url, "carries a password", kFix);
  if (parts->has_userinfo && parts->scheme != "ssh") {
    // Over https a token often poses as the user name (`https://<token>@host/...`).
    return UrlError(url, "carries a user name or token before the host", kFix);
  }
  if (parts->has_userinfo && parts->user.empty()) {
    // Not a secret, but not a login either: what RedactUrl would strip is refused.
    return UrlError(url, "has an empty ssh login before \"@\"",
                    "name the login (usually \"git@\") or remove the \"@\"");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RepoIdentity(absl::string_view url) {
  absl::StatusOr<UrlParts> parts = ParseUrl(url, /*accept_identity=*/true);
  if (!parts.ok()) return parts.status();
  if (parts->scheme == "file") return absl::StrCat("file://", parts->path);
  // Hosted servers match owner and repository names case-insensitively.
  return absl::StrCat("//", parts->host, parts->port.empty() ? "" : ":", parts->port,
                      absl::AsciiStrToLower(parts->path));
}

std::string RedactUrl(absl::string_view url) {
  const size_t separator = SchemeSeparator(url);
  if (separator != kNpos) {
    const absl::string_view rest = url.substr(separator + 3);
    const size_t at = rest.substr(0, rest.find('/')).rfind('@');
    if (at == kNpos) return std::string(url);
    const bool keep_bare_user = IsSshScheme(url.substr(0, separator));
    return absl::StrCat(url.substr(0, separator + 3),
                        RedactedUserinfo(rest.substr(0, at), keep_bare_user), rest.substr(at + 1));
  }
  const size_t at = ScpUserinfoEnd(url.substr(0, url.find('/')));
  if (at == kNpos) return std::string(url);
  return absl::StrCat(RedactedUserinfo(url.substr(0, at), /*keep_bare_user=*/true),
                      url.substr(at + 1));
}

std::string QuoteForMessage(absl::string_view value) {
  if (value.size() <= kMaxQuotedBytes) return absl::StrCat("\"", absl::CHexEscape(value), "\"");
  return absl::StrCat("\"", absl::CHexEscape(value.substr(0, kMaxQuotedBytes)), "...\" (",
                      value.size(), " bytes)");
}

}  // namespace gitdest::core
