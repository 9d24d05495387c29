#include "core/uniqueness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gitdest::core {
namespace {

const absl::Time t0 = absl::FromUnixSeconds(1000);

RepoConfig Config(std::string url = "https://h/org/repo") {
  RepoConfig c;
  c.key = {"ns", "repo"};
  c.spec.repo_url = std::move(url);
  c.spec.allowed_branches = {"main", "release/*"};
  return c;
}

Claim MakeClaim(const std::string& name, const std::string& folder, absl::Time created,
                const std::string& url = "https://h/org/repo", const std::string& branch = "main") {
  RepoConfig config = Config(url);
  absl::StatusOr<WriteTarget> target = ResolveTarget({{"ns", "repo"}, branch, folder}, &config);
  EXPECT_TRUE(target.ok()) << target.status();
  return Claim{{"ns", name}, created, *target};
}

TEST(ResolveTargetTest, NormalizesEveryPart) {
  RepoConfig config = Config("https://H/org/Repo.GIT/");
  auto target = ResolveTarget({{"ns", "repo"}, "main", "clusters/./prod/"}, &config);
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->repo_url, "https://h/org/Repo");
  EXPECT_EQ(target->repository, "//h/org/repo");
  EXPECT_EQ(target->base_folder, "clusters/prod");
  EXPECT_EQ(target->identity.size(), 64u);
}

TEST(ResolveTargetTest, ErrorsNameTheFieldAndTheFix) {
  RepoConfig config = Config();
  auto missing = ResolveTarget({{"ns", "nope"}, "main", "f"}, nullptr);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("spec.repoRef"), absl::string_view::npos);
  auto branch = ResolveTarget({{"ns", "repo"}, "dev", "f"}, &config);
  EXPECT_EQ(branch.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(branch.status().message().find("spec.branch"), absl::string_view::npos);
  EXPECT_NE(branch.status().message().find("spec.allowedBranches"), absl::string_view::npos);
  auto bad_ref = ResolveTarget({{"ns", "repo"}, "main..x", "f"}, &config);
  EXPECT_EQ(bad_ref.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_ref.status().message().find("spec.branch"), absl::string_view::npos);
  auto root = ResolveTarget({{"ns", "repo"}, "main", "."}, &config);
  EXPECT_NE(root.status().message().find("spec.baseFolder"), absl::string_view::npos);
  RepoConfig bad_url = Config("not a url");
  auto url = ResolveTarget({{"ns", "repo"}, "main", "f"}, &bad_url);
  EXPECT_NE(url.status().message().find("spec.repoUrl"), absl::string_view::npos);
}

