#include "client/leadctl/csv_reader.h"

#include <csv.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace leadrouter::leadctl {
namespace {

// What libcsv's callbacks fill.
struct Rows {
  std::vector<CsvRow> rows;
  CsvRow current;
  bool in_row = false;
  int line = 0;  // the line being fed

  static void Field(void* data, size_t size, void* self) {
    Rows& r = *static_cast<Rows*>(self);
    if (!r.in_row) {
      r.current.line = r.line;
      r.in_row = true;
    }
    r.current.cells.emplace_back(data == nullptr ? "" : static_cast<char*>(data),
                                 size);
  }
  static void End(int, void* self) {
    Rows& r = *static_cast<Rows*>(self);
    if (!r.in_row) r.current.line = r.line;
    r.rows.push_back(std::move(r.current));
    r.current = CsvRow();
    r.in_row = false;
  }
};

}  // namespace

absl::StatusOr<std::vector<CsvRow>> ReadCsv(std::istream& in) {
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    return absl::ResourceExhaustedError("cannot start the CSV parser");
  }
  std::unique_ptr<csv_parser, void (*)(csv_parser*)> free(&parser, csv_free);
  Rows rows;
  std::string text;
  while (std::getline(in, text)) {
    if (++rows.line == 1 && text.rfind("\xEF\xBB\xBF", 0) == 0) {
      text.erase(0, 3);  // the byte order mark is not part of the header
    }
    text += '\n';  // getline took it; quoted fields keep their line breaks
    if (csv_parse(&parser, text.data(), text.size(), Rows::Field, Rows::End,
                  &rows) != text.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", rows.line, ": not CSV (",
                       csv_strerror(csv_error(&parser)), ")"));
    }
  }
  if (csv_fini(&parser, Rows::Field, Rows::End, &rows) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", rows.current.line,
        ": not CSV (a quoted field is not closed by the end of the file)"));
  }
  return std::move(rows.rows);
}

}  // namespace leadrouter::leadctl
