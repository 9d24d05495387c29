#include "adapters/trace/replay.h"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <memory>
#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "adapters/trace/json_codec.h"
#include "adapters/trace/trace_file.h"
#include "core/controller.h"

namespace gitdest::trace {
namespace {

// Divergence messages quote encodings; a PushBatch can be megabytes.
std::string Abbreviate(const std::string& s) {
  constexpr size_t kMax = 1000;
  if (s.size() <= kMax) return s;
  return absl::StrCat(s.substr(0, kMax), "... (", s.size(), " bytes)");
}

std::string TimeText(absl::Time t) {
  return absl::StrCat(absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone()), " (",
                      internal::Dump(internal::WriteTime(t)), ")");
}

// The first effect whose canonical encoding differs, or "" if none does.
std::string DiffEffects(const std::vector<core::Effect>& recorded,
                        const std::vector<core::Effect>& replayed) {
  for (size_t i = 0; i < std::max(recorded.size(), replayed.size()); ++i) {
    const std::string a = i < recorded.size() ? EncodeEffect(recorded[i]) : "(none)";
    const std::string b = i < replayed.size() ? EncodeEffect(replayed[i]) : "(none)";
    if (a == b) continue;
    return absl::StrCat("effects differ at effect ", i, " (recorded ", recorded.size(),
                        " effects, replayed ", replayed.size(), "): recorded ", Abbreviate(a),
                        ", replayed ", Abbreviate(b));
  }
  return "";
}

// Why `step` cannot follow `previous` (nullptr before the first), or OK.
absl::Status CheckSequence(const TraceStep& step, const TraceStep* previous,
                           const std::string& where) {
  if (previous != nullptr && step.step != previous->step + 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "step numbers must be consecutive, previous was ", previous->step));
  }
  // The core asserts (and aborts) on these; a damaged trace must fail, not crash.
  if (step.at == absl::InfinitePast() || step.at == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(absl::StrCat(where, "time `at` is not finite"));
  }
  if (previous != nullptr && step.at < previous->at) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "time runs backwards: ", TimeText(step.at), " after ", TimeText(previous->at)));
  }
  return absl::OkStatus();
}

// Runs one recorded step on `controller` and compares; `previous` is the last
// replayed step (nullptr before the first).
absl::Status ReplayStep(core::Controller& controller, const TraceStep& step,
                        const TraceStep* previous, const StepCheck& check) {
  const std::string where = absl::StrCat("step ", step.step, ": ");
  if (absl::Status sequence = CheckSequence(step, previous, where); !sequence.ok()) {
    return sequence;
  }
  const core::Output out = controller.Handle(step.input, step.at);
  if (std::string diff = DiffEffects(step.effects, out.effects); !diff.empty()) {
    return absl::InternalError(absl::StrCat(where, diff));
  }
  if (out.wake_at != step.wake_at) {
    return absl::InternalError(absl::StrCat(where, "wake_at differs: recorded ",
                                            TimeText(step.wake_at), ", replayed ",
                                            TimeText(out.wake_at)));
  }
  if (const uint64_t hash = controller.StateHash(); hash != step.state_hash) {
    return absl::InternalError(absl::StrCat(where, "state hash differs: recorded ",
                                            internal::WriteHex64(step.state_hash), ", replayed ",
                                            internal::WriteHex64(hash)));
  }
  absl::Status invariant = check ? check(step.replica, step.at, step.input, controller, out)
                                 : controller.CheckInvariants();
  if (!invariant.ok()) {
    return absl::InternalError(absl::StrCat(where, "invariant: ", invariant.message()));
  }
  return absl::OkStatus();
}

// Invariant 8 across replicas: the lease has one holder at most, as the inputs told them.
absl::Status AtMostOneLeader(const std::vector<std::unique_ptr<core::Controller>>& replicas,
                             int64_t step) {
  const auto leaders = std::count_if(replicas.begin(), replicas.end(),
                                     [](const auto& replica) { return replica->leader(); });
  if (leaders <= 1) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("step ", step, ": invariant: ", leaders, " replicas hold the lease at once"));
}

absl::Status AtLine(size_t index, const absl::Status& error) {
  return absl::Status(error.code(), absl::StrCat("line ", index + 1, ": ", error.message()));
}

}  // namespace

ReplayResult ReplayLines(const std::vector<std::string>& lines, const StepCheck& check) {
  ReplayResult result;
  if (lines.empty()) {
    result.status = absl::InvalidArgumentError("line 1: missing trace header");
    return result;
  }
  absl::StatusOr<TraceHeader> header = DecodeHeader(lines[0]);
  if (!header.ok()) {
    result.status = AtLine(0, header.status());
    return result;
  }
  std::vector<std::unique_ptr<core::Controller>> replicas;
  for (uint32_t epoch : header->epochs) {
    replicas.push_back(std::make_unique<core::Controller>(header->options, epoch));
  }
  std::optional<TraceStep> previous;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    absl::StatusOr<TraceStep> step = DecodeStep(lines[i]);
    if (!step.ok()) {
      result.status = AtLine(i, step.status());
      return result;
    }
    if (step->replica >= replicas.size()) {
      result.status = AtLine(
          i, absl::InvalidArgumentError(absl::StrCat(
                 "replica ", step->replica, " is not one of the header's ", replicas.size())));
      return result;
    }
    result.status =
        ReplayStep(*replicas[step->replica], *step, previous ? &*previous : nullptr, check);
    if (result.status.ok()) result.status = AtMostOneLeader(replicas, step->step);
    if (!result.status.ok()) return result;
    ++result.steps;
    previous = *std::move(step);
  }
  return result;
}

ReplayResult Replay(const std::string& path, const StepCheck& check) {
  std::ifstream in(path, std::ios::in | std::ios::binary);
  if (!in.is_open()) {
    return {.steps = 0, .status = absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", path))};
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
  if (in.bad()) {
    return {.steps = 0, .status = absl::ErrnoToStatus(errno, absl::StrCat("cannot read ", path))};
  }
  return ReplayLines(lines, check);
}

}  // namespace gitdest::trace
