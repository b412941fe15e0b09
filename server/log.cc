// Each line is written with one write(2) so lines from threads never mix.
#include "server/log.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace leadrouter::server {
namespace {

void AppendJsonString(std::string* out, const std::string& s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void Log(const char* level, const char* event,
         std::initializer_list<LogField> fields) {
  std::string line = "{\"time\":";
  AppendJsonString(&line, absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(),
                                           absl::UTCTimeZone()));
  absl::StrAppend(&line, ",\"level\":\"", level, "\",\"event\":");
  AppendJsonString(&line, event);
  for (const auto& [key, value] : fields) {
    absl::StrAppend(&line, ",\"", key, "\":");
    AppendJsonString(&line, value);
  }
  line += "}\n";
  ssize_t unused = ::write(STDERR_FILENO, line.data(), line.size());
  (void)unused;
}

}  // namespace

void LogInfo(const char* event, std::initializer_list<LogField> fields) {
  Log("info", event, fields);
}
void LogWarning(const char* event, std::initializer_list<LogField> fields) {
  Log("warning", event, fields);
}
void LogError(const char* event, std::initializer_list<LogField> fields) {
  Log("error", event, fields);
}

}  // namespace leadrouter::server
