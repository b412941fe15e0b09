// leadctl import: routes every lead of a JSON Lines or CSV file through one
// RouteLeads stream, with a progress bar and a summary. Resumable: a
// checkpoint file (FILE.leadctl-progress) holds how many leads from the
// start are answered; a rerun continues after them, and a lead sent twice
// around an interruption is only replayed (routing is idempotent).
//
//   return RunImport(client, "leads.jsonl", /*json=*/false, std::cout);
#ifndef LEADROUTER_CLIENT_LEADCTL_IMPORT_H_
#define LEADROUTER_CLIENT_LEADCTL_IMPORT_H_

#include <ostream>
#include <string>

#include "client/client.h"

namespace leadrouter::leadctl {

// The exit code: 0 every lead routed; 3 some leads refused as invalid
// (INVALID_ARGUMENT) or unreadable; 5 server unavailable; 1 other errors;
// 2 the file cannot be read (or is not CSV: broken quoting).
int RunImport(Client& client, const std::string& path, bool json,
              std::ostream& out);

}  // namespace leadrouter::leadctl

#endif  // LEADROUTER_CLIENT_LEADCTL_IMPORT_H_
