// How a status of the core reads over HTTP: the standard HTTP status for
// each canonical code (as Google's HTTP mapping of gRPC has it) and a JSON
// error body {"code": "INVALID_ARGUMENT", "message": "..."}.
//
//   res.status = HttpStatusFor(status.code());
//   res.set_content(ErrorJson(status), "application/json");
#ifndef LEADROUTER_SERVER_HTTP_HTTP_STATUS_H_
#define LEADROUTER_SERVER_HTTP_HTTP_STATUS_H_

#include <string>

#include "absl/status/status.h"

namespace leadrouter::server {

// 400, 401, 403, 404, 409, 429, 499, 500, 501, 503 or 504.
int HttpStatusFor(absl::StatusCode code);

// {"code":"NOT_FOUND","message":"..."}; the message capped like gRPC's.
std::string ErrorJson(const absl::Status& status);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_HTTP_HTTP_STATUS_H_
