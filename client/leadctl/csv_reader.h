// CSV as people write it (RFC 4180), read with libcsv: quoted fields with
// commas, doubled quotes and line breaks inside, CRLF or LF line ends, and a
// UTF-8 byte order mark at the start (as spreadsheets export it).
//
//   absl::StatusOr<std::vector<CsvRow>> rows = ReadCsv(file);
//   // rows->front() is the header; each row knows the line it starts on.
#ifndef LEADROUTER_CLIENT_LEADCTL_CSV_READER_H_
#define LEADROUTER_CLIENT_LEADCTL_CSV_READER_H_

#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace leadrouter::leadctl {

struct CsvRow {
  int line = 0;  // where the row starts, from 1
  std::vector<std::string> cells;
};

// Every non-empty row in order. INVALID_ARGUMENT "line N: ..." for text
// that is not CSV (a quote inside an unquoted field, a quoted field that
// never ends).
absl::StatusOr<std::vector<CsvRow>> ReadCsv(std::istream& in);

}  // namespace leadrouter::leadctl

#endif  // LEADROUTER_CLIENT_LEADCTL_CSV_READER_H_
