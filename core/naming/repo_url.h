// Repository URL identity: two spellings of one remote must compare equal, and no
// credential embedded in a URL may reach an identifier, a log line or a message.
// Note: core APIs take absl::string_view — Debian's Abseil is built with its own
// string_view type (ABSL_OPTION_USE_STD_STRING_VIEW=0), which absl::StrCat etc. need.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gitdest::core {

// Returns the canonical form of a Git remote URL, the spelling that messages show
// (uniqueness compares RepoIdentity, which also merges transports). Accepted forms:
// https://, http://, ssh:// (also spelled git+ssh:// or ssh+git://), git://, file://
// and scp-like `[user@]host:path`. Canonicalisation:
//   - userinfo is dropped: `user:secret@` always, and for http(s)/git also a bare
//     user (`https://<token>@host/…` is how tokens are usually passed); ssh keeps a
//     bare user (`git@`) because it is the login, never a secret;
//   - scheme and host are lower-cased; paths keep their case (file:// above all);
//   - default ports are dropped (https 443, http 80, ssh 22, git 9418), other ports
//     lose leading zeros; `file://localhost/p` becomes `file:///p`;
//   - scp-like `git@host:org/repo` (and `git@host:/org/repo`) becomes
//     `ssh://git@host/org/repo`;
//   - runs of `/` in the path collapse to one; `%xx` escapes get upper-case hex;
//   - trailing `/` and `.git` are trimmed repeatedly and case-insensitively
//     (`Repo.GIT`, `repo.git//` → `repo`).
// The result is a fixed point: NormalizeRepoUrl(*NormalizeRepoUrl(u)) == *NormalizeRepoUrl(u).
// Errors (InvalidArgument) name the field `spec.repoUrl`, quote the URL with its
// credentials redacted, and say how to fix it: empty, longer than 2048 bytes,
// whitespace or control characters, unknown scheme, missing or malformed host, a
// host or ssh user starting with `-`, a bad port, missing path, `.`/`..` path
// segments, a query or fragment, a file:// URL naming a remote host.
absl::StatusOr<std::string> NormalizeRepoUrl(absl::string_view url);

// OK iff `url` is a repoUrl a GitRepoConfig may hold: NormalizeRepoUrl accepts it
// (same errors) and it carries no credentials, which belong in the Secret that
// spec.secretRef names, never in a field that reaches logs, events and statuses.
// Refused (InvalidArgument naming spec.repoUrl and spec.secretRef, the URL quoted
// through RedactUrl so the secret is not repeated): a password in any scheme
// (`https://user:token@h/r`, `ssh://git:pw@h/r`, `git:pw@h:r`), and any userinfo on
// https, http, git and file URLs, a bare one too (`https://token@h/r`: a token often
// poses as the user name, and a real user name belongs in the Secret as well). An
// ssh or scp-like login (`git@`) is kept: it names the account, not a secret; an
// empty one (`@host:org/repo`) is refused. So a valid URL has nothing to redact:
// RedactUrl(u) == u.
absl::Status ValidateRepoUrl(absl::string_view url);

// Returns the identity of the repository that `url` names: two URLs with one identity
// are one repository, as hosted Git servers (GitHub, GitLab, Gitea, ...) serve it,
// whatever the transport. Uniqueness of write targets compares identities, never
// spellings. The identity is
//   - `//host[:port]/path` for a remote: the host lower-cased; the port only when it
//     is not the default of the URL's own scheme (https 443, http 80, ssh 22, git
//     9418), so `https://h:22/r` keeps `:22` but `ssh://h:22/r` does not; the path of
//     NormalizeRepoUrl (`.git` and `/` trimmed repeatedly, any case) with its ASCII
//     letters lower-cased, because servers match owner and repository names
//     case-insensitively; scheme and login (ssh user, token) left out, so
//     `https://GitHub.com/Org/Repo/`, `https://github.com/org/repo.git`,
//     `git@github.com:org/repo.git` and `ssh://git@github.com/org/repo` all are
//     `//github.com/org/repo`;
//   - `file:///path` for a file:// URL: a local path keeps its case (a file system
//     may be case-sensitive), and a file identity never equals a remote's.
// Folding too much (two repositories whose names differ only in case, on a
// case-sensitive server) can only refuse a destination that might have been allowed:
// the safe direction. Accepts what NormalizeRepoUrl accepts, with the same errors, and
// also an identity, which it returns unchanged: RepoIdentity(*RepoIdentity(u)) ==
// *RepoIdentity(u). An identity is for comparing and keying only; Git is always
// reached through the configured URL.
absl::StatusOr<std::string> RepoIdentity(absl::string_view url);

// Returns `url` with its credentials removed, safe for logs and messages; never
// fails. The userinfo is the text between `://` (or the start, for scp-like and
// unparseable input) and the last `@` before the host. `user:secret@` keeps only
// `user@` (`https://user:tok@h/r` → `https://user@h/r`); a bare userinfo is kept
// for ssh and scp-like URLs (`git@`) but removed for every other scheme, where it
// is usually a token (`https://ghp_x@h/r` → `https://h/r`). Everything else is
// returned byte for byte, so RedactUrl(*NormalizeRepoUrl(u)) == *NormalizeRepoUrl(u).
std::string RedactUrl(absl::string_view url);

// Quotes a user-supplied value for an error message: C-style hex escapes (so
// control characters and non-ASCII bytes are visible and the message stays ASCII)
// and at most 64 input bytes, with the total length appended when cut. Shared by
// every validator of core/naming so their messages look alike. Never pass a URL
// that may hold credentials without RedactUrl first.
std::string QuoteForMessage(absl::string_view value);

}  // namespace gitdest::core
