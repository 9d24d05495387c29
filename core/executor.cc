#include "core/executor.h"

#include <deque>
#include <string>

#include "core/check.h"
#include "core/overloaded.h"

namespace gitdest::core {

bool EffectRunner::HasResult(const Effect& effect) {
  return !std::holds_alternative<RequeueAfter>(effect) &&
         !std::holds_alternative<RecordEvent>(effect) &&
         !std::holds_alternative<EnsureWatches>(effect);
}

void EffectRunner::Run(const Effect& effect, const Done& done) const {
  std::visit(
      Overloaded{
          [&](const FetchMetadata& read) {
            done(MetadataFetched{read.request,
                                 git_->ReadBranch(read.remote, read.known_tip, read.timeout)});
          },
          [&](const PushBatch& push) {
            done(PushCompleted{push.request, git_->Push(push.remote, push.expected_tip,
                                                        push.changes.vector(), push.timeout)});
          },
          [&](const WriteStatus& write) {
            done(StatusWritten{
                write.request, write.target,
                cluster_->WriteStatus(write.target, write.resource_version, write.status)});
          },
          [&](const ResyncDestination& resync) {
            done(ObjectsListed{resync.request, resync.destination,
                               cluster_->ListObjects(resync.selectors),
                               git_->ListFiles(resync.remote, resync.base_folder, resync.timeout)});
          },
          [&](const RecordEvent& event) {
            // Events are best effort: losing one loses no state.
            (void)cluster_->RecordEvent(event.object, event.reason, event.message);
          },
          [&](const RequeueAfter&) {},   // the controller already scheduled it
          [&](const EnsureWatches&) {},  // the adapter's informers: not a port call
      },
      effect);
}

absl::Time RunToQuiescence(Controller& controller, SyncExecutor& executor, Clock& clock,
                           const Input& input) {
  std::deque<Input> inputs{input};
  absl::Time wake_at = absl::InfiniteFuture();
  Output out;  // one buffer for every step
  // Every result answers one request, and requests are bounded by destinations and
  // workers; the bound only guards against a port that never settles.
  for (int steps = 0; !inputs.empty(); ++steps) {
    GITDEST_ASSERT(steps < 10'000'000);
    controller.Handle(inputs.front(), clock.Now(), out);
    inputs.pop_front();
    wake_at = out.wake_at;
    for (const Effect& effect : out.effects) {
      executor.Execute(effect, [&](Input result) { inputs.push_back(std::move(result)); });
    }
  }
  return wake_at;
}

}  // namespace gitdest::core
