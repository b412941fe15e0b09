// The routing table that new requests use. A request takes the table once
// and decides on it to the end, so swapping in a new one never changes a
// decision half-way.
//
//   CurrentTable current(*LoadRoutingTable(path));
//   std::shared_ptr<const routing::RoutingTable> table = current.Get();
#ifndef LEADROUTER_SERVER_CONFIG_CURRENT_TABLE_H_
#define LEADROUTER_SERVER_CONFIG_CURRENT_TABLE_H_

#include <memory>
#include <mutex>
#include <utility>

#include "routing/routing_table.h"

namespace leadrouter::server {

// Thread-safe.
class CurrentTable {
 public:
  explicit CurrentTable(std::shared_ptr<const routing::RoutingTable> table)
      : table_(std::move(table)) {}

  std::shared_ptr<const routing::RoutingTable> Get() const {
    std::lock_guard lock(mu_);
    return table_;
  }

  void Set(std::shared_ptr<const routing::RoutingTable> table) {
    std::lock_guard lock(mu_);
    table_ = std::move(table);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const routing::RoutingTable> table_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_CONFIG_CURRENT_TABLE_H_
