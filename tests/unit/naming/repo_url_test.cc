#include "core/naming/repo_url.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gitdest::core {
namespace {

struct NormalizeCase {
  std::string input;
  std::string want;
};

TEST(NormalizeRepoUrlTest, CanonicalForms) {
  const std::vector<NormalizeCase> cases = {
      {"https://github.com/org/repo", "https://github.com/org/repo"},
      {"https://github.com/org/repo.git", "https://github.com/org/repo"},
      {"https://github.com/org/Repo.GIT", "https://github.com/org/Repo"},
      {"https://github.com/org/repo.git//", "https://github.com/org/repo"},
      {"https://github.com/org/repo/", "https://github.com/org/repo"},
      {"https://github.com/org/repo.git/.Git/", "https://github.com/org/repo"},
      {"HTTPS://GitHub.COM/Org/Repo", "https://github.com/Org/Repo"},
      {"https://github.com:443/org/repo", "https://github.com/org/repo"},
      {"https://github.com:/org/repo", "https://github.com/org/repo"},
      {"https://github.com:8443/org/repo", "https://github.com:8443/org/repo"},
      {"https://github.com:08443/org/repo", "https://github.com:8443/org/repo"},
      {"http://h:80/r", "http://h/r"},
      {"http://h:443/r", "http://h:443/r"},
      {"ssh://git@h:22/org/r", "ssh://git@h/org/r"},
      {"ssh://git@h:2222/org/r", "ssh://git@h:2222/org/r"},
      {"git://h:9418/r", "git://h/r"},
      {"git+ssh://git@h/r", "ssh://git@h/r"},
      {"SSH+GIT://git@h/r", "ssh://git@h/r"},
      {"ssh://h/~user/repo", "ssh://h/~user/repo"},
      {"git@github.com:org/repo.git", "ssh://git@github.com/org/repo"},
      {"git@github.com:/org/repo.git", "ssh://git@github.com/org/repo"},
      {"github.com:org/repo", "ssh://github.com/org/repo"},
      {"git@GitHub.com:Org/Repo", "ssh://git@github.com/Org/Repo"},
      {"git@h:repo@x", "ssh://git@h/repo@x"},
      {"git@h:a:b/c", "ssh://git@h/a:b/c"},
      {"git@[::1]:org/r", "ssh://git@[::1]/org/r"},
      {"https://[2001:DB8::1]:443/r", "https://[2001:db8::1]/r"},
      {"https://[::1]:8443/r", "https://[::1]:8443/r"},
      {"https://user:token@h/r", "https://h/r"},
      {"https://token@h/r", "https://h/r"},
      {"https://:token@h/r", "https://h/r"},
      {"git://user:token@h/r", "git://h/r"},
      {"ssh://git:password@h/r", "ssh://git@h/r"},
      {"git:password@h:org/r", "ssh://git@h/org/r"},
      {"https://h//org//repo", "https://h/org/repo"},
      {"https://h/org/my%2frepo%3a", "https://h/org/my%2Frepo%3A"},
      {"https://h/org/repo@v2", "https://h/org/repo@v2"},
      {"file:///Path/Repo", "file:///Path/Repo"},
      {"file:///Path/Repo.git/", "file:///Path/Repo"},
      {"FILE://localhost/srv/Repo", "file:///srv/Repo"},
      {"file://LOCALHOST/srv/Repo", "file:///srv/Repo"},
  };
  for (const NormalizeCase& c : cases) {
    SCOPED_TRACE(c.input);
    const absl::StatusOr<std::string> got = NormalizeRepoUrl(c.input);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want);
  }
}

TEST(NormalizeRepoUrlTest, SpellingsOfOneRemoteAreEqual) {
  const std::vector<std::vector<std::string>> groups = {
      {"https://github.com/org/repo", "https://github.com/org/repo.git",
       "https://GitHub.com/org/repo.GIT/", "HTTPS://github.com:443/org/repo.git//",
       "https://user:tok@github.com/org/repo", "https://github.com//org/repo/"},
      {"git@github.com:org/repo.git", "ssh://git@github.com/org/repo",
       "ssh://git@github.com:22/org/repo.git", "git+ssh://git@GITHUB.com/org/repo/",
       "git@github.com:/org/repo"},
  };
  for (const std::vector<std::string>& group : groups) {
    const absl::StatusOr<std::string> first = NormalizeRepoUrl(group.front());
    ASSERT_TRUE(first.ok()) << first.status();
    for (const std::string& spelling : group) {
      SCOPED_TRACE(spelling);
      EXPECT_EQ(NormalizeRepoUrl(spelling).value_or("<error>"), *first);
    }
  }
}

