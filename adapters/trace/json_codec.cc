#include "adapters/trace/json_codec.h"

#include <charconv>
#include <cmath>
#include <system_error>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "adapters/trace/utf8.h"

namespace gitdest::trace::internal {

std::string Node::ChildPath(absl::string_view key) const {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

Node ObjectReader::Field(absl::string_view key) {
  const std::string k(key);
  auto it = node_.json.find(k);
  if (it == node_.json.end()) throw DecodeError(node_.ChildPath(key), "missing field");
  used_.insert(k);
  return Node{*it, node_.ChildPath(key)};
}

void ObjectReader::Done() const {
  for (auto it = node_.json.begin(); it != node_.json.end(); ++it) {
    if (!used_.contains(it.key())) throw DecodeError(node_.ChildPath(it.key()), "unknown field");
  }
}

Json WriteString(const std::string& s) {
  if (IsValidUtf8(s)) return s;
  return Json::object({{"b64", absl::Base64Escape(s)}});
}

std::string ReadString(const Node& node) {
  if (node.json.is_string()) return node.json.get<std::string>();
  if (!node.json.is_object()) node.WrongType("string");
  ObjectReader r(node);
  const Node b64 = r.Field("b64");
  r.Done();
  if (!b64.json.is_string()) b64.WrongType("string");
  const std::string text = b64.json.get<std::string>();
  std::string bytes;
  // Base64Unescape tolerates missing padding; insist on the canonical form.
  if (!absl::Base64Unescape(text, &bytes) || absl::Base64Escape(bytes) != text) {
    b64.Fail("invalid base64");
  }
  return bytes;
}

bool ReadBool(const Node& node) {
  if (!node.json.is_boolean()) node.WrongType("boolean");
  return node.json.get<bool>();
}

// Non-finite doubles have no JSON number.
Json WriteDouble(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "+inf" : "-inf";
  return d;
}

double ReadDouble(const Node& node) {
  if (node.json.is_number()) return node.json.get<double>();
  if (node.json == "nan") return std::nan("");
  if (node.json == "+inf") return HUGE_VAL;
  if (node.json == "-inf") return -HUGE_VAL;
  node.WrongType("number, \"nan\", \"+inf\" or \"-inf\"");
}

Json WriteTime(absl::Time t) {
  if (t == absl::InfinitePast()) return "-inf";
  if (t == absl::InfiniteFuture()) return "+inf";
  return absl::ToUnixNanos(t);
}

absl::Time ReadTime(const Node& node) {
  if (node.json == "-inf") return absl::InfinitePast();
  if (node.json == "+inf") return absl::InfiniteFuture();
  if (!node.json.is_number_integer()) node.WrongType("integer Unix nanoseconds or \"±inf\"");
  return absl::FromUnixNanos(ReadInt<int64_t>(node));
}

Json WriteDuration(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return "+inf";
  if (d == -absl::InfiniteDuration()) return "-inf";
  return absl::ToInt64Nanoseconds(d);
}

absl::Duration ReadDuration(const Node& node) {
  if (node.json == "-inf") return -absl::InfiniteDuration();
  if (node.json == "+inf") return absl::InfiniteDuration();
  if (!node.json.is_number_integer()) node.WrongType("integer nanoseconds or \"±inf\"");
  return absl::Nanoseconds(ReadInt<int64_t>(node));
}

// Payloads are not recorded: the core never sets them.
Json WriteStatus(const absl::Status& s) {
  Json j = Json::object({{"code", absl::StatusCodeToString(s.code())}});
  if (!s.ok()) j["message"] = WriteString(std::string(s.message()));
  return j;
}

absl::Status ReadStatus(const Node& node) {
  ObjectReader r(node);
  const Node code_node = r.Field("code");
  const std::string name = ReadString(code_node);
  for (int c = 0; c <= static_cast<int>(absl::StatusCode::kUnauthenticated); ++c) {
    const auto code = static_cast<absl::StatusCode>(c);
    if (absl::StatusCodeToString(code) != name) continue;
    if (code == absl::StatusCode::kOk) {
      r.Done();  // an OK status has no message
      return absl::OkStatus();
    }
    absl::Status status(code, r.Get<std::string>("message"));
    r.Done();
    return status;
  }
  code_node.Fail(absl::StrCat("unknown status code \"", name, "\""));
}

std::string WriteHex64(uint64_t value) { return absl::StrFormat("%016x", value); }

uint64_t ReadHex64(const Node& node) {
  if (!node.json.is_string()) node.WrongType("string of 16 hex digits");
  const std::string hex = node.json.get<std::string>();
  uint64_t value = 0;
  const char* end = hex.data() + hex.size();
  const auto [ptr, ec] = std::from_chars(hex.data(), end, value, 16);
  const bool digits_only = hex.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
  if (hex.size() != 16 || !digits_only || ec != std::errc() || ptr != end) {
    node.Fail(absl::StrCat("expected 16 hex digits, got \"", hex, "\""));
  }
  return value;
}

std::string Dump(const Json& j) {
  try {
    return j.dump();
  } catch (const std::exception&) {
    return R"({"encode_error":"unencodable value"})";
  }
}

}  // namespace gitdest::trace::internal
