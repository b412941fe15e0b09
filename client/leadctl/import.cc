// Records are read whole before sending; a file of a million leads is a few
// hundred megabytes of protos, which is fine for a CLI.
#include "client/leadctl/import.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/leadctl/csv_reader.h"
#include "google/protobuf/util/json_util.h"

namespace leadrouter::leadctl {
namespace {

struct Record {
  int line = 0;
  absl::StatusOr<v1::Lead> lead;
};

absl::StatusOr<v1::Lead> FromJson(const std::string& line) {
  v1::Lead lead;
  auto status = google::protobuf::util::JsonStringToMessage(line, &lead);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a Lead in JSON: ", status.message().ToString()));
  }
  return lead;
}

// A CSV row under a header of Lead field names; product_interests are
// separated by ';'.
absl::StatusOr<v1::Lead> FromCsv(const std::vector<std::string>& header,
                                 const std::vector<std::string>& cells) {
  if (cells.size() != header.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "has ", cells.size(), " fields, the header ", header.size()));
  }
  v1::Lead lead;
  const auto* descriptor = lead.GetDescriptor();
  const auto* reflection = lead.GetReflection();
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string value(absl::StripAsciiWhitespace(cells[i]));
    if (value.empty()) continue;
    const auto* field = descriptor->FindFieldByName(header[i]);
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown column \"", header[i], "\""));
    }
    using FD = google::protobuf::FieldDescriptor;
    if (field->is_repeated() && field->type() == FD::TYPE_STRING) {
      for (absl::string_view p : absl::StrSplit(value, ';', absl::SkipEmpty())) {
        reflection->AddString(&lead, field, std::string(p));
      }
    } else if (field->type() == FD::TYPE_STRING) {
      reflection->SetString(&lead, field, value);
    } else if (field->type() == FD::TYPE_INT32) {
      int v = 0;
      if (!absl::SimpleAtoi(value, &v)) {
        return absl::InvalidArgumentError(
            absl::StrCat(header[i], ": \"", value, "\" is not a number"));
      }
      reflection->SetInt32(&lead, field, v);
    } else if (field->type() == FD::TYPE_ENUM) {
      const auto* e = field->enum_type()->FindValueByName(
          absl::AsciiStrToUpper(value).rfind("STAGE_", 0) == 0
              ? absl::AsciiStrToUpper(value)
              : "STAGE_" + absl::AsciiStrToUpper(value));
      if (e == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(header[i], ": unknown value \"", value, "\""));
      }
      reflection->SetEnumValue(&lead, field, e->number());
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("column \"", header[i], "\" cannot be given in CSV"));
    }
  }
  return lead;
}

absl::StatusOr<std::vector<Record>> ReadRecords(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::vector<Record> records;
  if (absl::EndsWithIgnoreCase(path, ".csv")) {
    absl::StatusOr<std::vector<CsvRow>> rows = ReadCsv(in);
    if (!rows.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", rows.status().message()));
    }
    std::vector<std::string> header;
    for (const CsvRow& row : *rows) {
      if (header.empty()) {
        for (const std::string& h : row.cells) {
          header.emplace_back(absl::StripAsciiWhitespace(h));
        }
        continue;
      }
      records.push_back({row.line, FromCsv(header, row.cells)});
    }
    return records;
  }
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    records.push_back({n, FromJson(line)});
  }
  return records;
}

size_t ReadCheckpoint(const std::string& file) {
  std::ifstream in(file);
  size_t done = 0;
  in >> done;
  return done;
}

void WriteCheckpoint(const std::string& file, size_t done) {
  const std::string tmp = file + ".tmp";
  { std::ofstream(tmp) << done << "\n"; }
  std::rename(tmp.c_str(), file.c_str());  // atomic: never half a number
}

// "INVALID_ARGUMENT lead.country_code": the code and the field named.
std::string Reason(const absl::Status& s) {
  const std::string message(s.message());
  const size_t colon = message.find(':');
  return absl::StrCat(absl::StatusCodeToString(s.code()),
                      colon == std::string::npos
                          ? ""
                          : " " + message.substr(0, colon));
}

}  // namespace

