// Which byte strings a trace can carry as JSON strings (the others travel as base64).
#pragma once

#include "absl/strings/string_view.h"

namespace gitdest::trace {

// Whether `bytes` is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or
// code points above U+10FFFF), i.e. encodable as a JSON string.
bool IsValidUtf8(absl::string_view bytes);

}  // namespace gitdest::trace