TEST(NormalizeRepoUrlTest, DistinctRemotesStayDistinct) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"https://h/Org/Repo", "https://h/org/repo"},  // paths keep their case
      {"file:///Path/Repo", "file:///path/repo"},    {"https://h:8443/r", "https://h/r"},
      {"ssh://alice@h/r", "ssh://bob@h/r"},  // the ssh login is part of the remote
      {"https://h/org/repo", "https://h/org/repo2"}, {"https://h/a/b", "https://h/a-b"},
  };
  for (const auto& [a, b] : pairs) {
    SCOPED_TRACE(absl::StrCat(a, " vs ", b));
    const absl::StatusOr<std::string> na = NormalizeRepoUrl(a);
    const absl::StatusOr<std::string> nb = NormalizeRepoUrl(b);
    ASSERT_TRUE(na.ok() && nb.ok());
    EXPECT_NE(*na, *nb);
  }
}

TEST(RepoIdentityTest, CanonicalIdentities) {
  const std::vector<NormalizeCase> cases = {
      {"https://GitHub.com/Org/Repo/", "//github.com/org/repo"},
      {"git@github.com:Org/Repo.GIT", "//github.com/org/repo"},
      {"ssh://git@github.com:22/org/repo", "//github.com/org/repo"},
      {"https://github.com:443/org/repo", "//github.com/org/repo"},
      {"https://github.com:22/org/repo", "//github.com:22/org/repo"},
      {"ssh://git@github.com:443/org/repo", "//github.com:443/org/repo"},
      {"http://h:80/r", "//h/r"},
      {"http://h:443/r", "//h:443/r"},
      {"git://h:9418/r", "//h/r"},
      {"https://[2001:DB8::1]:8443/Org/R", "//[2001:db8::1]:8443/org/r"},
      {"https://h/org/my%2frepo", "//h/org/my%2frepo"},
      {"https://user:token@h/Org/R", "//h/org/r"},
      {"file:///srv/Repo.GIT/", "file:///srv/Repo"},
      {"file://localhost/srv/Repo", "file:///srv/Repo"},
      {"//GitHub.com:8443/Org/Repo.git", "//github.com:8443/org/repo"},
  };
  for (const NormalizeCase& c : cases) {
    SCOPED_TRACE(c.input);
    const absl::StatusOr<std::string> got = RepoIdentity(c.input);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want);
  }
}

TEST(RepoIdentityTest, SpellingsOfOneRepositoryShareOneIdentity) {
  const std::vector<std::string> spellings = {"https://GitHub.com/Org/Repo/",
                                              "https://github.com/org/repo.git",
                                              "git@github.com:org/repo.git",
                                              "https://github.com/org/repo",
                                              "ssh://git@github.com/org/repo",
                                              "git@GITHUB.com:/ORG/REPO.Git//",
                                              "ssh://deploy@github.com:22/Org/Repo",
                                              "git+ssh://git@github.com/org/repo",
                                              "http://github.com:80/org/repo",
                                              "git://github.com/org/repo",
                                              "https://x-access-token:t@github.com/org/repo"};
  const absl::StatusOr<std::string> first = RepoIdentity(spellings.front());
  ASSERT_TRUE(first.ok()) << first.status();
  for (const std::string& spelling : spellings) {
    SCOPED_TRACE(spelling);
    EXPECT_EQ(RepoIdentity(spelling).value_or("<error>"), *first);
  }
}

TEST(RepoIdentityTest, DistinctRepositoriesHaveDistinctIdentities) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"https://h:8443/org/r", "https://h/org/r"},
      {"https://h:22/org/r", "ssh://git@h/org/r"},  // 22 is ssh's default, not https's
      {"ssh://git@h:443/org/r", "https://h/org/r"},
      {"file:///srv/Repo", "file:///srv/repo"},  // a local path keeps its case
      {"file:///h/org/r", "https://h/org/r"},
      {"https://h/org/repo", "https://h/org/repo2"},
      {"https://h/a/b", "https://h/a-b"},
      {"https://h/org/r", "https://h2/org/r"},
  };
  for (const auto& [a, b] : pairs) {
    SCOPED_TRACE(absl::StrCat(a, " vs ", b));
    const absl::StatusOr<std::string> ia = RepoIdentity(a);
    const absl::StatusOr<std::string> ib = RepoIdentity(b);
    ASSERT_TRUE(ia.ok() && ib.ok());
    EXPECT_NE(*ia, *ib);
  }
}

