// The routing gauges, computed when Prometheus scrapes: open assignments and
// open-lead capacity per team (of its members), and leads waiting per queue
// (team queues by name, named queues, "unmatched"; rep queues summed as
// "rep/*", since a rep id can be a person's name).
//
//   exposer.RegisterCollectable(std::make_shared<RoutingGauges>(table, store));
#ifndef LEADROUTER_SERVER_METRICS_ROUTING_GAUGES_H_
#define LEADROUTER_SERVER_METRICS_ROUTING_GAUGES_H_

#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "server/config/current_table.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

// Thread-safe; each scrape reads the current table and store.
class RoutingGauges final : public prometheus::Collectable {
 public:
  RoutingGauges(const CurrentTable& table, AssignmentStore& store)
      : table_(table), store_(store) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const CurrentTable& table_;
  AssignmentStore& store_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_METRICS_ROUTING_GAUGES_H_
