// A Kubernetes object as gitdest writes it to Git: the desired state a person would
// commit. Dropped: `status` and what the server assigns or manages (uid,
// resourceVersion, generation, creationTimestamp, managedFields, selfLink,
// deletionTimestamp, deletionGracePeriodSeconds, the last-applied annotation, a
// Service's allocated clusterIP(s)). Kept: every other field, including a user-set
// `clusterIP: None` (a headless Service) and top-level fields other kinds carry instead
// of spec (`data`, `rules`, `immutable`, `provisioner`, `value`, ...).
#pragma once

#include <string>

#include "nlohmann/json.hpp"

namespace gitdest::k8s {

nlohmann::json Sanitize(const nlohmann::json& object);
// YAML, block style, keys in a fixed order (apiVersion, kind, metadata, then sorted),
// so that the same object always gives the same bytes.
std::string ToYaml(const nlohmann::json& object);

}  // namespace gitdest::k8s
