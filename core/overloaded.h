// Overloaded: a visitor built from lambdas, for std::visit over the Input and Effect
// variants.
#pragma once

namespace gitdest::core {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace gitdest::core
