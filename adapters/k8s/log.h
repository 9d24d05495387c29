// gitdest-controller's log: one line per decision that matters, as text for people or
// JSON for log pipelines (--log-format). Values are quoted/escaped, never trusted; no
// caller passes a credential (URLs are redacted where they enter the process).
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace gitdest::k8s {

enum class LogFormat { kText, kJson };
enum class LogLevel { kDebug, kInfo, kWarn, kError };

using LogField = std::pair<absl::string_view, std::string>;

// Once, before any thread logs. Lines below `level` are dropped. To stderr.
void ConfigureLog(LogFormat format, LogLevel level);
void Log(LogLevel level, absl::string_view message, std::initializer_list<LogField> fields = {});

}  // namespace gitdest::k8s
