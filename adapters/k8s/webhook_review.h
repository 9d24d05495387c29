// The admission webhook's request handling, without a network: an HTTP body in, an HTTP
// reply out. The body is an AdmissionReview (admission.k8s.io/v1); the answer carries the
// request's uid, allowed, and a status {code, message} (403 for a refusal). CREATE and
// UPDATE of a GitDestination are decided by core::AdmitDestination over the ClaimsIndex;
// DELETE, CONNECT and other kinds are allowed. A body that is no AdmissionReview gets a
// 400 metav1.Status naming what is wrong; once the request has a uid, a malformed request
// is an AdmissionReview refusal with code 400. Never throws.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "adapters/k8s/claims_index.h"

namespace gitdest::k8s {

inline constexpr char kWebhookPath[] = "/validate-gitdestination";
// The API server sends the whole object twice (object and oldObject); 3 MiB is well
// above two GitDestinations at etcd's 1.5 MiB object limit.
inline constexpr size_t kMaxReviewBytes = size_t{3} << 20;

struct HttpReply {
  int status = 200;
  std::string body;  // JSON
};

struct ReviewOutcome {
  HttpReply reply;
  // For the log line: what was asked and what was answered.
  std::string uid;        // "" when the request had none
  std::string operation;  // "" when not known
  std::string object;     // namespace/name, "" when not known
  bool allowed = false;
  std::string message;  // the refusal, the warning, or why it is malformed
};

ReviewOutcome ReviewAdmission(const ClaimsIndex& index, std::string_view body);

}  // namespace gitdest::k8s
