#include "adapters/k8s/decision_log.h"

#include "absl/strings/str_cat.h"
#include "adapters/k8s/log.h"
#include "adapters/k8s/resources.h"
#include "core/conditions.h"
#include "core/overloaded.h"

namespace gitdest::k8s {
namespace {

std::string RemoteName(const core::RemoteRef& remote) {
  return absl::StrCat(remote.url, "@", remote.branch);
}

}  // namespace

std::string DecisionLog::Where(core::RequestId request, bool forget) {
  auto it = remotes_.find(request);
  if (it == remotes_.end()) return "?";
  std::string where = it->second;
  if (forget) remotes_.erase(it);
  return where;
}

void DecisionLog::Step(const core::Input& input, const core::Output& output) {
  Input(input);
  for (const core::Effect& effect : output.effects) Effect(effect);
}

void DecisionLog::Input(const core::Input& input) {
  std::visit(
      core::Overloaded{
          [&](const core::MetadataFetched& m) {
            const std::string where = Where(m.request, true);
            if (!m.result.ok()) {
              Log(LogLevel::kWarn, "remote read failed",
                  {{"remote", where}, {"error", std::string(m.result.status().ToString())}});
            } else {
              Log(LogLevel::kDebug, "remote read",
                  {{"remote", where},
                   {"tip", m.result->head.sha},
                   {"exists", m.result->exists_on_remote ? "true" : "false"}});
            }
          },
          [&](const core::PushCompleted& p) {
            const std::string where = Where(p.request, true);
            if (!p.result.ok()) {
              Log(LogLevel::kWarn, "push failed",
                  {{"remote", where}, {"error", std::string(p.result.status().ToString())}});
            } else if (p.result->outcome == core::PushResult::Outcome::kConflict) {
              Log(LogLevel::kInfo, "push lost to another writer; replaying",
                  {{"remote", where}, {"tip", p.result->tip}});
            } else {
              Log(LogLevel::kInfo, "pushed", {{"remote", where}, {"tip", p.result->tip}});
            }
          },
          [&](const core::StatusWritten& s) {
            if (!s.resource_version.ok()) {
              Log(LogLevel::kWarn, "status write refused",
                  {{"object", s.target.ToString()},
                   {"error", std::string(s.resource_version.status().ToString())}});
            }
          },
          [&](const core::LeaseAcquired&) { Log(LogLevel::kInfo, "leading: writes enabled"); },
          [&](const core::LeaseLost&) { Log(LogLevel::kWarn, "lease lost: writes stopped"); },
          [&](const core::CacheSynced&) { Log(LogLevel::kInfo, "caches synced"); },
          [&](const auto&) {}},
      input);
}

void DecisionLog::Effect(const core::Effect& effect) {
  std::visit(
      core::Overloaded{
          [&](const core::FetchMetadata& f) {
            remotes_[f.request] = RemoteName(f.remote);
            Log(LogLevel::kDebug, "reading remote", {{"remote", RemoteName(f.remote)}});
          },
          [&](const core::PushBatch& p) {
            remotes_[p.request] = RemoteName(p.remote);
            Log(LogLevel::kInfo, "pushing",
                {{"remote", RemoteName(p.remote)},
                 {"changes", absl::StrCat(p.changes.size())},
                 {"onto", p.expected_tip.empty() ? "(new branch)" : p.expected_tip}});
          },
          [&](const core::WriteStatus& w) {
            const core::Condition* ready = core::FindCondition(w.status, core::kConditionReady);
            Log(LogLevel::kInfo, "writing status",
                {{"object", w.target.ToString()},
                 {"ready", ready == nullptr ? "" : std::string(ConditionStatusName(ready->status))},
                 {"reason", ready == nullptr ? "" : ready->reason}});
          },
          [&](const core::RecordEvent& e) {
            Log(LogLevel::kWarn, "event",
                {{"object", e.object.ToString()}, {"reason", e.reason}, {"message", e.message}});
          },
          [&](const core::ResyncDestination& r) {
            Log(LogLevel::kInfo, "resyncing destination",
                {{"destination", r.destination.ToString()}, {"remote", RemoteName(r.remote)}});
          },
          [&](const auto&) {}},
      effect);
}

}  // namespace gitdest::k8s
