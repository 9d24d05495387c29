#include "adapters/k8s/sanitize.h"

#include <array>
#include <cctype>
#include <string_view>

#include "yaml-cpp/yaml.h"

namespace gitdest::k8s {
namespace {

constexpr std::array<std::string_view, 9> kServerMetadata = {"uid",
                                                             "resourceVersion",
                                                             "generation",
                                                             "creationTimestamp",
                                                             "managedFields",
                                                             "selfLink",
                                                             "deletionTimestamp",
                                                             "deletionGracePeriodSeconds",
                                                             "ownerReferences"};

constexpr std::array<std::string_view, 2> kServerAnnotations = {
    "kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision"};

void SanitizeService(nlohmann::json& object) {
  if (object.value("kind", "") != "Service" || !object.contains("spec")) return;
  nlohmann::json& spec = object["spec"];
  if (!spec.is_object()) return;
  if (spec.value("clusterIP", "") != "None") {
    spec.erase("clusterIP");
    spec.erase("clusterIPs");
  }
}

// A string a YAML 1.1 reader (Kubernetes' included) would take for a bool, a null or a
// number if it were written plain: such strings are quoted, so "true" stays a string.
bool ReadsAsAnotherType(const std::string& s) {
  if (s.empty()) return true;
  std::string lower = s;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::array<std::string_view, 14> kWords = {
      "true", "false", "yes", "no",   "on",    "off",   "y",
      "n",    "null",  "~",   ".inf", "-.inf", "+.inf", ".nan"};
  for (std::string_view w : kWords) {
    if (lower == w) return true;
  }
  const char c = s.front();
  if (std::isdigit(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '+' && c != '.') {
    return false;
  }
  // Anything number-like: digits with signs, dots, exponents, '_' , ':' (sexagesimal), 0x/0o.
  return s.find_first_not_of("0123456789+-._:eEoOxXabcdefABCDEF") == std::string::npos;
}

void Emit(YAML::Emitter& out, const nlohmann::json& value);

void EmitMap(YAML::Emitter& out, const nlohmann::json& map, bool top) {
  out << YAML::BeginMap;
  auto emit_key = [&](const std::string& key) {
    out << YAML::Key << key << YAML::Value;
    Emit(out, map[key]);
  };
  if (top) {
    for (const char* first : {"apiVersion", "kind", "metadata"}) {
      if (map.contains(first)) emit_key(first);
    }
  }
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (top && (it.key() == "apiVersion" || it.key() == "kind" || it.key() == "metadata")) continue;
    emit_key(it.key());
  }
  out << YAML::EndMap;
}

void Emit(YAML::Emitter& out, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      if (value.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
      } else {
        EmitMap(out, value, false);
      }
      return;
    case nlohmann::json::value_t::array:
      if (value.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const auto& item : value) Emit(out, item);
      out << YAML::EndSeq;
      return;
    case nlohmann::json::value_t::string: {
      const std::string& text = value.get_ref<const std::string&>();
      out << (ReadsAsAnotherType(text) ? YAML::DoubleQuoted : YAML::Auto) << text;
      return;
    }
    case nlohmann::json::value_t::boolean:
      out << value.get<bool>();
      return;
    case nlohmann::json::value_t::null:
      out << YAML::Null;
      return;
    default:
      out << value.dump();  // numbers: JSON's spelling is YAML's
      return;
  }
}

}  // namespace

nlohmann::json Sanitize(const nlohmann::json& object) {
  nlohmann::json clean = object;
  if (!clean.is_object()) return clean;
  clean.erase("status");
  if (clean.contains("metadata") && clean["metadata"].is_object()) {
    nlohmann::json& meta = clean["metadata"];
    for (std::string_view field : kServerMetadata) meta.erase(std::string(field));
    if (meta.contains("annotations") && meta["annotations"].is_object()) {
      for (std::string_view a : kServerAnnotations) meta["annotations"].erase(std::string(a));
      if (meta["annotations"].empty()) meta.erase("annotations");
    }
  }
  SanitizeService(clean);
  return clean;
}

std::string ToYaml(const nlohmann::json& object) {
  YAML::Emitter out;
  if (object.is_object()) {
    EmitMap(out, object, true);
  } else {
    Emit(out, object);
  }
  return std::string(out.c_str()) + "\n";
}

}  // namespace gitdest::k8s
