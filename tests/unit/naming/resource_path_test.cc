#include "core/naming/resource_path.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <optional>
#include <ostream>
#include <regex>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/naming/base_folder.h"

namespace gitdest::core {

// Readable failures in both GoogleTest and RapidCheck.
void PrintTo(const ResourceId& id, std::ostream* os) {
  *os << "{group=\"" << id.group << "\" version=\"" << id.version << "\" resource=\"" << id.resource
      << "\" namespace=\"" << id.namespace_ << "\" name=\"" << id.name << "\"}";
}
std::ostream& operator<<(std::ostream& os, const ResourceId& id) {
  PrintTo(id, &os);
  return os;
}

namespace {

constexpr char kBase[] = "clusters/prod";

struct PathCase {
  ResourceId id;
  std::string path;
};

std::vector<PathCase> LayoutCases() {
  return {
      {{"", "v1", "configmaps", "default", "cm"}, "clusters/prod/v1/configmaps/default/cm.yaml"},
      {{"", "v1", "namespaces", "", "default"}, "clusters/prod/v1/namespaces/default.yaml"},
      {{"apps", "v1", "deployments", "ns", "web"}, "clusters/prod/apps/v1/deployments/ns/web.yaml"},
      {{"apps", "v1", "deployments", "", "web"}, "clusters/prod/apps/v1/deployments/web.yaml"},
      {{"velero.io", "v1", "backups", "velero", "b"},
       "clusters/prod/velero.io/v1/backups/velero/b.yaml"},
      {{"velero.io", "v1", "backupstoragelocations", "", "x"},
       "clusters/prod/velero.io/v1/backupstoragelocations/x.yaml"},
      {{"rbac.authorization.k8s.io", "v1", "clusterroles", "", "system:controller:x"},
       "clusters/prod/rbac.authorization.k8s.io/v1/clusterroles/system:controller:x.yaml"},
      {{"", "v1beta1", "foos", "ns", "x"}, "clusters/prod/v1beta1/foos/ns/x.yaml"},
      {{"", "v2alpha3", "foos", "", "x"}, "clusters/prod/v2alpha3/foos/x.yaml"},
      {{"example.com", "foo", "widgets", "", "w"}, "clusters/prod/example.com/foo/widgets/w.yaml"},
      {{"", "v1", "configmaps", "default", "a.yaml"},
       "clusters/prod/v1/configmaps/default/a.yaml.yaml"},
      {{"", "v1", "configmaps", "default", "x.SOPS"},
       "clusters/prod/v1/configmaps/default/x.SOPS.yaml"},
      {{"", "v1", "configmaps", "default", "..a"}, "clusters/prod/v1/configmaps/default/..a.yaml"},
      {{"", "v1", "configmaps", "default", std::string(250, 'n')},
       absl::StrCat("clusters/prod/v1/configmaps/default/", std::string(250, 'n'), ".yaml")},
      {{std::string(253, 'g'), "v1", std::string(253, 'r'), std::string(253, 's'), "n"},
       absl::StrCat("clusters/prod/", std::string(253, 'g'), "/v1/", std::string(253, 'r'), "/",
                    std::string(253, 's'), "/n.yaml")},
  };
}

TEST(ResourcePathTest, Layout) {
  for (const PathCase& c : LayoutCases()) {
    SCOPED_TRACE(c.path);
    const absl::StatusOr<std::string> got = ResourcePath(kBase, c.id);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.path);
  }
}

TEST(ParseResourcePathTest, ReadsTheLayoutBack) {
  for (const PathCase& c : LayoutCases()) {
    SCOPED_TRACE(c.path);
    EXPECT_EQ(ParseResourcePath(kBase, c.path), c.id);
  }
}

TEST(ParseResourcePathTest, GroupsAreNeverVersions) {
  // Four segments: a version first means core + namespaced, anything else a group.
  EXPECT_EQ(ParseResourcePath(kBase, "clusters/prod/velero.io/v1/backups/b.yaml"),
            (ResourceId{"velero.io", "v1", "backups", "", "b"}));
  EXPECT_EQ(ParseResourcePath(kBase, "clusters/prod/apps/v1/deployments/web.yaml"),
            (ResourceId{"apps", "v1", "deployments", "", "web"}));
  EXPECT_EQ(ParseResourcePath(kBase, "clusters/prod/v1/secrets/default/s.yaml"),
            (ResourceId{"", "v1", "secrets", "default", "s"}));
}

TEST(ParseResourcePathTest, SopsFileKeepsTheObjectName) {
  EXPECT_EQ(ParseResourcePath(kBase, "clusters/prod/v1/secrets/default/x.sops.yaml"),
            (ResourceId{"", "v1", "secrets", "default", "x"}));
  EXPECT_EQ(ParseResourcePath(kBase, "clusters/prod/v1/secrets/x.sops.yaml"),
            (ResourceId{"", "v1", "secrets", "", "x"}));
}

TEST(ParseResourcePathTest, IgnoresFilesThatAreNotObjectsOfThisDestination) {
  const std::vector<std::string> paths = {
      "other/v1/configmaps/default/cm.yaml",
      "clusters/production/v1/configmaps/default/cm.yaml",  // prefix, not a folder
      "clusters/prod",
      "clusters/prod/",
      "clusters/prod/v1/configmaps/default/cm.yml",
      "clusters/prod/v1/configmaps/default/cm.YAML",
      "clusters/prod/README.md",
      "clusters/prod/cm.yaml",
      "clusters/prod/v1/cm.yaml",
      "clusters/prod/a/v1/configmaps/ns/x/y.yaml",
      "clusters/prod/v1/configmaps/../x.yaml",
      "clusters/prod/v1/configmaps/./x.yaml",
      "clusters/prod/v1//x.yaml",
      "clusters/prod//v1/configmaps/x.yaml",
      "clusters/prod/v1/configmaps/default/.yaml",
      "clusters/prod/v1/configmaps/default/.sops.yaml",
      "clusters/prod/foo/configmaps/x.yaml",       // core, but not a version
      "clusters/prod/v1/v1/configmaps/ns/x.yaml",  // a group shaped like a version
      "clusters/prod/.git/v1/x/y.yaml",
      "clusters/prod/v1/configmaps/.GIT/y.yaml",
      "clusters/prod/v1/configmaps/default/x.sops.sops.yaml",
      "clusters/prod/v1/configmaps/default/a\\b.yaml",
      "/clusters/prod/v1/configmaps/default/cm.yaml",
  };
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    EXPECT_EQ(ParseResourcePath(kBase, path), std::nullopt);
  }
}