// Credentials belong in the Secret: a URL that carries them is a bad spec, and the
// message that says so must not repeat the secret.
TEST(ResolveTargetTest, RefusesCredentialsInTheUrl) {
  for (const std::string url : {"https://user:s3cretTOKEN@h/org/repo", "https://s3cretTOKEN@h/r",
                                "git:s3cretTOKEN@h:org/repo"}) {
    SCOPED_TRACE(url);
    RepoConfig config = Config(url);
    auto target = ResolveTarget({{"ns", "repo"}, "main", "f"}, &config);
    ASSERT_FALSE(target.ok());
    EXPECT_EQ(target.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(target.status().message());
    EXPECT_TRUE(absl::StrContains(message, "GitRepoConfig ns/repo: spec.repoUrl ")) << message;
    EXPECT_TRUE(absl::StrContains(message, "spec.secretRef")) << message;
    EXPECT_FALSE(absl::StrContains(message, "s3cretTOKEN")) << message;
  }
  RepoConfig login = Config("git@h:org/repo");  // an ssh login is not a credential
  EXPECT_TRUE(ResolveTarget({{"ns", "repo"}, "main", "f"}, &login).ok());
}

TEST(CheckAdmissionTest, RefusesSameTripleAndNestingNamingTheOther) {
  std::vector<Claim> existing = {MakeClaim("prod", "clusters/prod", t0)};
  absl::Status same = CheckAdmission(MakeClaim("dup", "clusters/./prod", t0), existing);
  EXPECT_EQ(same.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(same.message().find("ns/prod"), absl::string_view::npos);
  absl::Status nested = CheckAdmission(MakeClaim("n", "clusters/prod/apps", t0), existing);
  EXPECT_NE(nested.message().find("overlaps"), absl::string_view::npos);
  absl::Status parent = CheckAdmission(MakeClaim("p", "clusters", t0), existing);
  EXPECT_FALSE(parent.ok());
  EXPECT_TRUE(CheckAdmission(MakeClaim("s", "clusters/production", t0), existing).ok());
  EXPECT_TRUE(CheckAdmission(MakeClaim("b", "clusters/prod", t0, "https://h/org/repo", "release/1"),
                             existing)
                  .ok());
  EXPECT_FALSE(
      CheckAdmission(MakeClaim("u", "clusters/prod", t0, "https://H/org/repo.git//"), existing)
          .ok());
  // An update of the same object does not conflict with itself.
  EXPECT_TRUE(CheckAdmission(MakeClaim("prod", "clusters/prod", t0), existing).ok());
}

// Hosted servers serve one repository under every spelling: two GitRepoConfigs that
// spell it differently must not let two destinations write one folder.
TEST(CheckAdmissionTest, RespellingsOfOneRepositoryThroughTwoConfigsConflict) {
  const std::vector<std::pair<std::string, std::string>> spellings = {
      {"https://GitHub.com/Org/Repo/", "https://github.com/org/repo.git"},
      {"git@github.com:org/repo.git", "https://github.com/org/repo"},
      {"ssh://git@github.com:22/Org/Repo", "https://github.com:443/org/repo"},
  };
  for (const auto& [first_url, second_url] : spellings) {
    SCOPED_TRACE(absl::StrCat(first_url, " then ", second_url));
    RepoConfig first = Config(first_url);
    RepoConfig second = Config(second_url);
    second.key = {"other-ns", "mirror"};
    auto a = ResolveTarget({{"ns", "repo"}, "main", "clusters/prod"}, &first);
    auto b = ResolveTarget({{"other-ns", "mirror"}, "main", "clusters/prod"}, &second);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->identity, b->identity);
    const Claim older{{"ns", "a"}, t0, *a};
    const Claim newer{{"other-ns", "b"}, t0 + absl::Seconds(1), *b};
    const absl::Status admission = CheckAdmission(newer, std::vector<Claim>{older});
    EXPECT_EQ(admission.code(), absl::StatusCode::kAlreadyExists) << admission;
    EXPECT_NE(admission.message().find("ns/a"), absl::string_view::npos) << admission;
    const auto verdicts = ResolveConflicts({newer, older});
    EXPECT_FALSE(verdicts.at({"ns", "a"}).has_value());
    EXPECT_EQ(verdicts.at({"other-ns", "b"}), (ObjectKey{"ns", "a"}));
  }
  // A file:// path keeps its case: two local repositories, no conflict.
  RepoConfig upper = Config("file:///srv/Repo");
  RepoConfig lower = Config("file:///srv/repo");
  auto a = ResolveTarget({{"ns", "repo"}, "main", "f"}, &upper);
  auto b = ResolveTarget({{"ns", "repo"}, "main", "f"}, &lower);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(
      CheckAdmission(Claim{{"ns", "b"}, t0, *b}, std::vector<Claim>{{{"ns", "a"}, t0, *a}}).ok());
}

TEST(ResolveConflictsTest, OldestWinsTiesByNameAndLosersDoNotBlock) {
  std::vector<Claim> claims = {
      MakeClaim("b", "a/b", t0),                       // nested in "a": loses to it
      MakeClaim("a", "a", t0),                         // same second as b, sorts first: wins
      MakeClaim("c", "a/b/c", t0 - absl::Seconds(1)),  // oldest: wins over "a"?
  };
  // c is oldest and nested in a → a loses to c; b overlaps c → b loses to c.
  auto verdicts = ResolveConflicts(claims);
  EXPECT_FALSE(verdicts.at({"ns", "c"}).has_value());
  EXPECT_EQ(verdicts.at({"ns", "a"}), (ObjectKey{"ns", "c"}));
  EXPECT_EQ(verdicts.at({"ns", "b"}), (ObjectKey{"ns", "c"}));

  // A chain: x ⊃ y ⊃ z with y oldest: x and z both lose to y. Without y, x wins over z.
  std::vector<Claim> chain = {MakeClaim("x", "p", t0 + absl::Seconds(1)), MakeClaim("y", "p/q", t0),
                              MakeClaim("z", "p/q/r", t0 + absl::Seconds(2))};
  auto v = ResolveConflicts(chain);
  EXPECT_EQ(v.at({"ns", "x"}), (ObjectKey{"ns", "y"}));
  EXPECT_EQ(v.at({"ns", "z"}), (ObjectKey{"ns", "y"}));
  // Disjoint losers do not block each other: only admitted claims do.
  std::vector<Claim> fan = {MakeClaim("root", "r", t0),
                            MakeClaim("l1", "r/1", t0 + absl::Seconds(1)),
                            MakeClaim("l2", "r/2", t0 + absl::Seconds(1))};
  auto f = ResolveConflicts(fan);
  EXPECT_EQ(f.at({"ns", "l1"}), (ObjectKey{"ns", "root"}));
  EXPECT_EQ(f.at({"ns", "l2"}), (ObjectKey{"ns", "root"}));
}

TEST(ResolveConflictsTest, VerdictsDoNotDependOnInputOrder) {
  std::vector<Claim> claims = {MakeClaim("a", "x", t0), MakeClaim("b", "x/y", t0),
                               MakeClaim("c", "z", t0), MakeClaim("d", "x", t0 - absl::Seconds(5))};
  auto expected = ResolveConflicts(claims);
  std::sort(claims.begin(), claims.end(),
            [](const Claim& l, const Claim& r) { return l.destination.name < r.destination.name; });
  do {
    EXPECT_EQ(ResolveConflicts(claims), expected);
  } while (std::next_permutation(claims.begin(), claims.end(), [](const Claim& l, const Claim& r) {
    return l.destination.name < r.destination.name;
  }));
}

}  // namespace
}  // namespace gitdest::core