TEST(RepoIdentityTest, RejectsWhatNormalizationRejects) {
  for (const std::string url : {"", "ftp://h/r", "https://h", "https://h/a/../r", "repo", "//h",
                                "//h:99999/r", "https://user:s3cret@h/r x"}) {
    SCOPED_TRACE(url);
    const absl::StatusOr<std::string> got = RepoIdentity(url);
    ASSERT_FALSE(got.ok()) << *got;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(got.status().message(), "spec.repoUrl")) << got.status();
    EXPECT_FALSE(absl::StrContains(got.status().message(), "s3cret")) << got.status();
  }
}

struct ErrorCase {
  std::string input;
  std::string problem;  // a substring the message must contain
};

TEST(NormalizeRepoUrlTest, RejectsWithMessageNamingFieldAndFix) {
  const std::vector<ErrorCase> cases = {
      {"", "spec.repoUrl is empty; set it"},
      {" https://h/r", "whitespace"},
      {"https://h/r\n", "whitespace"},
      {"https://h/r x", "whitespace"},
      {std::string("https://h/r\0x", 13), "control character"},
      {"ftp://h/r", "scheme \"ftp\" is not supported"},
      {"https:///r", "has no host"},
      {"https://h", "has no repository path"},
      {"https://h/", "has no repository path"},
      {"https://h/.git", "has no repository path"},
      {"git@h:", "has no repository path"},
      {"https://h:99999/r", "port \"99999\""},
      {"https://h:0/r", "port \"0\""},
      {"https://h:abc/r", "port \"abc\""},
      {"https://h/a/../r", "path segment \"..\""},
      {"https://h/./r", "path segment \".\""},
      {"https://h/r?x=1", "query"},
      {"https://h/r#frag", "fragment"},
      {"file://server/share/r", "file:///path/to/repo"},
      {"ssh://-oProxyCommand=x/r", "host starts with \"-\""},
      {"-oProxyCommand=x:r", "host starts with \"-\""},
      {"ssh://-o@h/r", "ssh user starts with \"-\""},
      {"/srv/repo", "file:///path/to/repo"},
      {"repo", "neither a URL nor scp-like"},
      {"git@h", "neither a URL nor scp-like"},
      {"https://h_ost!/r", "not allowed in a host name"},
      {"https://h\xc3\xa9llo.com/r", "not allowed in a host name"},
      {"https://[::1/r", "malformed IPv6 host"},
      {"https://[::1]x/r", "text after the IPv6 host"},
      {"git@[::1]org/r", "no \":\" between host and path"},
      {std::string(3000, 'a'), "over the limit of 2048"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.input);
    const absl::StatusOr<std::string> got = NormalizeRepoUrl(c.input);
    ASSERT_FALSE(got.ok()) << *got;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(got.status().message());
    EXPECT_TRUE(absl::StartsWith(message, "spec.repoUrl")) << message;
    EXPECT_TRUE(absl::StrContains(message, c.problem)) << message;
    EXPECT_TRUE(absl::StrContains(message, "; ")) << "no fix in: " << message;
    EXPECT_LT(message.size(), 400u) << "the quoted URL must be cut";
  }
}

TEST(NormalizeRepoUrlTest, NeitherResultNorErrorCarriesTheSecret) {
  const std::vector<std::string> urls = {
      "https://user:s3cretTOKEN@h/r?x=1",
      "ftp://user:s3cretTOKEN@h/r",
      "https://user:s3cretTOKEN@h/r x",
      "https://s3cretTOKEN@h",
      "git:s3cretTOKEN@h:",
      "https://user:s3cretTOKEN@h:99999/r",
      "u:s3cretTOKEN@h:x://y",
      "https://user:s3cretTOKEN@/r",
      "git:s3cretTOKEN@h:org/r",
      "https://s3cretTOKEN@h/r",
  };
  for (const std::string& url : urls) {
    SCOPED_TRACE(url);
    const absl::StatusOr<std::string> got = NormalizeRepoUrl(url);
    const std::string out = got.ok() ? *got : std::string(got.status().message());
    EXPECT_FALSE(absl::StrContains(out, "s3cretTOKEN")) << out;
  }
}

