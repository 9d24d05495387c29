// Type traits over the container shapes of the core's types, for the trace codec and
// its tests.
#pragma once

#include <type_traits>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace gitdest::trace {

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

template <class T>
struct IsStatusOr : std::false_type {};
template <class T>
struct IsStatusOr<absl::StatusOr<T>> : std::true_type {};

template <class T>
struct IsVariant : std::false_type {};
template <class... T>
struct IsVariant<std::variant<T...>> : std::true_type {};

}  // namespace gitdest::trace
