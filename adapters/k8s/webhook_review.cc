#include "adapters/k8s/webhook_review.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/k8s/resources.h"
#include "core/admission.h"
#include "core/naming/repo_url.h"
#include "nlohmann/json.hpp"

namespace gitdest::k8s {
namespace {

using nlohmann::json;

constexpr char kReviewApiVersion[] = "admission.k8s.io/v1";

// A request that is no AdmissionReview: a metav1.Status, as the API server would answer.
ReviewOutcome BadRequest(int code, std::string message) {
  ReviewOutcome out;
  const char* reason = code == 413 ? "RequestEntityTooLarge" : "BadRequest";
  out.reply = {code, json{{"apiVersion", "v1"},
                          {"kind", "Status"},
                          {"status", "Failure"},
                          {"reason", reason},
                          {"code", code},
                          {"message", absl::StrCat("gitdest admission webhook: ", message)}}
                         .dump(-1, ' ', false, json::error_handler_t::replace)};
  out.message = std::move(message);
  return out;
}

// The answer to a review with a uid. `code` is the status code of a refusal.
void Answer(ReviewOutcome& out, bool allowed, int code, std::string message,
            const std::string& warning = "") {
  json response = {{"uid", out.uid}, {"allowed", allowed}};
  if (!allowed) {
    response["status"] = {{"code", code},
                          {"reason", code == 403   ? "Forbidden"
                                     : code == 503 ? "ServiceUnavailable"
                                                   : "BadRequest"},
                          {"message", message}};
  }
  if (!warning.empty()) response["warnings"] = json::array({warning});
  out.reply = {200, json{{"apiVersion", kReviewApiVersion},
                         {"kind", "AdmissionReview"},
                         {"response", std::move(response)}}
                        .dump(-1, ' ', false, json::error_handler_t::replace)};
  out.allowed = allowed;
  out.message = allowed ? warning : std::move(message);
}

std::string StringAt(const json& object, const char* field) {
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// The object as the core takes it. Before the API server has stored it, metadata may lack
// the namespace (taken from the request) or the name (generateName): those come from the
// request, which always carries them.
absl::StatusOr<core::Destination> CandidateOf(const json& request) {
  json object = request.at("object");
  json& metadata = object["metadata"];
  if (!metadata.is_object()) return absl::InvalidArgumentError("metadata: expected an object");
  if (StringAt(metadata, "namespace").empty())
    metadata["namespace"] = StringAt(request, "namespace");
  if (StringAt(metadata, "name").empty()) {
    std::string name = StringAt(request, "name");
    metadata["name"] = name.empty() ? StringAt(metadata, "generateName") + "(generated)" : name;
  }
  return DestinationFromJson(object);
}

void Decide(const ClaimsIndex& index, const json& request, ReviewOutcome& out) {
  if (!index.synced()) {
    return Answer(out, false, 503,
                  "gitdest admission webhook: still loading the cluster's GitDestinations and "
                  "GitRepoConfigs; retry in a few seconds");
  }
  absl::StatusOr<core::Destination> candidate = CandidateOf(request);
  if (!candidate.ok()) {
    return Answer(out, false, 400, absl::StrCat("request.object: ", candidate.status().message()));
  }
  out.object = candidate->key.ToString();
  const std::optional<core::RepoConfig> config = index.FindRepoConfig(candidate->spec.repo_ref);
  core::AdmissionDecision decision =
      core::AdmitDestination(*candidate, config ? &*config : nullptr,
                             [&](const std::string& repository, const std::string& branch) {
                               return index.ClaimsOn(repository, branch);
                             });
  if (!decision.status.ok()) {
    return Answer(out, false, 403, std::string(decision.status.message()));
  }
  Answer(out, true, 0, "", decision.warning);
}

bool IsGitDestination(const json& kind) {
  return StringAt(kind, "group") == kGroup && StringAt(kind, "kind") == "GitDestination";
}

// A review with its uid: decides it, or refuses it as malformed.
void Review(const ClaimsIndex& index, const json& request, ReviewOutcome& out) {
  out.operation = StringAt(request, "operation");
  auto kind = request.find("kind");
  if (kind == request.end() || !kind->is_object()) {
    return Answer(out, false, 400, "request.kind: missing; expected {group, version, kind}");
  }
  if (!IsGitDestination(*kind)) return Answer(out, true, 0, "");  // not ours to judge
  if (out.operation == "DELETE" || out.operation == "CONNECT") return Answer(out, true, 0, "");
  if (out.operation != "CREATE" && out.operation != "UPDATE") {
    out.operation = core::QuoteForMessage(out.operation);  // bounded, for the log too
    return Answer(
        out, false, 400,
        "request.operation: expected CREATE, UPDATE, DELETE or CONNECT, got " + out.operation);
  }
  auto object = request.find("object");
  if (object == request.end() || !object->is_object()) {
    return Answer(out, false, 400,
                  "request.object: missing; a " + out.operation + " review carries the object");
  }
  // A change that leaves the spec alone (labels, finalizers) claims nothing new: allowed,
  // so an object admitted before a GitRepoConfig changed can still be edited and deleted.
  auto old = request.find("oldObject");
  if (out.operation == "UPDATE" && old != request.end() && old->is_object() &&
      old->value("spec", json()) == object->value("spec", json())) {
    return Answer(out, true, 0, "");
  }
  Decide(index, request, out);
}

}  // namespace

ReviewOutcome ReviewAdmission(const ClaimsIndex& index, std::string_view body) {
  if (body.size() > kMaxReviewBytes) {
    return BadRequest(413, absl::StrCat("request body of ", body.size(),
                                        " bytes is over the limit of ", kMaxReviewBytes));
  }
  const json review = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (review.is_discarded()) {
    return BadRequest(400, "request body is not JSON; expected an AdmissionReview of " +
                               std::string(kReviewApiVersion));
  }
  if (!review.is_object() || StringAt(review, "kind") != "AdmissionReview" ||
      StringAt(review, "apiVersion") != kReviewApiVersion) {
    return BadRequest(400, "expected an AdmissionReview of " + std::string(kReviewApiVersion) +
                               " (kind and apiVersion); set admissionReviewVersions: [v1] in "
                               "the ValidatingWebhookConfiguration");
  }
  auto request = review.find("request");
  if (request == review.end() || !request->is_object()) {
    return BadRequest(400, "AdmissionReview without a request object");
  }
  ReviewOutcome out;
  out.uid = StringAt(*request, "uid");
  if (out.uid.empty()) return BadRequest(400, "request.uid: missing or not a string");
  try {
    Review(index, *request, out);
  } catch (const json::exception& e) {  // a JSON type the code above did not expect
    Answer(out, false, 400, absl::StrCat("malformed AdmissionReview: ", e.what()));
  }
  return out;
}

}  // namespace gitdest::k8s