TEST(ParseResourcePathTest, NeedsANormalizedBaseFolder) {
  EXPECT_EQ(ParseResourcePath("", "v1/configmaps/x.yaml"), std::nullopt);
  EXPECT_EQ(ParseResourcePath("clusters/./prod", "clusters/./prod/v1/configmaps/x.yaml"),
            std::nullopt);
  EXPECT_EQ(ParseResourcePath("..", "../v1/configmaps/x.yaml"), std::nullopt);
}

struct RejectCase {
  ResourceId id;
  std::string message_prefix;  // names the field
  std::string problem;
};

TEST(ResourcePathTest, RejectsHostileIds) {
  const std::string huge(1 << 20, 'x');
  const std::vector<RejectCase> cases = {
      {{"", "v1", "configmaps", "ns", "../../etc/passwd"},
       "name \"../../etc/passwd\"",
       "path separator"},
      {{"", "v1", "configmaps", "ns", ".."}, "name \"..\"", "relative path segment"},
      {{"", "v1", "configmaps", "ns", "."}, "name \".\"", "relative path segment"},
      {{"", "v1", "configmaps", "ns", "a/b"}, "name \"a/b\"", "path separator"},
      {{"", "v1", "configmaps", "ns", "a\\b"}, "name ", "path separator"},
      {{"", "v1", "configmaps", "ns", std::string("a\0b", 3)}, "name \"a\\x00", "NUL"},
      {{"", "v1", "configmaps", "ns", "a\nb"}, "name \"a\\nb\"", "control character"},
      {{"", "v1", "configmaps", "ns", ""}, "name \"\"", "is empty"},
      {{"", "v1", "configmaps", "ns", std::string(251, 'n')}, "name ", "over the limit of 250"},
      {{"", "v1", "configmaps", std::string(254, 's'), "n"}, "namespace ", "over the limit of 253"},
      {{std::string(253, 'g'), "v1", std::string(253, 'r'), std::string(253, 's'),
        std::string(250, 'n')},
       "name ",
       "path of 1034 bytes, over the limit of 1024"},
      {{"", "v1", "configmaps", "ns", huge}, "name ", "1048576 bytes long"},
      {{"", "v1", "configmaps", "ns", "x.sops"}, "name \"x.sops\"", "SOPS"},
      {{"", "v1", "configmaps", "..", "n"}, "namespace \"..\"", "relative path segment"},
      {{"", "v1", "configmaps", "a/b", "n"}, "namespace \"a/b\"", "path separator"},
      {{"", "v1", "configmaps", ".git", "n"}, "namespace \".git\"", "\".git\" folder"},
      {{"", "v1", ".GIT", "ns", "n"}, "resource \".GIT\"", "\".git\" folder"},
      {{"", "v1", "", "ns", "n"}, "resource \"\"", "is empty"},
      {{"", "v1", "..", "ns", "n"}, "resource \"..\"", "relative path segment"},
      {{"", "", "configmaps", "ns", "n"}, "version \"\"", "is empty"},
      {{"", "foo", "configmaps", "ns", "n"}, "version \"foo\"", "not a Kubernetes version"},
      {{"", "V1", "configmaps", "ns", "n"}, "version \"V1\"", "not a Kubernetes version"},
      {{"apps", "../..", "deployments", "ns", "n"}, "version \"../..\"", "path separator"},
      {{"..", "v1", "deployments", "ns", "n"}, "group \"..\"", "relative path segment"},
      {{"a/b", "v1", "deployments", "ns", "n"}, "group \"a/b\"", "path separator"},
      {{"v1", "v1", "deployments", "ns", "n"}, "group \"v1\"", "shape of a version"},
  };
  for (const RejectCase& c : cases) {
    SCOPED_TRACE(c.message_prefix);
    const absl::StatusOr<std::string> got = ResourcePath(kBase, c.id);
    ASSERT_FALSE(got.ok()) << *got;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(got.status().message());
    EXPECT_TRUE(absl::StartsWith(message, c.message_prefix)) << message;
    EXPECT_TRUE(absl::StrContains(message, c.problem)) << message;
    EXPECT_TRUE(absl::StrContains(message, "; ")) << message;
    EXPECT_LT(message.size(), 500u) << "a huge name must not make a huge message";
  }
}

