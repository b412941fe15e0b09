// Structured logs: one JSON object per line on stderr, with time, level and
// event, plus ids (lead, rep, rule). Callers never pass personal data
// (names, e-mails) as fields.
//
//   LogInfo("serving", {{"address", "127.0.0.1:50051"}});
#ifndef LEADROUTER_SERVER_LOG_H_
#define LEADROUTER_SERVER_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>

namespace leadrouter::server {

using LogField = std::pair<const char*, std::string>;

void LogInfo(const char* event, std::initializer_list<LogField> fields = {});
void LogWarning(const char* event, std::initializer_list<LogField> fields = {});
void LogError(const char* event, std::initializer_list<LogField> fields = {});

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_LOG_H_
