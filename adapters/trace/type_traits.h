// Type traits over the container shapes of the core's types, for the trace codec and
// its tests.
#pragma once

#include <concepts>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace gitdest::trace {

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

// A value that shares an immutable vector (core::BatchChanges): written as the vector.
template <class T>
concept SharesVector = requires(const T& value) {
  { value.vector() } -> std::same_as<const std::vector<typename T::value_type>&>;
};

template <class T>
struct IsStatusOr : std::false_type {};
template <class T>
struct IsStatusOr<absl::StatusOr<T>> : std::true_type {};

template <class T>
struct IsVariant : std::false_type {};
template <class... T>
struct IsVariant<std::variant<T...>> : std::true_type {};

}  // namespace gitdest::trace
