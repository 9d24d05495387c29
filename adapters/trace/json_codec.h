// The generic half of the trace codec (the format is described in trace_file.h): JSON
// values that know their path for error messages, strict object reading, and
// Read<T>/Write<T> for scalars, strings, Status, StatusOr, vectors, enums, structs and
// variants. What is particular to a type is its Codec<T> (codec_types.h,
// codec_inputs.cc, codec_effects.cc, trace_file.cc).
//
// A struct's codec is usually its field list, GITDEST_TRACE_FIELDS(Type, a, b, c):
// encoding and decoding both walk that list, the JSON keys are the field names, and the
// list is a structured binding, so a field added to a core type breaks the build until
// it is listed. Decoding reports the first problem by throwing DecodeError up to the
// public boundary (DecodeHeader / DecodeStep), which returns it as a Status: nlohmann
// throws anyway, and one exception path keeps every decoder a straight line of field
// reads. Nothing throws out of the library's public functions.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/trace/type_traits.h"

namespace gitdest::trace::internal {

// std::map-ordered objects: one value always encodes to the same bytes.
using Json = nlohmann::json;

class DecodeError : public std::exception {
 public:
  DecodeError(const std::string& path, absl::string_view problem)
      : message_(path.empty() ? std::string(problem) : absl::StrCat(path, ": ", problem)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// A JSON value and its path from the line's root ("input.destination.key.name").
struct Node {
  const Json& json;
  std::string path;

  [[noreturn]] void Fail(absl::string_view problem) const { throw DecodeError(path, problem); }
  [[noreturn]] void WrongType(absl::string_view expected) const {
    Fail(absl::StrCat("expected ", expected, ", got ", json.type_name()));
  }
  Node Element(size_t i) const { return Node{json[i], absl::StrCat(path, "[", i, "]")}; }
  std::string ChildPath(absl::string_view key) const;  // of this object's field `key`
};

template <class T>
T Read(const Node& node);
template <class T>
Json Write(const T& value);

// Reads one JSON object's fields; Done() rejects fields that nobody read, so that a
// misspelt key is an error rather than a silently defaulted field.
class ObjectReader {
 public:
  explicit ObjectReader(const Node& node) : node_(node) {
    if (!node_.json.is_object()) node_.WrongType("object");
  }
  bool Has(absl::string_view key) const { return node_.json.contains(std::string(key)); }
  Node Field(absl::string_view key);  // throws "missing field"
  template <class T>
  T Get(absl::string_view key) {
    return Read<T>(Field(key));
  }
  void Done() const;

 private:
  Node node_;
  std::set<std::string, std::less<>> used_;
};

// ---- scalars (json_codec.cc) -----------------------------------------------------------

Json WriteString(const std::string& s);  // a JSON string if valid UTF-8, else {"b64": ...}
std::string ReadString(const Node& node);
bool ReadBool(const Node& node);
Json WriteDouble(double d);  // non-finite ones as "nan", "+inf", "-inf"
double ReadDouble(const Node& node);
Json WriteTime(absl::Time t);
absl::Time ReadTime(const Node& node);
Json WriteDuration(absl::Duration d);
absl::Duration ReadDuration(const Node& node);
Json WriteStatus(const absl::Status& s);
absl::Status ReadStatus(const Node& node);
std::string WriteHex64(uint64_t value);  // 16 lower-case hex digits
uint64_t ReadHex64(const Node& node);

// One line of JSON. Every string was made valid UTF-8 by WriteString, so dumping cannot
// fail; should it, the line says so instead of throwing.
std::string Dump(const Json& j);

template <class I>
I ReadInt(const Node& node) {
  if (node.json.is_number_unsigned()) {
    const auto v = node.json.get<uint64_t>();
    if (!std::in_range<I>(v)) node.Fail(absl::StrCat("integer ", v, " out of range"));
    return static_cast<I>(v);
  }
  if (node.json.is_number_integer()) {
    const auto v = node.json.get<int64_t>();
    if (!std::in_range<I>(v)) node.Fail(absl::StrCat("integer ", v, " out of range"));
    return static_cast<I>(v);
  }
  node.WrongType("integer");
}

// ---- per-type codecs -------------------------------------------------------------------

// One specialization per type that is not a scalar or a container, of one of three kinds:
// - a field list (GITDEST_TRACE_FIELDS / GITDEST_TRACE_NO_FIELDS below): kTypeName,
//   kFieldNames and Fields(v), a tuple of references to v's fields in order;
// - an enum: kNames, its enumerators' names in order;
// - anything else: `static Json Encode(const T&)` and `static T Decode(ObjectReader&)`.
template <class T>
struct Codec;

// "a, b_, c", the field list as the preprocessor spells it (#__VA_ARGS__), to
// {"a", "b", "c"}: a trailing '_' is dropped (`namespace_` → "namespace").
template <size_t N>
constexpr std::array<std::string_view, N> FieldNames(std::string_view list) {
  std::array<std::string_view, N> names{};
  for (std::string_view& name : names) {
    const size_t comma = list.find(',');
    name = list.substr(0, comma);
    while (name.starts_with(' ')) name.remove_prefix(1);
    while (name.ends_with(' ')) name.remove_suffix(1);
    if (name.ends_with('_')) name.remove_suffix(1);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return names;
}

constexpr size_t CountFields(std::string_view list) {
  return static_cast<size_t>(std::ranges::count(list, ',')) + 1;
}

// "core::PushBatch" → "PushBatch": an Input's or Effect's "type".
constexpr std::string_view UnqualifiedName(std::string_view name) {
  const size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Declares the codec of struct `Type` by its fields: every one, in declaration order.
// Leaving one out does not compile; misordering two cannot be caught here (a structured
// binding is positional), and would file a value under another field's key: the golden
// tests in trace_format_test.cc pin the keys of the main shapes.
#define GITDEST_TRACE_FIELDS(Type, ...)                                                      \
  template <>                                                                                \
  struct Codec<Type> {                                                                       \
    static constexpr std::string_view kTypeName = UnqualifiedName(#Type);                    \
    static constexpr auto kFieldNames = FieldNames<CountFields(#__VA_ARGS__)>(#__VA_ARGS__); \
    static auto Fields(auto& object_) {                                                      \
      auto& [__VA_ARGS__] = object_;                                                         \
      return std::tie(__VA_ARGS__);                                                          \
    }                                                                                        \
  }

// The same for a struct without fields (a structured binding cannot be empty).
#define GITDEST_TRACE_NO_FIELDS(Type)                                     \
  template <>                                                             \
  struct Codec<Type> {                                                    \
    static_assert(std::is_empty_v<Type>);                                 \
    static constexpr std::string_view kTypeName = UnqualifiedName(#Type); \
    static constexpr std::array<std::string_view, 0> kFieldNames{};       \
    static std::tuple<> Fields(const Type&) { return {}; }                \
  }

template <class T>
concept ByFields = requires {
  Codec<T>::kFieldNames;
};

template <class T, class Fields, class F, size_t... I>
void VisitFields(Fields& fields, F& f, std::index_sequence<I...>) {
  static_assert(sizeof...(I) == Codec<T>::kFieldNames.size());
  constexpr auto& kNames = Codec<T>::kFieldNames;
  (f(std::get<I>(fields), absl::string_view(kNames[I].data(), kNames[I].size())), ...);
}

// Calls f(field, name) for each field of `value` (a T, const or not).
template <class T, class F>
void ForEachField(auto& value, F f) {
  auto fields = Codec<T>::Fields(value);
  VisitFields<T>(fields, f, std::make_index_sequence<std::tuple_size_v<decltype(fields)>>());
}

template <ByFields T>
Json WriteFields(const T& value) {
  Json j = Json::object();
  ForEachField<T>(value, [&](const auto& field, absl::string_view name) {
    j[std::string(name)] = Write(field);
  });
  return j;
}

template <ByFields T>
T ReadFields(ObjectReader& r) {
  T value;  // every field is assigned below
  ForEachField<T>(value, [&](auto& field, absl::string_view name) {
    field = r.Get<std::remove_cvref_t<decltype(field)>>(name);
  });
  return value;
}

// ---- containers, enums, variants -------------------------------------------------------

template <class T>
Json WriteVector(const std::vector<T>& values) {
  Json j = Json::array();
  for (const T& v : values) j.push_back(Write(v));
  return j;
}

template <class V>
V ReadVector(const Node& node) {
  if (!node.json.is_array()) node.WrongType("array");
  V values;
  for (size_t i = 0; i < node.json.size(); ++i) {
    values.push_back(Read<typename V::value_type>(node.Element(i)));
  }
  return values;
}

// {"ok": value} or {"error": status}.
template <class T>
Json WriteStatusOr(const absl::StatusOr<T>& v) {
  if (v.ok()) return Json::object({{"ok", Write(*v)}});
  return Json::object({{"error", WriteStatus(v.status())}});
}

template <class S>
S ReadStatusOr(const Node& node) {
  ObjectReader r(node);
  if (r.Has("ok")) {
    S value = r.Get<typename S::value_type>("ok");
    r.Done();
    return value;
  }
  const Node error = r.Field("error");
  r.Done();
  absl::Status status = ReadStatus(error);
  if (status.ok()) error.Fail("an error must not be OK");
  return status;
}

// Enums are strings. A value outside the enum (memory gone wrong) is written so that it
// fails to decode, rather than read out of bounds.
template <class E>
Json WriteEnum(E e) {
  const auto i = static_cast<size_t>(e);
  if (i < std::size(Codec<E>::kNames)) return Codec<E>::kNames[i];
  return absl::StrCat("invalid enumerator ", i);
}

template <class E>
E ReadEnum(const Node& node) {
  const std::string name = ReadString(node);
  for (size_t i = 0; i < std::size(Codec<E>::kNames); ++i) {
    if (name == Codec<E>::kNames[i]) return static_cast<E>(i);
  }
  node.Fail(absl::StrCat("unknown value \"", name, "\""));
}

// A variant is its alternative's fields plus "type", the alternative's C++ name.
template <class V>
Json WriteVariant(const V& v) {
  return std::visit(
      [](const auto& alternative) {
        using T = std::decay_t<decltype(alternative)>;
        static_assert(
            std::ranges::find(Codec<T>::kFieldNames, "type") == Codec<T>::kFieldNames.end(),
            "a field named \"type\" would collide with the variant's tag");
        Json j = WriteFields(alternative);
        j["type"] = std::string(Codec<T>::kTypeName);
        return j;
      },
      v);
}

template <class V, size_t I = 0>
V ReadAlternative(ObjectReader& r, const std::string& type, const Node& type_node) {
  if constexpr (I == std::variant_size_v<V>) {
    type_node.Fail(absl::StrCat("unknown type \"", type, "\""));
  } else {
    using T = std::variant_alternative_t<I, V>;
    if (type == Codec<T>::kTypeName) return V(std::in_place_index<I>, ReadFields<T>(r));
    return ReadAlternative<V, I + 1>(r, type, type_node);
  }
}

template <class V>
V ReadVariant(ObjectReader& r) {
  const Node type_node = r.Field("type");
  return ReadAlternative<V>(r, ReadString(type_node), type_node);
}

// ---- dispatch --------------------------------------------------------------------------

template <class T>
Json Write(const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    return WriteString(value);
  } else if constexpr (std::is_same_v<T, bool> || std::is_integral_v<T>) {
    return value;
  } else if constexpr (std::is_same_v<T, double>) {
    return WriteDouble(value);
  } else if constexpr (std::is_same_v<T, absl::Time>) {
    return WriteTime(value);
  } else if constexpr (std::is_same_v<T, absl::Duration>) {
    return WriteDuration(value);
  } else if constexpr (std::is_same_v<T, absl::Status>) {
    return WriteStatus(value);
  } else if constexpr (IsStatusOr<T>::value) {
    return WriteStatusOr(value);
  } else if constexpr (IsVector<T>::value) {
    return WriteVector(value);
  } else if constexpr (SharesVector<T>) {
    return WriteVector(value.vector());
  } else if constexpr (std::is_enum_v<T>) {
    return WriteEnum(value);
  } else if constexpr (ByFields<T>) {
    return WriteFields(value);
  } else {
    return Codec<T>::Encode(value);
  }
}

template <class T>
T Read(const Node& node) {
  if constexpr (std::is_same_v<T, std::string>) {
    return ReadString(node);
  } else if constexpr (std::is_same_v<T, bool>) {
    return ReadBool(node);
  } else if constexpr (std::is_integral_v<T>) {
    return ReadInt<T>(node);
  } else if constexpr (std::is_same_v<T, double>) {
    return ReadDouble(node);
  } else if constexpr (std::is_same_v<T, absl::Time>) {
    return ReadTime(node);
  } else if constexpr (std::is_same_v<T, absl::Duration>) {
    return ReadDuration(node);
  } else if constexpr (std::is_same_v<T, absl::Status>) {
    return ReadStatus(node);
  } else if constexpr (IsStatusOr<T>::value) {
    return ReadStatusOr<T>(node);
  } else if constexpr (IsVector<T>::value) {
    return ReadVector<T>(node);
  } else if constexpr (SharesVector<T>) {
    return T(ReadVector<std::vector<typename T::value_type>>(node));
  } else if constexpr (std::is_enum_v<T>) {
    return ReadEnum<T>(node);
  } else if constexpr (ByFields<T>) {
    ObjectReader r(node);
    T value = ReadFields<T>(r);
    r.Done();
    return value;
  } else {
    ObjectReader r(node);
    T value = Codec<T>::Decode(r);
    r.Done();
    return value;
  }
}

}  // namespace gitdest::trace::internal
