// adapters/k8s/webhook_review.h and claims_index.h: the admission webhook's answers,
// without a network.
#include "adapters/k8s/webhook_review.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "adapters/k8s/resources.h"
#include "nlohmann/json.hpp"

namespace gitdest::k8s {
namespace {

using Json = nlohmann::json;

Json Config(const std::string& name, const std::string& url) {
  return {{"apiVersion", "gitdest.dev/v1alpha1"},
          {"kind", "GitRepoConfig"},
          {"metadata", {{"name", name}, {"namespace", "team"}}},
          {"spec", {{"repoUrl", url}, {"allowedBranches", {"main", "dev"}}}}};
}

Json Dest(const std::string& name, const std::string& folder, const std::string& repo = "repo",
          const std::string& branch = "main") {
  return {{"apiVersion", "gitdest.dev/v1alpha1"},
          {"kind", "GitDestination"},
          {"metadata",
           {{"name", name}, {"namespace", "team"}, {"creationTimestamp", "2024-05-01T10:00:00Z"}}},
          {"spec", {{"repoRef", {{"name", repo}}}, {"branch", branch}, {"baseFolder", folder}}}};
}

Json Review(const std::string& operation, const Json& object, const Json& old = nullptr) {
  Json request = {
      {"uid", "uid-1"},
      {"kind", {{"group", "gitdest.dev"}, {"version", "v1alpha1"}, {"kind", "GitDestination"}}},
      {"operation", operation},
      {"namespace", "team"},
      {"name", object.is_object() ? object["metadata"].value("name", "") : ""},
      {"object", object}};
  if (!old.is_null()) request["oldObject"] = old;
  return {{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", request}};
}

class WebhookReviewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AddConfig(Config("repo", "https://github.com/org/repo"));
    AddDest(Dest("first", "clusters/prod"));
    index_.MarkSynced(true, true);
  }
  void AddConfig(const Json& o) { index_.UpsertRepoConfig(*RepoConfigFromJson(o)); }
  void AddDest(const Json& o) { index_.UpsertDestination(*DestinationFromJson(o)); }
  // The response of a review that must come back as an AdmissionReview.
  Json Respond(const std::string& body) {
    ReviewOutcome out = ReviewAdmission(index_, body);
    EXPECT_EQ(out.reply.status, 200) << out.reply.body;
    Json reply = Json::parse(out.reply.body);
    EXPECT_EQ(reply["apiVersion"], "admission.k8s.io/v1");
    EXPECT_EQ(reply["kind"], "AdmissionReview");
    EXPECT_EQ(reply["response"]["uid"], "uid-1");
    return reply["response"];
  }
  Json Respond(const Json& review) { return Respond(review.dump()); }
  ClaimsIndex index_;
};

TEST_F(WebhookReviewTest, DuplicateTripleIsRefusedNamingTheOtherAndTheFix) {
  Json r = Respond(Review("CREATE", Dest("second", "clusters/prod")));
  EXPECT_FALSE(r["allowed"]);
  EXPECT_EQ(r["status"]["code"], 403);
  const std::string message = r["status"]["message"];
  EXPECT_TRUE(absl::StrContains(message, "GitDestination team/first")) << message;
  EXPECT_TRUE(absl::StrContains(message, "choose a baseFolder")) << message;
}

TEST_F(WebhookReviewTest, DuplicateSpelledDifferentlyIsRefused) {
  int n = 0;
  for (const char* url : {"https://GitHub.com/Org/Repo/", "git@github.com:org/repo.git",
                          "ssh://git@github.com/ORG/repo", "https://github.com/org/repo.git"}) {
    const std::string name = "spelling-" + std::to_string(n++);
    AddConfig(Config(name, url));
    Json r = Respond(Review("CREATE", Dest("second", "./clusters/prod/", name)));
    EXPECT_FALSE(r["allowed"]) << url;
    EXPECT_TRUE(absl::StrContains(r["status"]["message"].get<std::string>(), "team/first"));
  }
}

TEST_F(WebhookReviewTest, NestedFoldersAreRefusedSiblingsAndOtherBranchesAllowed) {
  EXPECT_FALSE(Respond(Review("CREATE", Dest("child", "clusters/prod/eu")))["allowed"]);
  EXPECT_FALSE(Respond(Review("CREATE", Dest("parent", "clusters")))["allowed"]);
  EXPECT_TRUE(Respond(Review("CREATE", Dest("sibling", "clusters/dev")))["allowed"]);
  EXPECT_TRUE(Respond(Review("CREATE", Dest("prefix", "clusters/prod2")))["allowed"]);
  EXPECT_TRUE(Respond(Review("CREATE", Dest("dev", "clusters/prod", "repo", "dev")))["allowed"]);
}

TEST_F(WebhookReviewTest, UpdateOfTheSameObjectIsAllowed) {
  const Json self = Dest("first", "clusters/prod");
  EXPECT_TRUE(Respond(Review("UPDATE", self, self))["allowed"]);
  Json moved = Dest("first", "clusters/prod/eu");
  EXPECT_TRUE(Respond(Review("UPDATE", moved, self))["allowed"]);
  // Another object moving onto it is refused.
  AddDest(Dest("other", "apps"));
  EXPECT_FALSE(
      Respond(Review("UPDATE", Dest("other", "clusters"), Dest("other", "apps")))["allowed"]);
  // A change that leaves the spec alone is allowed even when the spec conflicts.
  Json labelled = Dest("dup", "clusters/prod");
  labelled["metadata"]["labels"] = {{"a", "b"}};
  EXPECT_TRUE(Respond(Review("UPDATE", labelled, Dest("dup", "clusters/prod")))["allowed"]);
}

TEST_F(WebhookReviewTest, DeleteAndOtherKindsAreAllowed) {
  Json del = Review("DELETE", nullptr);
  del["request"].erase("object");
  del["request"]["oldObject"] = Dest("first", "clusters/prod");
  EXPECT_TRUE(Respond(del)["allowed"]);
  Json other = Review("CREATE", Dest("second", "clusters/prod"));
  other["request"]["kind"] = {{"group", ""}, {"version", "v1"}, {"kind", "ConfigMap"}};
  EXPECT_TRUE(Respond(other)["allowed"]);
}

TEST_F(WebhookReviewTest, BadFieldsAreRefusedWithTheCoresMessage) {
  Json r = Respond(Review("CREATE", Dest("bad", "../escape")));
  EXPECT_FALSE(r["allowed"]);
  EXPECT_TRUE(absl::StrContains(r["status"]["message"].get<std::string>(), "spec.baseFolder"));
  r = Respond(Review("CREATE", Dest("bad", "x", "repo", "a..b")));
  EXPECT_TRUE(absl::StrContains(r["status"]["message"].get<std::string>(), "spec.branch"));
  r = Respond(Review("CREATE", Dest("bad", "x", "repo", "feature")));
  EXPECT_TRUE(absl::StrContains(r["status"]["message"].get<std::string>(), "allowedBranches"));
}

TEST_F(WebhookReviewTest, UnknownConfigIsAllowedWithAWarning) {
  Json r = Respond(Review("CREATE", Dest("later", "clusters/prod", "not-yet")));
  EXPECT_TRUE(r["allowed"]);
  EXPECT_TRUE(absl::StrContains(r["warnings"][0].get<std::string>(), "team/not-yet"));
}

TEST_F(WebhookReviewTest, ConfigChangesMoveClaims) {
  // first's config now names another repository: its claim moves with it.
  AddConfig(Config("repo", "https://github.com/org/other"));
  AddConfig(Config("orig", "https://github.com/org/repo"));
  AddConfig(Config("other", "https://github.com/org/other.git"));
  EXPECT_TRUE(Respond(Review("CREATE", Dest("second", "clusters/prod", "orig")))["allowed"]);
  EXPECT_FALSE(Respond(Review("CREATE", Dest("second", "clusters/prod", "other")))["allowed"]);
  // Without its config, first claims nothing.
  index_.RemoveRepoConfig({"team", "repo"});
  EXPECT_TRUE(Respond(Review("CREATE", Dest("second", "clusters/prod", "other")))["allowed"]);
  EXPECT_EQ(index_.claims(), 0u);
  AddConfig(Config("repo", "https://github.com/org/other"));
  EXPECT_EQ(index_.claims(), 1u);
  index_.RemoveDestination({"team", "first"});
  EXPECT_EQ(index_.claims(), 0u);
}

TEST_F(WebhookReviewTest, NotLoadedYetIsRefusedWithRetry) {
  ClaimsIndex empty;
  ReviewOutcome out = ReviewAdmission(empty, Review("CREATE", Dest("a", "b")).dump());
  Json r = Json::parse(out.reply.body)["response"];
  EXPECT_FALSE(r["allowed"]);
  EXPECT_EQ(r["status"]["code"], 503);
  EXPECT_TRUE(absl::StrContains(r["status"]["message"].get<std::string>(), "retry"));
}

// Malformed requests: a 400 Status body while there is no uid, then refusals.
TEST_F(WebhookReviewTest, MalformedBodiesGetAClearError) {
  const std::string cases[][2] = {
      {"not json {", "not JSON"},
      {"[1,2]", "expected an AdmissionReview"},
      {R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{}})",
       "expected an AdmissionReview of admission.k8s.io/v1"},
      {R"({"apiVersion":"admission.k8s.io/v1","kind":"Pod"})", "expected an AdmissionReview"},
      {R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})", "without a request"},
      {R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":7}})",
       "request.uid"},
      {"", "not JSON"},
  };
  for (const auto& [body, expected] : cases) {
    ReviewOutcome out = ReviewAdmission(index_, body);
    EXPECT_EQ(out.reply.status, 400) << body;
    Json status = Json::parse(out.reply.body);
    EXPECT_EQ(status["kind"], "Status");
    EXPECT_EQ(status["code"], 400);
    EXPECT_TRUE(absl::StrContains(status["message"].get<std::string>(), expected))
        << body << " -> " << status["message"];
  }
  ReviewOutcome big = ReviewAdmission(index_, std::string(kMaxReviewBytes + 1, ' '));
  EXPECT_EQ(big.reply.status, 413);
}

