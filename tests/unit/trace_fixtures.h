// Fixtures of the trace tests: hand-built values with hostile bytes where a codec could
// stumble, and a step to wrap an Input or Effect in.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/string_view.h"
#include "adapters/trace/trace_file.h"

namespace gitdest::trace {

using Json = nlohmann::json;
using std::string_literals::operator""s;

inline constexpr char kUrl[] = "https://git.example.com/org/repo.git";

// Like gmock's HasSubstr (gmock is not a dependency here), with both strings shown.
inline ::testing::AssertionResult Contains(absl::string_view haystack, absl::string_view needle) {
  if (haystack.find(needle) != absl::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << needle << "\" not in \"" << haystack << "\"";
}

inline core::RemoteRef Remote() {
  return {
      .repo_config = {"team", "repo"}, .url = kUrl, .secret = {"team", "creds"}, .branch = "main"};
}

inline core::FileChange HostileChange() {
  return {.path = "clusters/a/v1/configmaps/team/x.yaml",
          .op = core::ChangeOp::kCreate,
          .content = "data: \"\xff\xfe\0\n\""s,
          .message = "nul\0inside"s,
          .author = "system:serviceaccount:team:\xc0\x80",
          .destination = {"team", "a"}};
}

inline core::RepoConfig MakeRepoConfig() {
  return {.key = {"team", "repo"},
          .uid = "c1",
          .generation = 1,
          .resource_version = "1",
          .spec = {.repo_url = kUrl,
                   .repo_url_had_credentials = false,
                   .allowed_branches = {"*"},
                   .secret_name = "",
                   .push = {}}};
}

inline core::Destination MakeDestination(const std::string& name, absl::Time created) {
  return {.key = {"team", name},
          .uid = "uid-" + name,
          .generation = 1,
          .resource_version = "1",
          .creation_time = created,
          .spec = {.repo_ref = {"", "repo"}, .branch = "main", .base_folder = "clusters/" + name}};
}

inline core::DestinationStatus SomeStatus() {
  return {.conditions = {{.type = "Ready",
                          .status = core::ConditionStatus::kTrue,
                          .reason = "Synced",
                          .message = "ok",
                          .observed_generation = 1,
                          .last_transition_time = absl::FromUnixSeconds(5)}},
          .observed_generation = 1,
          .branch_exists = true,
          .last_commit_sha = "abc",
          .last_sync_time = absl::FromUnixSeconds(5)};
}

// A step around `input` with one FetchMetadata and one WriteStatus effect.
inline TraceStep StepWith(core::Input input) {
  return {.step = 1,
          .at = absl::FromUnixSeconds(10),
          .input = std::move(input),
          .effects =
              {core::FetchMetadata{
                   .request = 1, .remote = Remote(), .known_tip = "", .timeout = absl::Seconds(20)},
               core::WriteStatus{.request = 2,
                                 .target = {core::ResourceKind::kGitDestination, {"team", "a"}},
                                 .resource_version = "7",
                                 .status = SomeStatus()}},
          .wake_at = absl::FromUnixSeconds(20),
          .state_hash = 1};
}

inline core::ResourceId SomeConfigMap() {
  return {
      .group = "", .version = "v1", .resource = "configmaps", .namespace_ = "prod", .name = "cm"};
}

inline core::WatchRule SomeRule() {
  return {.key = {"", "capture-a"},
          .uid = "r1",
          .generation = 2,
          .resource_version = "9",
          .destination_ref = {"team", "a"},
          .rules = {{.operations = {"*"},
                     .api_groups = {""},
                     .api_versions = {},
                     .resources = {"configmaps"},
                     .scope = "Namespaced"}}};
}

inline Json ValidStepJson(core::Input input) {
  return Json::parse(EncodeStep(StepWith(std::move(input))));
}

}  // namespace gitdest::trace
