#include "core/executor.h"

#include <deque>
#include <string>

#include "core/check.h"

namespace gitdest::core {

std::optional<Input> Executor::Execute(const Effect& effect) {
  if (const auto* read = std::get_if<FetchMetadata>(&effect)) {
    return MetadataFetched{read->request, git_->ReadBranchMetadata(*read)};
  }
  if (const auto* push = std::get_if<PushBatch>(&effect)) {
    PushOutcome outcome;
    absl::Status status = git_->PushBatch(*push, outcome);
    return PushCompleted{push->request, std::move(status), std::move(outcome.tip),
                         outcome.history_rewritten};
  }
  if (const auto* write = std::get_if<WriteStatus>(&effect)) {
    return StatusWritten{write->destination,
                         cluster_->WriteDestinationStatus(write->destination, write->status),
                         write->request};
  }
  if (const auto* resync = std::get_if<ResyncDestination>(&effect)) {
    return ObjectsListed{resync->destination, cluster_->ListCapturedObjects(resync->destination),
                         resync->request, git_->ListFiles(*resync)};
  }
  if (const auto* event = std::get_if<RecordEvent>(&effect)) {
    // Events are best effort: losing one loses no state.
    (void)cluster_->RecordEvent(*event);
  }
  return std::nullopt;  // RequeueAfter: the controller already scheduled it
}

absl::Time RunToQuiescence(Controller& controller, Executor& executor, Clock& clock,
                           const Input& input) {
  std::deque<Input> inputs{input};
  absl::Time wake_at = absl::InfiniteFuture();
  // Every result answers one request, and requests are bounded by destinations and
  // workers; the bound only guards against a port that never settles.
  for (int steps = 0; !inputs.empty(); ++steps) {
    GITDEST_ASSERT(steps < 10'000'000);
    Output out = controller.Handle(inputs.front(), clock.Now());
    inputs.pop_front();
    wake_at = out.wake_at;
    for (const Effect& effect : out.effects) {
      if (std::optional<Input> result = executor.Execute(effect)) inputs.push_back(*result);
    }
  }
  return wake_at;
}

}  // namespace gitdest::core
