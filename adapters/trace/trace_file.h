// The trace format: one JSON line per Controller::Handle call, written by the production
// binary (`--trace-file`) and the simulator, and replayed against a fresh core
// (replay.h). A trace from a cluster therefore replays in the simulator, and two runs of
// one seed can be compared byte for byte (design §6 item 7).
//
// A trace file is a header line followed by one line per step:
//
//   {"command":"gitdest-sim run --seed=7","epochs":[0,1],"format":"gitdest-trace",
//    "options":{...},"seed":7,"version":7}
//   {"at":1700000000000000000,"effects":[{"request":1,...,"type":"FetchMetadata"}],
//    "input":{"destination":{...},"type":"DestinationObserved"},"replica":1,
//    "state_hash":"8f0c2a9d1e4b7c36","step":1,"wake_at":"+inf"}
//
// Each replica is a controller process of its own (the simulator runs two, as production
// does: both watch, one holds the lease). A step is one Handle call of one replica; steps
// of all replicas are interleaved in the order they happened.
//
// Encoding rules (stable: a change of meaning needs a new `version`):
// - Objects are nlohmann's std::map-ordered objects: keys sorted, so one value always
//   encodes to the same bytes. Keys are the C++ field names, with a trailing underscore
//   dropped (`namespace_` → "namespace"). Every Input and Effect carries "type": its C++
//   struct name.
// - Times are integer Unix nanoseconds; InfinitePast / InfiniteFuture are "-inf" /
//   "+inf". Durations are integer nanoseconds, infinite ones "-inf" / "+inf". Only
//   whole nanoseconds within int64 range round-trip (sub-nanosecond absl::Time
//   precision is truncated).
// - Integers are JSON integers, exact to 64 bits (request ids, Unix nanoseconds and
//   seeds exceed 2^53: read traces with a 64-bit-exact JSON reader). The state hash is
//   the exception: a 16-digit lower-case hex string.
// - Strings: a string that is valid UTF-8 (RFC 3629; NUL and control characters
//   included, JSON-escaped) is a JSON string. Any other byte string — JSON cannot
//   carry it — is {"b64": "<standard base64, padded>"}. This holds for every string
//   field, not only file contents, because object names, authors and event messages
//   can carry hostile bytes too.
// - absl::Status is {"code": "UNAVAILABLE", "message": "..."}, OK is {"code": "OK"}
//   (payloads are not recorded; the core never sets them). absl::StatusOr<T> is
//   {"ok": <T>} or {"error": <Status>}.
// - Enums are strings: ChangeOp "create"/"update"/"delete", ConditionStatus
//   "True"/"False"/"Unknown" (as in Kubernetes), Tristate "no"/"yes"/"unknown",
//   PushResult::Outcome "pushed"/"conflict". Non-finite doubles are "nan", "+inf",
//   "-inf".
// Decoding is strict: a missing field, an unknown field, a wrong JSON type, an
// out-of-range integer, an unknown "type" or another version is InvalidArgument naming
// the field's path (`input.destination.spec.branch`). Nothing throws out of this API.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/effects.h"
#include "core/inputs.h"
#include "core/options.h"

namespace gitdest::trace {

// 1: the first format. 2: resyncs list the folder's files. 3: RemoteRef on Git
// effects, outcomes as data, conditional status writes, leases. 4: object changes routed
// by watch rules, discovery, watches. 5: status writes name their target's kind, and
// GitRepoConfigs and WatchRules get a status. 7: several replicas — the header names the
// epoch of each replica's controller, and every step the replica its input reached.
// 8: the options bound the reads in flight. 9: and the status writes in flight. 10: and
// the resync lists in flight.
inline constexpr int kTraceVersion = 11;

// The first line of a trace file.
struct TraceHeader {
  int version = kTraceVersion;
  uint64_t seed = 0;    // 0 when not from the simulator
  std::string command;  // the command line that produced it (for humans / reproduce)
  core::ControllerOptions options;
  // One entry per replica (one controller process each; production traces have one): the
  // epoch its controller was constructed with (Controller(options, epoch)). A replay
  // starts each from the same one, or its request ids differ from the recording.
  std::vector<uint32_t> epochs = {0};
};

// One line per Controller::Handle call.
struct TraceStep {
  int64_t step = 0;
  uint32_t replica = 0;  // the replica whose controller handled it: an index into epochs
  absl::Time at;         // the `now` passed to Handle
  core::Input input;
  std::vector<core::Effect> effects;  // Output::effects, in order
  absl::Time wake_at;                 // Output::wake_at
  uint64_t state_hash = 0;            // Controller::StateHash() after the step
};

std::string EncodeHeader(const TraceHeader& header);  // one line, no '\n'
// Refuses a header of another version than kTraceVersion: its steps would not decode,
// or would decode to something else.
absl::StatusOr<TraceHeader> DecodeHeader(absl::string_view line);
std::string EncodeStep(const TraceStep& step);  // one line, no '\n'
absl::StatusOr<TraceStep> DecodeStep(absl::string_view line);
// The canonical encoding of an effect list (a JSON array), for comparing effects.
std::string EncodeEffects(const std::vector<core::Effect>& effects);
std::string EncodeEffect(const core::Effect& effect);
std::string EncodeInput(const core::Input& input);

// Writes a trace file: the header at Open, one line per Write. Each line is flushed
// as written, so that a trace survives the process aborting on a failed assertion —
// the run one most wants to replay. Not thread-safe: one writer per Controller.
class TraceWriter {
 public:
  static absl::StatusOr<TraceWriter> Open(const std::string& path, const TraceHeader& header);
  TraceWriter(TraceWriter&&) = default;
  TraceWriter& operator=(TraceWriter&&) = default;

  absl::Status Write(const TraceStep& step);
  absl::Status Close();  // further writes fail; closing twice is OK

 private:
  TraceWriter(std::string path, std::ofstream out) : path_(std::move(path)), out_(std::move(out)) {}
  absl::Status WriteLine(const std::string& line);

  std::string path_;
  std::ofstream out_;
};

}  // namespace gitdest::trace