TEST(ValidateRepoUrlTest, RefusesCredentialsPointingToTheSecret) {
  const std::vector<std::string> urls = {
      "https://user:s3cretTOKEN@github.com/org/repo.git",
      "https://s3cretTOKEN@github.com/org/repo",  // a token as the user name
      "https://:s3cretTOKEN@h/r",
      "HTTP://x-access-token:s3cretTOKEN@h/r",
      "git://user:s3cretTOKEN@h/r",
      "ssh://git:s3cretTOKEN@h/r",
      "git+ssh://git:s3cretTOKEN@h:2222/r",
      "git:s3cretTOKEN@github.com:org/repo.git",
      "file://s3cretTOKEN@localhost/srv/r",
  };
  for (const std::string& url : urls) {
    SCOPED_TRACE(url);
    EXPECT_TRUE(NormalizeRepoUrl(url).ok());  // well-formed: refused for its credentials only
    const absl::Status status = ValidateRepoUrl(url);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(status.message(), "spec.repoUrl ")) << status;
    EXPECT_TRUE(absl::StrContains(status.message(), "Secret that spec.secretRef names")) << status;
    EXPECT_FALSE(absl::StrContains(status.message(), "s3cretTOKEN")) << status;
  }
  // A bare user on https is refused too: a user name belongs in the Secret as well.
  EXPECT_EQ(ValidateRepoUrl("https://alice@h/r").code(), absl::StatusCode::kInvalidArgument);
  // An empty ssh login is no credential, but RedactUrl would strip it: refused as well.
  for (const std::string url : {"@h:org/r", "ssh://@h/org/r"}) {
    SCOPED_TRACE(url);
    EXPECT_TRUE(absl::StrContains(ValidateRepoUrl(url).message(), "empty ssh login"));
  }
}

TEST(ValidateRepoUrlTest, AcceptsUrlsWithoutCredentials) {
  for (const std::string url :
       {"https://github.com/org/repo.git", "http://h:8080/r", "git://h/r", "file:///srv/Repo",
        "ssh://git@github.com/org/repo", "git@github.com:org/repo.git", "github.com:org/repo",
        "ssh://h/r", "https://h/org/repo@v2"}) {
    SCOPED_TRACE(url);
    EXPECT_TRUE(ValidateRepoUrl(url).ok()) << ValidateRepoUrl(url);
  }
  // Malformed URLs get NormalizeRepoUrl's own message.
  EXPECT_EQ(ValidateRepoUrl("ftp://h/r").message(),
            NormalizeRepoUrl("ftp://h/r").status().message());
}

TEST(RedactUrlTest, RemovesCredentialsOnly) {
  const std::vector<NormalizeCase> cases = {
      {"https://user:tok@h/r", "https://user@h/r"},
      {"https://ghp_abc123@github.com/org/r", "https://github.com/org/r"},
      {"https://:tok@h/r", "https://h/r"},
      {"https://u:p@ss@h/r", "https://u@h/r"},
      {"ssh://git:pw@h/r", "ssh://git@h/r"},
      {"ssh://git@h/r", "ssh://git@h/r"},
      {"git@h:org/r", "git@h:org/r"},
      {"git:pw@h:org/r", "git@h:org/r"},
      {"git:p:w@h:org/r", "git@h:org/r"},
      {"u:secret@h:x://y", "u@h:x://y"},
      {"https://h/r", "https://h/r"},
      {"https://h/org/repo@v2", "https://h/org/repo@v2"},
      {"not a url", "not a url"},
      {"", ""},
  };
  for (const NormalizeCase& c : cases) {
    SCOPED_TRACE(c.input);
    EXPECT_EQ(RedactUrl(c.input), c.want);
  }
}

TEST(QuoteForMessageTest, EscapesAndCuts) {
  EXPECT_EQ(QuoteForMessage("clusters/prod"), "\"clusters/prod\"");
  EXPECT_EQ(QuoteForMessage(std::string("a\nb\0", 4)), "\"a\\nb\\x00\"");
  EXPECT_EQ(QuoteForMessage("say \"hi\""), "\"say \\\"hi\\\"\"");
  const std::string quoted = QuoteForMessage(std::string(100000, 'x'));
  EXPECT_EQ(quoted, absl::StrCat("\"", std::string(64, 'x'), "...\" (100000 bytes)"));
}