int RunImport(Client& client, const std::string& path, bool json,
              std::ostream& out) {
  absl::StatusOr<std::vector<Record>> records = ReadRecords(path);
  if (!records.ok()) {
    std::cerr << "leadctl: " << records.status().message() << "\n";
    return 2;
  }
  const std::string checkpoint = path + ".leadctl-progress";
  const size_t skip = std::min(ReadCheckpoint(checkpoint), records->size());
  if (skip > 0) {
    std::cerr << "leadctl: resuming after " << skip << " leads answered before ("
              << checkpoint << ")\n";
  }

  std::map<std::string, int> errors;
  std::vector<v1::Lead> leads;
  std::vector<size_t> index;  // leads[i] is (*records)[index[i]]
  for (size_t i = skip; i < records->size(); ++i) {
    const Record& r = (*records)[i];
    if (r.lead.ok()) {
      leads.push_back(*r.lead);
      index.push_back(i);
    } else {
      ++errors[absl::StrCat("unreadable (line ", r.line, ")")];
      std::cerr << "leadctl: " << path << ":" << r.line << ": "
                << r.lead.status().message() << "\n";
    }
  }

  const bool tty = isatty(STDERR_FILENO) != 0;
  const size_t total = leads.size();
  int assigned = 0, queued = 0, replayed = 0;
  size_t answered = 0;
  int last_percent = -1;
  client.RouteMany(
      leads, 256,
      [&](size_t i, const absl::StatusOr<v1::RouteLeadResponse>& result) {
        answered = i + 1;
        if (!result.ok()) {
          ++errors[Reason(result.status())];
        } else if (result->replayed()) {
          ++replayed;
        } else if (result->assignment().state() ==
                   v1::ASSIGNMENT_STATE_QUEUED) {
          ++queued;
        } else {
          ++assigned;
        }
        // The checkpoint only moves over leads that got an answer, and only
        // when the stream is healthy (an error may be a transient one that
        // a rerun should repeat).
        if (result.ok() || result.status().code() ==
                               absl::StatusCode::kInvalidArgument) {
          if (answered % 200 == 0) {
            WriteCheckpoint(checkpoint, index[i] + 1);
          }
        }
        const int percent = total == 0 ? 100 : static_cast<int>(100 * answered / total);
        if (percent != last_percent && (tty || percent % 10 == 0)) {
          last_percent = percent;
          const int bar = percent / 5;
          std::cerr << (tty ? "\r" : "") << "[" << std::string(bar, '#')
                    << std::string(20 - bar, '.') << "] " << answered << "/"
                    << total << " " << percent << "%" << (tty ? "" : "\n")
                    << std::flush;
        }
      });
  if (tty) std::cerr << "\n";

  bool transient = false, invalid = false, other = false;
  for (const auto& [reason, n] : errors) {
    if (absl::StartsWith(reason, "UNAVAILABLE") ||
        absl::StartsWith(reason, "DEADLINE_EXCEEDED")) {
      transient = true;
    } else if (absl::StartsWith(reason, "INVALID_ARGUMENT") ||
               absl::StartsWith(reason, "unreadable")) {
      invalid = true;
    } else {
      other = true;
    }
  }
  if (!transient) std::remove(checkpoint.c_str());  // done: start over next time

  if (json) {
    out << "{\"assigned\":" << assigned << ",\"queued\":" << queued
        << ",\"replayed\":" << replayed << ",\"skipped\":" << skip
        << ",\"errors\":{";
    bool first = true;
    for (const auto& [reason, n] : errors) {
      out << (first ? "" : ",") << "\"" << reason << "\":" << n;
      first = false;
    }
    out << "}}\n";
  } else {
    out << "assigned  " << assigned << "\nqueued    " << queued
        << "\nreplayed  " << replayed << "\n";
    if (skip > 0) out << "skipped   " << skip << " (answered before)\n";
    for (const auto& [reason, n] : errors) {
      out << "error     " << n << "  " << reason << "\n";
    }
  }
  if (transient) return 5;
  if (other) return 1;
  if (invalid) return 3;
  return 0;
}

}  // namespace leadrouter::leadctl