TEST(ResourcePathTest, RejectsBadBaseFolders) {
  const ResourceId id{"", "v1", "configmaps", "ns", "n"};
  for (const std::string base : {"", "..", "../x", "/abs", "clusters/./prod", "clusters/prod/"}) {
    SCOPED_TRACE(base);
    const absl::StatusOr<std::string> got = ResourcePath(base, id);
    ASSERT_FALSE(got.ok()) << *got;
    EXPECT_TRUE(absl::StartsWith(got.status().message(), "spec.baseFolder")) << got.status();
  }
}

// ---- Properties ----

const std::vector<std::string>& Bases() {
  static const auto* const bases = new std::vector<std::string>{"clusters/prod",  "a",  "foo..bar",
                                                                "deep/er/folder", "v1", ".hidden"};
  return *bases;
}

// Field values from hostile fragments, joined at random, or arbitrary bytes.
rc::Gen<std::string> HostileField() {
  const std::vector<std::string> pieces = {
      "",   ".",    "..",   "/",      "\\",    std::string(1, '\0'),
      "a",  "v1",   ".git", "x.sops", "-",     "...",
      "\n", "apps", ".io",  "beta2",  ".yaml", "%2F"};
  return rc::gen::weightedOneOf<std::string>(
      {{3, rc::gen::map(rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(pieces)),
                        [](const std::vector<std::string>& p) { return absl::StrJoin(p, ""); })},
       {1, rc::gen::arbitrary<std::string>()}});
}

// A valid id with a random subset of its fields made hostile, so that both the
// rejections and the (path-safe) acceptances of odd values are exercised.
ResourceId HostileId() {
  ResourceId id = *rc::gen::element(ResourceId{"", "v1", "configmaps", "default", "cm"},
                                    ResourceId{"apps", "v1", "deployments", "", "web"});
  for (std::string* field : {&id.group, &id.version, &id.resource, &id.namespace_, &id.name}) {
    if (*rc::gen::weightedElement<bool>({{2, false}, {1, true}})) *field = *HostileField();
  }
  return id;
}

bool NamesAField(absl::string_view message) {
  for (const char* field : {"group ", "version ", "resource ", "namespace ", "name "}) {
    if (absl::StartsWith(message, field)) return true;
  }
  return false;
}

RC_GTEST_PROP(ResourcePathProperty, HostileIdsNeverEscapeTheBaseFolder, ()) {
  const std::string base = *rc::gen::elementOf(Bases());
  const ResourceId id = HostileId();
  const absl::StatusOr<std::string> path = ResourcePath(base, id);
  RC_CLASSIFY(path.ok());
  if (!path.ok()) {
    RC_ASSERT(path.status().code() == absl::StatusCode::kInvalidArgument);
    RC_ASSERT(NamesAField(path.status().message()));
    return;
  }
  RC_ASSERT(absl::StartsWith(*path, base + "/"));
  // The controller's invariant 5 checks queued paths with NormalizeBaseFolder.
  RC_ASSERT(NormalizeBaseFolder(*path) == absl::StatusOr<std::string>(*path));
  RC_ASSERT(path->find('\0') == std::string::npos);
  RC_ASSERT(path->find('\\') == std::string::npos);
  for (const absl::string_view segment : absl::StrSplit(*path, '/')) {
    RC_ASSERT(!segment.empty());
    RC_ASSERT(segment != ".");
    RC_ASSERT(segment != "..");
  }
  RC_ASSERT(ParseResourcePath(base, *path) == std::optional<ResourceId>(id));
}