TEST_F(WebhookReviewTest, MalformedRequestsWithAUidAreRefused) {
  Json no_object = Review("CREATE", Dest("a", "b"));
  no_object["request"].erase("object");
  Json r = Respond(no_object);
  EXPECT_FALSE(r["allowed"]);
  EXPECT_EQ(r["status"]["code"], 400);
  EXPECT_TRUE(absl::StrContains(r["status"]["message"].get<std::string>(), "request.object"));

  Json wrong_type = Review("CREATE", Dest("a", "b"));
  wrong_type["request"]["object"]["spec"]["branch"] = 42;
  r = Respond(wrong_type);
  EXPECT_FALSE(r["allowed"]);
  EXPECT_TRUE(absl::StrContains(r["status"]["message"].get<std::string>(), "spec.branch"));

  Json no_kind = Review("CREATE", Dest("a", "b"));
  no_kind["request"].erase("kind");
  r = Respond(no_kind);
  EXPECT_FALSE(r["allowed"]);
  EXPECT_TRUE(absl::StrContains(r["status"]["message"].get<std::string>(), "request.kind"));

  Json bad_operation = Review("PATCH", Dest("a", "b"));
  EXPECT_FALSE(Respond(bad_operation)["allowed"]);
  Json odd = Review("CREATE", Dest("a", "b"));
  odd["request"]["object"]["metadata"] = "text";
  EXPECT_FALSE(Respond(odd)["allowed"]);
  odd["request"]["operation"] = 5;
  EXPECT_FALSE(Respond(odd)["allowed"]);
}