// ---- Properties ----

// URL-ish text: pieces that exercise every branch of the parser, in any order.
rc::Gen<std::string> UrlLikeText() {
  const std::vector<std::string> pieces = {
      "https://", "HTTP://", "ssh://", "git+ssh://", "git://",
      "file://",  "ftp://",  "git@",   "user:tok@",  "@",
      ":",        "::",      "/",      "//",         ".git",
      ".GIT",     ".",       "..",     "host",       "Host.Example",
      "[::1]",    "[",       "]",      ":22",        ":443",
      ":0",       "%2f",     "?",      "#",          " ",
      "-",        "~",       "org",    "Repo",       "localhost",
      "\t",       "a",       "0"};
  return rc::gen::map(
      rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(pieces)),
      [](const std::vector<std::string>& parts) { return absl::StrJoin(parts, ""); });
}

// Close to a URL: each part drawn from valid and broken spellings.
rc::Gen<std::string> AlmostUrl() {
  const rc::Gen<std::string> piece = rc::gen::weightedOneOf<std::string>(
      {{8, rc::gen::element<std::string>("org", "Repo", "/", "/", "//", ".git", ".GIT", "%2f", "~u",
                                         "@", "a:b")},
       {1, rc::gen::element<std::string>(".", "..", " ", "?", "#")}});
  const rc::Gen<std::vector<std::string>> path =
      rc::gen::resize(8, rc::gen::container<std::vector<std::string>>(piece));
  return rc::gen::map(
      rc::gen::tuple(rc::gen::element<std::string>("https://", "HTTP://", "ssh://", "Git+SSH://",
                                                   "git://", "file://", "", "ftp://"),
                     rc::gen::element<std::string>("", "", "u@", "u:p@", "git@", ":p@", "-x@"),
                     rc::gen::element<std::string>("h", "Host.Example", "[::1]", "[2001:DB8::1]",
                                                   "localhost", "", "-h", "h_1"),
                     rc::gen::element<std::string>("", "", ":", ":22", ":443", ":80", ":9418",
                                                   ":08080", ":0", ":x"),
                     rc::gen::element<std::string>("/", "/", ":", ":/", "//", ""), path),
      [](const auto& parts) {
        const auto& [scheme, userinfo, host, port, separator, segments] = parts;
        return absl::StrCat(scheme, userinfo, host, port, separator, absl::StrJoin(segments, ""));
      });
}

rc::Gen<std::string> AnyUrlInput() {
  return rc::gen::weightedOneOf<std::string>(
      {{3, AlmostUrl()}, {1, UrlLikeText()}, {1, rc::gen::arbitrary<std::string>()}});
}

bool HasCanonicalScheme(const std::string& url) {
  for (const char* scheme : {"https://", "http://", "ssh://", "git://", "file:///"}) {
    if (absl::StartsWith(url, scheme)) return true;
  }
  return false;
}

RC_GTEST_PROP(RepoUrlProperty, NormalizationIsIdempotentAndRedactionKeepsIt, ()) {
  const std::string input = *AnyUrlInput();
  const absl::StatusOr<std::string> once = NormalizeRepoUrl(input);
  RC_CLASSIFY(once.ok());
  if (!once.ok()) return;
  const absl::StatusOr<std::string> twice = NormalizeRepoUrl(*once);
  RC_ASSERT(twice.ok());
  RC_ASSERT(*twice == *once);
  RC_ASSERT(RedactUrl(*once) == *once);
  RC_ASSERT(HasCanonicalScheme(*once));
  RC_ASSERT(!absl::StrContains(*once, ":p@"));
}

RC_GTEST_PROP(RepoUrlProperty, EveryErrorNamesTheField, ()) {
  const absl::StatusOr<std::string> result = NormalizeRepoUrl(*AnyUrlInput());
  if (result.ok()) return;
  RC_ASSERT(result.status().code() == absl::StatusCode::kInvalidArgument);
  RC_ASSERT(absl::StartsWith(result.status().message(), "spec.repoUrl "));
}

// A canonical URL and a random other spelling of the same remote.
struct Spellings {
  std::string canonical;
  std::string variant;
};

