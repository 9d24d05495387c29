#include "adapters/k8s/log.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace gitdest::k8s {
namespace {

LogFormat g_format = LogFormat::kText;
LogLevel g_level = LogLevel::kInfo;

spdlog::logger& Logger() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stderr_logger_mt("gitdest");
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return *logger;
}

const char* Name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

// A text value: bare when it is one plain word, else JSON-quoted.
std::string TextValue(const std::string& v) {
  const bool plain = !v.empty() && v.find_first_of(" \t\n\r\"=\\") == std::string::npos;
  return plain ? v
               : nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void ConfigureLog(LogFormat format, LogLevel level) {
  g_format = format;
  g_level = level;
  Logger();
}

void Log(LogLevel level, absl::string_view message, std::initializer_list<LogField> fields) {
  if (level < g_level) return;
  const std::string time =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::string line;
  if (g_format == LogFormat::kJson) {
    nlohmann::ordered_json j = {
        {"ts", time}, {"level", Name(level)}, {"msg", std::string(message)}};
    for (const auto& [key, value] : fields) j[std::string(key)] = value;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = absl::StrCat(time, " ", Name(level), " ", message);
    for (const auto& [key, value] : fields) absl::StrAppend(&line, " ", key, "=", TextValue(value));
  }
  Logger().info(line);
}

}  // namespace gitdest::k8s