// The controller writes under folders it normalized itself and skips the folder check:
// for those folders the fast path answers exactly what ResourcePath answers, hostile ids
// included.
RC_GTEST_PROP(ResourcePathProperty, TheNormalFolderPathAgreesWithResourcePath, ()) {
  const std::string base = *rc::gen::elementOf(Bases());
  const ResourceId id = HostileId();
  RC_ASSERT(ResourcePathInNormalFolder(base, id) == ResourcePath(base, id));
}

// Ids shaped like real Kubernetes objects; bounded so that they stay within the
// 253-byte segment limit (at most 10 labels of at most 10 characters).
rc::Gen<std::string> DnsLabel() {
  return rc::gen::resize(10, rc::gen::nonEmpty(rc::gen::container<std::string>(
                                 rc::gen::elementOf(std::string("abcxyz0189-")))));
}

rc::Gen<std::string> DnsSubdomain() {
  return rc::gen::map(
      rc::gen::resize(10,
                      rc::gen::nonEmpty(rc::gen::container<std::vector<std::string>>(DnsLabel()))),
      [](const std::vector<std::string>& labels) { return absl::StrJoin(labels, "."); });
}

rc::Gen<std::string> KubeVersion() {
  return rc::gen::map(
      rc::gen::tuple(rc::gen::inRange(0, 20), rc::gen::element<std::string>("", "alpha", "beta"),
                     rc::gen::inRange(0, 5)),
      [](const std::tuple<int, std::string, int>& t) {
        const auto& [major, stage, minor] = t;
        return stage.empty() ? absl::StrCat("v", major) : absl::StrCat("v", major, stage, minor);
      });
}

RC_GTEST_PROP(ResourcePathProperty, RoundTripsEveryValidId, ()) {
  const std::string base = *rc::gen::elementOf(Bases());
  ResourceId id;
  id.group = *rc::gen::oneOf(rc::gen::just(std::string()), DnsSubdomain(),
                             rc::gen::element<std::string>("apps", "velero.io", "batch"));
  id.version = id.group.empty() ? *KubeVersion() : *rc::gen::oneOf(KubeVersion(), DnsLabel());
  id.resource = *DnsLabel();
  id.namespace_ = *rc::gen::oneOf(rc::gen::just(std::string()), DnsLabel());
  id.name = *DnsSubdomain();
  RC_PRE(!absl::EndsWith(id.name, ".sops"));
  // A group shaped like a version (`v1`) is refused by design: its path would read
  // back as the core group.
  RC_PRE(!std::regex_match(id.group, std::regex("v[0-9]+((alpha|beta)[0-9]+)?")));
  const absl::StatusOr<std::string> path = ResourcePath(base, id);
  RC_ASSERT(path.ok());
  RC_ASSERT(ParseResourcePath(base, *path) == std::optional<ResourceId>(id));
}

// The other direction: whatever ParseResourcePath accepts, ResourcePath writes
// back to the same file (SOPS files to their plain name).
RC_GTEST_PROP(ResourcePathProperty, ParsedPathsRenderBack, ()) {
  const std::string base = *rc::gen::elementOf(Bases());
  // Mostly plausible directories and files, with hostile ones mixed in.
  const rc::Gen<std::string> plausible =
      rc::gen::element<std::string>("v1", "v2beta1", "apps", "velero.io", "configmaps", "ns");
  const rc::Gen<std::string> hostile =
      rc::gen::element<std::string>("..", ".", "", ".git", "V1", "v1alpha", "a.yaml");
  const int depth = *rc::gen::weightedOneOf<int>(
      {{1, rc::gen::inRange(1, 3)}, {6, rc::gen::inRange(3, 6)}, {1, rc::gen::just(6)}});
  std::vector<std::string> segments = *rc::gen::container<std::vector<std::string>>(
      static_cast<size_t>(depth - 1),
      rc::gen::weightedOneOf<std::string>({{6, plausible}, {1, hostile}}));
  segments.push_back(*rc::gen::weightedElement<std::string>({{6, "x.yaml"},
                                                             {2, "b.sops.yaml"},
                                                             {1, "c.yml"},
                                                             {1, ".yaml"},
                                                             {1, "..yaml"},
                                                             {1, "d.sops.sops.yaml"},
                                                             {1, "e"}}));
  const std::string path = absl::StrCat(base, "/", absl::StrJoin(segments, "/"));
  const std::optional<ResourceId> id = ParseResourcePath(base, path);
  RC_CLASSIFY(id.has_value());
  if (!id.has_value()) return;
  std::string expected = path;
  if (absl::EndsWith(expected, ".sops.yaml")) expected.erase(expected.size() - 10, 5);
  RC_ASSERT(ResourcePath(base, *id) == absl::StatusOr<std::string>(expected));
}

}  // namespace
}  // namespace gitdest::core
