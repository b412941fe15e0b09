// Which store a --store value names: a PostgreSQL connection string (libpq
// URI "postgresql://..." or "postgres://...", or key=value pairs such as
// "host=db dbname=leadrouter"), or nothing for the embedded SQLite store.
#ifndef LEADROUTER_SERVER_STORE_STORE_URI_H_
#define LEADROUTER_SERVER_STORE_STORE_URI_H_

#include <string>

namespace leadrouter::server {

bool IsPostgresStore(const std::string& store);

// `store` without its password, for logs and errors.
std::string RedactedStore(const std::string& store);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_STORE_STORE_URI_H_
