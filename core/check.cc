#include "core/check.h"

#include <atomic>
#include <cstdlib>

namespace gitdest::core {
namespace {
std::atomic<AssertHandler> handler{nullptr};
}  // namespace

AssertHandler SetAssertHandler(AssertHandler new_handler) { return handler.exchange(new_handler); }

void AssertFailed(const char* expression, const char* file, int line) {
  if (AssertHandler h = handler.load(); h != nullptr) h(expression, file, line);
  std::abort();
}

}  // namespace gitdest::core
