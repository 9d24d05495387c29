// Assertions that stay on in release builds (TigerBeetle style): a broken invariant
// of the core is a bug, and continuing would corrupt a user's repository.
// Operating errors (push rejected, API conflict) are data, never assertions.
#pragma once

namespace gitdest::core {

using AssertHandler = void (*)(const char* expression, const char* file, int line);

// Binaries install a handler that reports the failure before the process aborts;
// the core itself prints nothing. Returns the previous handler.
AssertHandler SetAssertHandler(AssertHandler handler);

[[noreturn]] void AssertFailed(const char* expression, const char* file, int line);

}  // namespace gitdest::core

#define GITDEST_ASSERT(condition)                                    \
  do {                                                               \
    if (!(condition)) [[unlikely]] {                                 \
      ::gitdest::core::AssertFailed(#condition, __FILE__, __LINE__); \
    }                                                                \
  } while (false)
