#include "adapters/k8s/step_metrics.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "core/conditions.h"
#include "core/overloaded.h"

namespace gitdest::k8s {
namespace {

std::string Result(const absl::Status& status) {
  return status.ok() ? "ok" : absl::AsciiStrToLower(absl::StatusCodeToString(status.code()));
}

std::string ReadyReason(const core::DestinationStatus& status) {
  const core::Condition* ready = core::FindCondition(status, core::kConditionReady);
  return ready == nullptr ? "Unknown" : ready->reason;
}

}  // namespace

StepMetrics::StepMetrics(Metrics& metrics, std::function<double()> queued)
    : metrics_(&metrics), queued_(std::move(queued)) {
  using T = Metrics::Type;
  metrics.Declare("gitdest_reconciles_total", T::kCounter,
                  "Reconciles of GitDestinations completed, by the Ready reason they set");
  metrics.Declare("gitdest_reconcile_duration_seconds", T::kHistogram,
                  "From a reconcile's start to its status decided (a remote read included)");
  metrics.Declare("gitdest_metadata_answers_total", T::kCounter,
                  "Reconciles answered from the branch worker's cache or by a remote read");
  metrics.Declare("gitdest_remote_reads_total", T::kCounter, "Remote branch reads, by result");
  metrics.Declare("gitdest_pushes_total", T::kCounter, "Pushes, by result");
  metrics.Declare("gitdest_push_duration_seconds", T::kHistogram, "Commit and push, by batch");
  metrics.Declare("gitdest_status_writes_total", T::kCounter, "Status writes, by result");
  metrics.Declare("gitdest_events_dropped_total", T::kCounter,
                  "Events not sent because too many waited (best effort, as client-go's)");
  metrics.Declare("gitdest_queue_depth", T::kGauge,
                  "Inputs waiting for the core plus effects waiting for a thread");
  metrics.Declare("gitdest_branch_workers", T::kGauge, "Branch workers (one per branch in use)");
  metrics.Declare("gitdest_destinations", T::kGauge, "GitDestinations the controller knows");
  metrics.Declare("gitdest_destinations_ready", T::kGauge,
                  "GitDestinations whose last reconcile set Ready=True");
  metrics.Declare("gitdest_remote_reads_in_flight", T::kGauge,
                  "Remote branch reads sent and not yet answered (at most --git-read-workers)");
  metrics.Declare("gitdest_remote_reads_waiting", T::kGauge,
                  "Remote branch reads asked for and waiting for a free slot");
  metrics.Declare("gitdest_status_writes_in_flight", T::kGauge,
                  "Status writes sent and not yet answered (at most --api-workers)");
  metrics.Declare("gitdest_status_writes_waiting", T::kGauge,
                  "Objects whose status write is due and waiting for a free slot");
  metrics.Declare("gitdest_resync_lists_in_flight", T::kGauge,
                  "Resync lists sent and not yet answered (at most --git-list-workers)");
  metrics.Declare("gitdest_resync_lists_waiting", T::kGauge,
                  "Destinations whose resync list is due and waiting for a free slot");
  metrics.Declare("gitdest_leader", T::kGauge, "1 while this replica holds the lease");
  metrics.Declare("gitdest_object_changes_total", T::kCounter,
                  "Changes of captured objects the watches delivered, by operation");
  metrics.Declare("gitdest_captured_changes_pushed_total", T::kCounter,
                  "Changes of captured objects in pushes that landed (one per destination)");
  metrics.Declare("gitdest_watched_types", T::kGauge,
                  "Resource types watched because some rule captures them");
}

void StepMetrics::Step(const core::Controller& controller, const core::Input& input, absl::Time now,
                       const core::Output& output) {
  const absl::Duration step_time = absl::Now() - now;
  Input(input, now);
  for (const core::Effect& effect : output.effects) {
    std::visit(
        core::Overloaded{
            [&](const core::FetchMetadata& f) { started_[f.request] = now; },
            [&](const core::PushBatch& p) {
              started_[p.request] = now;
              batch_sizes_[p.request] = p.changes.size();
            },
            [&](const core::RequeueAfter& r) { Reconciled(controller, r, input, now, step_time); },
            [&](const core::EnsureWatches& w) {
              metrics_->Set("gitdest_watched_types", {}, static_cast<double>(w.types.size()));
            },
            [](const auto&) {}},
        effect);
  }
  if (const auto* read = std::get_if<core::MetadataFetched>(&input)) started_.erase(read->request);
  if (const auto* deleted = std::get_if<core::DestinationDeleted>(&input))
    ready_.erase(deleted->key);
  if (std::holds_alternative<core::ControllerRestarted>(input)) {
    ready_.clear();
    batch_sizes_.clear();
  }
  metrics_->Set("gitdest_queue_depth", {}, queued_ ? queued_() : 0);
  metrics_->Set("gitdest_branch_workers", {}, static_cast<double>(controller.workers().size()));
  metrics_->Set("gitdest_destinations", {}, static_cast<double>(controller.destinations().size()));
  metrics_->Set("gitdest_destinations_ready", {}, static_cast<double>(ready_.size()));
  metrics_->Set(
      "gitdest_remote_reads_in_flight", {},
      static_cast<double>(controller.requests().CountInFlight(core::RequestKind::kMetadataRead)));
  metrics_->Set("gitdest_remote_reads_waiting", {},
                static_cast<double>(controller.reads_waiting().size()));
  metrics_->Set(
      "gitdest_status_writes_in_flight", {},
      static_cast<double>(controller.requests().CountInFlight(core::RequestKind::kStatusWrite)));
  metrics_->Set("gitdest_status_writes_waiting", {},
                static_cast<double>(controller.status_writes_waiting().size()));
  metrics_->Set("gitdest_resync_lists_in_flight", {},
                static_cast<double>(controller.requests().CountInFlight(core::RequestKind::kList)));
  metrics_->Set("gitdest_resync_lists_waiting", {},
                static_cast<double>(controller.lists_waiting().size()));
  metrics_->Set("gitdest_leader", {}, controller.leader() ? 1 : 0);
}

void StepMetrics::Input(const core::Input& input, absl::Time now) {
  std::visit(
      core::Overloaded{
          [&](const core::MetadataFetched& m) {
            metrics_->Add("gitdest_remote_reads_total", {{"result", Result(m.result.status())}});
          },
          [&](const core::PushCompleted& p) {
            std::string result = Result(p.result.status());
            if (p.result.ok()) {
              result =
                  p.result->outcome == core::PushResult::Outcome::kPushed ? "pushed" : "conflict";
            }
            metrics_->Add("gitdest_pushes_total", {{"result", result}});
            if (auto batch = batch_sizes_.find(p.request); batch != batch_sizes_.end()) {
              if (result == "pushed") {
                metrics_->Add("gitdest_captured_changes_pushed_total", {},
                              static_cast<double>(batch->second));
              }
              batch_sizes_.erase(batch);
            }
            if (auto it = started_.find(p.request); it != started_.end()) {
              metrics_->Observe("gitdest_push_duration_seconds", {},
                                absl::ToDoubleSeconds(now - it->second));
              started_.erase(it);
            }
          },
          [&](const core::ObjectChanged& c) {
            metrics_->Add("gitdest_object_changes_total",
                          {{"op", absl::AsciiStrToLower(core::ChangeOpName(c.op))}});
          },
          [&](const core::StatusWritten& s) {
            metrics_->Add("gitdest_status_writes_total",
                          {{"result", Result(s.resource_version.status())}});
          },
          [](const auto&) {}},
      input);
}

void StepMetrics::Reconciled(const core::Controller& controller, const core::RequeueAfter& done,
                             const core::Input& input, absl::Time now, absl::Duration step_time) {
  auto rec = controller.destinations().find(done.destination);
  if (rec == controller.destinations().end()) return;
  metrics_->Add("gitdest_reconciles_total", {{"result", ReadyReason(rec->second.status)}});
  const core::Condition* ready = core::FindCondition(rec->second.status, core::kConditionReady);
  if (ready != nullptr && ready->status == core::ConditionStatus::kTrue) {
    ready_.insert(done.destination);
  } else {
    ready_.erase(done.destination);
  }
  absl::Duration took = step_time;
  const auto* read = std::get_if<core::MetadataFetched>(&input);
  if (read != nullptr) {
    if (auto it = started_.find(read->request); it != started_.end()) took = now - it->second;
  }
  metrics_->Observe("gitdest_reconcile_duration_seconds", {}, absl::ToDoubleSeconds(took));
  if (rec->second.worker != nullptr) {
    metrics_->Add("gitdest_metadata_answers_total", {{"source", read ? "read" : "cache"}});
  }
}

}  // namespace gitdest::k8s
