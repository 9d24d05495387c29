#include "core/check.h"

#include <cstdlib>

namespace gitdest::core {
namespace {
// Set once by a binary's main() before anything else runs.
AssertHandler handler = nullptr;
}  // namespace

AssertHandler SetAssertHandler(AssertHandler new_handler) {
  AssertHandler previous = handler;
  handler = new_handler;
  return previous;
}

void AssertFailed(const char* expression, const char* file, int line) {
  if (handler != nullptr) handler(expression, file, line);
  std::abort();
}

}  // namespace gitdest::core
