#include "core/admission.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"

namespace gitdest::core {
namespace {

const absl::Time t0 = absl::FromUnixSeconds(1000);

RepoConfig Config(std::string url, std::string name = "repo") {
  RepoConfig c;
  c.key = {"ns", std::move(name)};
  c.spec.repo_url = std::move(url);
  c.spec.allowed_branches = {"main", "release/*"};
  return c;
}

Destination Dest(std::string name, std::string folder, std::string branch = "main",
                 std::string repo = "repo") {
  Destination d;
  d.key = {"ns", std::move(name)};
  d.creation_time = t0;
  d.spec = {{"ns", std::move(repo)}, std::move(branch), std::move(folder)};
  return d;
}

// The claims of `existing` (each with its own config), as the webhook's index holds them.
struct Index {
  std::vector<Claim> claims;
  int lookups = 0;
  void Add(const Destination& d, const RepoConfig& config) {
    absl::StatusOr<Claim> claim = ResolveClaim(d, &config);
    ASSERT_TRUE(claim.ok()) << claim.status();
    claims.push_back(*claim);
  }
  AdmissionDecision Admit(const Destination& d, const RepoConfig* config) {
    return AdmitDestination(d, config, [&](const std::string& repository, const std::string& b) {
      ++lookups;
      std::vector<Claim> out;
      for (const Claim& c : claims) {
        if (c.target.repository == repository && c.target.branch == b) out.push_back(c);
      }
      return out;
    });
  }
};

TEST(AdmitDestinationTest, DuplicateSpelledDifferentlyIsRefusedNamingTheOther) {
  Index index;
  index.Add(Dest("first", "clusters/prod"), Config("https://github.com/org/repo"));
  for (const char* url : {"https://GitHub.com/Org/Repo/", "git@github.com:org/repo.git",
                          "ssh://git@github.com/org/Repo.GIT", "https://github.com/org/repo"}) {
    const RepoConfig other = Config(url, "other");
    AdmissionDecision d = index.Admit(Dest("second", "./clusters/prod/", "main", "other"), &other);
    EXPECT_EQ(d.status.code(), absl::StatusCode::kAlreadyExists) << url;
    EXPECT_TRUE(absl::StrContains(d.status.message(), "GitDestination ns/first")) << d.status;
    EXPECT_TRUE(absl::StrContains(d.status.message(), "choose a baseFolder")) << d.status;
  }
}

TEST(AdmitDestinationTest, NestedFolderIsRefusedAndSiblingsAreAdmitted) {
  Index index;
  const RepoConfig config = Config("https://h/org/repo");
  index.Add(Dest("parent", "clusters"), config);
  EXPECT_EQ(index.Admit(Dest("child", "clusters/prod"), &config).status.code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(index.Admit(Dest("sibling", "apps"), &config).status.ok());
  EXPECT_TRUE(index.Admit(Dest("prefix", "clusters2"), &config).status.ok());
  EXPECT_TRUE(index.Admit(Dest("other-branch", "clusters", "release/1"), &config).status.ok());
}

TEST(AdmitDestinationTest, AnUpdateOfTheSameObjectIsAdmitted) {
  Index index;
  const RepoConfig config = Config("https://h/org/repo");
  index.Add(Dest("self", "clusters"), config);
  EXPECT_TRUE(index.Admit(Dest("self", "clusters"), &config).status.ok());
  EXPECT_TRUE(index.Admit(Dest("self", "clusters/prod"), &config).status.ok());
}

TEST(AdmitDestinationTest, BadFieldsAreRefusedEvenWithoutTheConfig) {
  Index index;
  const RepoConfig config = Config("https://h/org/repo");
  for (const RepoConfig* c : {&config, static_cast<const RepoConfig*>(nullptr)}) {
    AdmissionDecision folder = index.Admit(Dest("d", "../etc"), c);
    EXPECT_EQ(folder.status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(folder.status.message(), "spec.baseFolder")) << folder.status;
    AdmissionDecision branch = index.Admit(Dest("d", "f", "a..b"), c);
    EXPECT_TRUE(absl::StrContains(branch.status.message(), "spec.branch")) << branch.status;
  }
  AdmissionDecision disallowed = index.Admit(Dest("d", "f", "dev"), &config);
  EXPECT_EQ(disallowed.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(disallowed.status.message(), "spec.allowedBranches"));
  EXPECT_EQ(index.lookups, 0);
}

TEST(AdmitDestinationTest, UnknownOrBrokenConfigAdmitsWithAWarning) {
  Index index;
  AdmissionDecision unknown = index.Admit(Dest("d", "f"), nullptr);
  EXPECT_TRUE(unknown.status.ok());
  EXPECT_TRUE(absl::StrContains(unknown.warning, "ns/repo")) << unknown.warning;
  RepoConfig leaked = Config("https://h/org/repo");
  leaked.spec.repo_url_had_credentials = true;
  AdmissionDecision broken = index.Admit(Dest("d", "f"), &leaked);
  EXPECT_TRUE(broken.status.ok());
  EXPECT_TRUE(absl::StrContains(broken.warning, "spec.repoUrl")) << broken.warning;
  EXPECT_EQ(index.lookups, 0);
}

TEST(AdmitDestinationTest, ResolveClaimIsTheControllersTarget) {
  const RepoConfig config = Config("https://H/org/Repo.git");
  const Destination d = Dest("d", "a/./b/");
  absl::StatusOr<Claim> claim = ResolveClaim(d, &config);
  ASSERT_TRUE(claim.ok()) << claim.status();
  EXPECT_EQ(claim->destination, d.key);
  EXPECT_EQ(claim->creation_time, t0);
  EXPECT_EQ(claim->target, *ResolveTarget(d.spec, &config));
  EXPECT_EQ(ResolveClaim(d, nullptr).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace gitdest::core