// Every prefix of a valid review, and every field of it replaced by each JSON type, is
// answered (200 or 400) without throwing.
TEST_F(WebhookReviewTest, TruncatedAndRetypedReviewsAreAnswered) {
  const Json review = Review("UPDATE", Dest("x", "clusters/prod"), Dest("x", "apps"));
  const std::string text = review.dump();
  for (size_t n = 0; n < text.size(); ++n) {
    const int status = ReviewAdmission(index_, text.substr(0, n)).reply.status;
    EXPECT_EQ(status, 400) << n;
  }
  const Json kinds[] = {nullptr, 7, -1.5, true, "s", Json::array({1}), Json::object()};
  const Json flat = review.flatten();
  for (const auto& [pointer, value] : flat.items()) {
    for (const Json& replacement : kinds) {
      Json changed = review;
      changed[Json::json_pointer(pointer)] = replacement;
      ReviewOutcome out = ReviewAdmission(index_, changed.dump());
      EXPECT_TRUE(out.reply.status == 200 || out.reply.status == 400) << pointer;
      EXPECT_TRUE(Json::accept(out.reply.body)) << out.reply.body;
    }
  }
}

TEST_F(WebhookReviewTest, NamespaceAndNameComeFromTheRequestWhenMissing) {
  Json object = Dest("", "clusters/prod");
  object["metadata"].erase("namespace");
  object["metadata"].erase("name");
  object["metadata"]["generateName"] = "gen-";
  Json r = Respond(Review("CREATE", object));
  EXPECT_FALSE(r["allowed"]);  // resolved in the request's namespace: the duplicate is found
}

}  // namespace
}  // namespace gitdest::k8s