rc::Gen<std::string> RandomCase(const std::string& text) {
  return rc::gen::map(
      rc::gen::container<std::vector<bool>>(text.size(), rc::gen::arbitrary<bool>()),
      [text](const std::vector<bool>& upper) {
        std::string out = text;
        for (size_t i = 0; i < out.size(); ++i) {
          if (upper[i]) out[i] = absl::ascii_toupper(static_cast<unsigned char>(out[i]));
        }
        return out;
      });
}

rc::Gen<std::string> PathSegment() {
  return rc::gen::nonEmpty(
      rc::gen::container<std::string>(rc::gen::elementOf(std::string("abcXYZ019-_~@"))));
}

Spellings GenerateSpellings() {
  const std::string scheme = *rc::gen::element<std::string>("https", "http", "ssh", "git");
  const std::string host = *rc::gen::element<std::string>("github.com", "git.example.org", "h");
  // Bounded so that the URL stays under the 2048-byte limit.
  const std::vector<std::string> segments = *rc::gen::resize(
      20, rc::gen::nonEmpty(rc::gen::container<std::vector<std::string>>(PathSegment())));
  const std::string path = absl::StrJoin(segments, "/");
  const std::string user = scheme == "ssh" ? "git@" : "";
  Spellings s;
  s.canonical = absl::StrCat(scheme, "://", user, host, "/", path);
  const int default_port = scheme == "https"  ? 443
                           : scheme == "http" ? 80
                           : scheme == "ssh"  ? 22
                                              : 9418;
  const bool scp = scheme == "ssh" && *rc::gen::arbitrary<bool>();
  const std::string suffix =
      *rc::gen::element<std::string>("", "/", ".git", ".GIT", ".git//", "/.git/");
  if (scp) {
    s.variant = absl::StrCat(*rc::gen::element<std::string>("git@", "git:pw@"), *RandomCase(host),
                             *rc::gen::element<std::string>(":", ":/"), path, suffix);
    return s;
  }
  const std::string userinfo =
      scheme == "ssh"
          ? *rc::gen::element<std::string>("git@", "git:pw@")
          : *rc::gen::element<std::string>("", "u@", "u:pw@", ":pw@", "x-access-token:t@");
  const std::string port = *rc::gen::element<std::string>("", ":", absl::StrCat(":", default_port));
  s.variant = absl::StrCat(*RandomCase(scheme), "://", userinfo, *RandomCase(host), port, "/", path,
                           suffix);
  return s;
}

// `host:path` of a canonical (hierarchical, default-port) URL: the scp-like tail.
std::string IdentityTail(const std::string& canonical) {
  absl::string_view rest = canonical;
  rest.remove_prefix(rest.find("://") + 3);
  const size_t slash = rest.find('/');
  absl::string_view host = rest.substr(0, slash);
  host.remove_prefix(host.find('@') == absl::string_view::npos ? 0 : host.find('@') + 1);
  return absl::StrCat(host, ":", rest.substr(slash + 1));
}

RC_GTEST_PROP(RepoUrlProperty, SpellingsOfOneRemoteNormalizeEqual, ()) {
  const Spellings s = GenerateSpellings();
  const absl::StatusOr<std::string> canonical = NormalizeRepoUrl(s.canonical);
  const absl::StatusOr<std::string> variant = NormalizeRepoUrl(s.variant);
  RC_ASSERT(canonical.ok());
  RC_ASSERT(variant.ok());
  RC_ASSERT(*canonical == s.canonical);
  RC_ASSERT(*variant == s.canonical);
}

RC_GTEST_PROP(RepoIdentityProperty, SpellingsOfOneRepositoryShareOneIdentity, ()) {
  const Spellings s = GenerateSpellings();
  // Hosted servers ignore the case of owner and repository and serve every transport.
  const std::string respelled =
      *rc::gen::oneOf(rc::gen::just(s.variant), RandomCase(s.variant),
                      rc::gen::just(absl::StrCat("git@", IdentityTail(s.canonical))));
  const absl::StatusOr<std::string> canonical = RepoIdentity(s.canonical);
  const absl::StatusOr<std::string> variant = RepoIdentity(respelled);
  RC_ASSERT(canonical.ok());
  RC_ASSERT(variant.ok());
  RC_ASSERT(*variant == *canonical);
}

