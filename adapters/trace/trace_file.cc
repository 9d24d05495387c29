// The header and step lines of a trace file, and TraceWriter.
#include "adapters/trace/trace_file.h"

#include <cerrno>
#include <exception>

#include "absl/strings/str_cat.h"
#include "adapters/trace/codec_types.h"
#include "adapters/trace/json_codec.h"

namespace gitdest::trace {
namespace internal {

constexpr char kFormat[] = "gitdest-trace";

// At least one replica.
std::vector<uint32_t> ReadEpochs(const Node& node) {
  std::vector<uint32_t> epochs = Read<std::vector<uint32_t>>(node);
  if (epochs.empty()) node.Fail("expected at least one replica");
  return epochs;
}

// The format and version come first: a line of another format or version is refused
// for what it is, not for the first field that changed.
template <>
struct Codec<TraceHeader> {
  static Json Encode(const TraceHeader& v) {
    const auto& [version, seed, command, options, epochs] = v;
    return Json::object({{"format", kFormat},
                         {"version", Write(version)},
                         {"seed", Write(seed)},
                         {"command", Write(command)},
                         {"options", Write(options)},
                         {"epochs", Write(epochs)}});
  }
  static TraceHeader Decode(ObjectReader& r) {
    const Node format = r.Field("format");
    if (!format.json.is_string() || format.json.get<std::string>() != kFormat) {
      format.Fail(absl::StrCat("expected \"", kFormat, "\""));
    }
    const Node version = r.Field("version");
    if (const int v = Read<int>(version); v != kTraceVersion) {
      version.Fail(absl::StrCat("trace version ", v, " is not supported (this build reads version ",
                                kTraceVersion,
                                "; replay it with the build that wrote it, or re-record it)"));
    }
    return {.version = kTraceVersion,
            .seed = r.Get<uint64_t>("seed"),
            .command = r.Get<std::string>("command"),
            .options = r.Get<core::ControllerOptions>("options"),
            .epochs = ReadEpochs(r.Field("epochs"))};
  }
};

// By hand for the state hash, a hex string.
template <>
struct Codec<TraceStep> {
  static Json Encode(const TraceStep& v) {
    const auto& [step, replica, at, input, effects, wake_at, state_hash] = v;
    return Json::object({{"step", Write(step)},
                         {"replica", Write(replica)},
                         {"at", Write(at)},
                         {"input", Write(input)},
                         {"effects", Write(effects)},
                         {"wake_at", Write(wake_at)},
                         {"state_hash", WriteHex64(state_hash)}});
  }
  static TraceStep Decode(ObjectReader& r) {
    return {.step = r.Get<int64_t>("step"),
            .replica = r.Get<uint32_t>("replica"),
            .at = r.Get<absl::Time>("at"),
            .input = r.Get<core::Input>("input"),
            .effects = r.Get<std::vector<core::Effect>>("effects"),
            .wake_at = r.Get<absl::Time>("wake_at"),
            .state_hash = ReadHex64(r.Field("state_hash"))};
  }
};

template <class T>
absl::StatusOr<T> DecodeLine(absl::string_view line) {
  try {
    const Json j = Json::parse(line.begin(), line.end());
    return Read<T>(Node{j, ""});
  } catch (const DecodeError& e) {
    return absl::InvalidArgumentError(e.what());
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", e.what()));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("cannot decode: ", e.what()));
  }
}

}  // namespace internal

std::string EncodeHeader(const TraceHeader& header) {
  return internal::Dump(internal::Write(header));
}
std::string EncodeStep(const TraceStep& step) { return internal::Dump(internal::Write(step)); }
std::string EncodeEffects(const std::vector<core::Effect>& effects) {
  return internal::Dump(internal::Write(effects));
}
std::string EncodeEffect(const core::Effect& effect) {
  return internal::Dump(internal::Write(effect));
}
std::string EncodeInput(const core::Input& input) { return internal::Dump(internal::Write(input)); }

absl::StatusOr<TraceHeader> DecodeHeader(absl::string_view line) {
  return internal::DecodeLine<TraceHeader>(line);
}
absl::StatusOr<TraceStep> DecodeStep(absl::string_view line) {
  return internal::DecodeLine<TraceStep>(line);
}

// ---- TraceWriter -----------------------------------------------------------------------

absl::StatusOr<TraceWriter> TraceWriter::Open(const std::string& path, const TraceHeader& header) {
  std::ofstream out(path, std::ios::out | std::ios::trunc | std::ios::binary);
  if (!out.is_open()) return absl::ErrnoToStatus(errno, absl::StrCat("cannot create ", path));
  TraceWriter writer(path, std::move(out));
  absl::Status written = writer.WriteLine(EncodeHeader(header));
  if (!written.ok()) return written;
  return writer;
}

absl::Status TraceWriter::Write(const TraceStep& step) { return WriteLine(EncodeStep(step)); }

absl::Status TraceWriter::WriteLine(const std::string& line) {
  if (!out_.is_open()) return absl::FailedPreconditionError(absl::StrCat(path_, " is closed"));
  out_ << line << '\n';
  out_.flush();
  if (!out_) return absl::ErrnoToStatus(errno, absl::StrCat("cannot write ", path_));
  return absl::OkStatus();
}

absl::Status TraceWriter::Close() {
  if (!out_.is_open()) return absl::OkStatus();
  out_.close();
  if (!out_) return absl::ErrnoToStatus(errno, absl::StrCat("cannot close ", path_));
  return absl::OkStatus();
}

}  // namespace gitdest::trace