RC_GTEST_PROP(RepoIdentityProperty, IdentityIsAFixedPoint, ()) {
  const std::string input = *AnyUrlInput();
  const absl::StatusOr<std::string> identity = RepoIdentity(input);
  const absl::StatusOr<std::string> normalized = NormalizeRepoUrl(input);
  RC_CLASSIFY(identity.ok());
  // The same language as NormalizeRepoUrl (beyond it only identities themselves).
  RC_ASSERT(identity.ok() == normalized.ok() || absl::StartsWith(input, "//"));
  if (!identity.ok()) return;
  const absl::StatusOr<std::string> again = RepoIdentity(*identity);
  RC_ASSERT(again.ok());
  RC_ASSERT(*again == *identity);
  if (normalized.ok()) RC_ASSERT(RepoIdentity(*normalized).value_or("") == *identity);
  RC_ASSERT(RedactUrl(*identity) == *identity);  // no login, no credential
}

RC_GTEST_PROP(RepoIdentityProperty, DifferentRepositoriesDiffer, ()) {
  const Spellings a = GenerateSpellings();
  const Spellings b = GenerateSpellings();
  const absl::StatusOr<std::string> ia = RepoIdentity(a.variant);
  const absl::StatusOr<std::string> ib = RepoIdentity(b.variant);
  RC_ASSERT(ia.ok());
  RC_ASSERT(ib.ok());
  // Host and path up to case: what makes a repository (the generator uses default ports).
  const bool same = absl::AsciiStrToLower(IdentityTail(a.canonical)) ==
                    absl::AsciiStrToLower(IdentityTail(b.canonical));
  RC_CLASSIFY(same);
  RC_ASSERT((*ia == *ib) == same);
}

// RFC 3986 userinfo characters (no `@` or `/`), so the token is well-formed. A
// token used as the whole userinfo has no `:`, or its head would read as a user name.
rc::Gen<std::string> Token(bool allow_colon) {
  const std::string alphabet =
      absl::StrCat("abcdefXYZ0123456789-._~!$&'()*+,;=%", allow_colon ? ":" : "");
  return rc::gen::map(rc::gen::container<std::string>(rc::gen::elementOf(alphabet)),
                      [](const std::string& tail) { return absl::StrCat("SeCrEt", tail); });
}

RC_GTEST_PROP(RepoUrlProperty, SecretTokenNeverSurvives, ()) {
  const std::string token = *Token(/*allow_colon=*/true);
  const std::string bare_token = *Token(/*allow_colon=*/false);
  const std::string host = *rc::gen::element<std::string>("h", "github.com", "[::1]", "h:8443");
  // Valid and broken tails, so both results and error messages are checked.
  const std::string tail = *rc::gen::element<std::string>(
      "/org/repo.git", "/r", "", "/", "/r?q", "/a/../b", "/r x", ":99999/r", "/r#f", "\n");
  const std::string url = *rc::gen::element<std::string>(
      absl::StrCat("https://user:", token, "@", host, tail),
      absl::StrCat("https://", bare_token, "@", host, tail),
      absl::StrCat("HTTP://x-access-token:", token, "@", host, tail),
      absl::StrCat("git://user:", token, "@", host, tail),
      absl::StrCat("ssh://git:", token, "@", host, tail),
      absl::StrCat("git+ssh://git:", token, "@", host, tail),
      absl::StrCat("git:", token, "@", host == "h:8443" ? "h" : host, ":", tail),
      absl::StrCat("ftp://user:", token, "@", host, tail));
  const absl::StatusOr<std::string> normalized = NormalizeRepoUrl(url);
  const std::string out =
      normalized.ok() ? *normalized : std::string(normalized.status().message());
  RC_ASSERT(!absl::StrContains(out, "SeCrEt"));
  RC_ASSERT(!absl::StrContains(RedactUrl(url), "SeCrEt"));
  const absl::Status validated = ValidateRepoUrl(url);
  RC_ASSERT(!validated.ok());
  RC_ASSERT(!absl::StrContains(validated.message(), "SeCrEt"));
}

RC_GTEST_PROP(RepoUrlProperty, AValidUrlHasNothingToRedact, ()) {
  const std::string input = *AnyUrlInput();
  const absl::Status validated = ValidateRepoUrl(input);
  RC_CLASSIFY(validated.ok());
  if (!validated.ok()) {
    RC_ASSERT(absl::StartsWith(validated.message(), "spec.repoUrl "));
    return;
  }
  RC_ASSERT(NormalizeRepoUrl(input).ok());
  RC_ASSERT(RedactUrl(input) == input);
}

}  // namespace
}  // namespace gitdest::core
