// The routing gauges, computed when Prometheus scrapes: open assignments and
// open-lead capacity per team (of its members), and leads waiting per queue
// (team queues by name, named queues, "unmatched"; rep queues summed as
// "rep/*", since a rep id can be a person's name), and each team's
// fairness: the largest deviation of a member from its weighted share of
// the team's leads over the last 7 days (by team only: no rep id in a
// label). Fairness reads the store's assignments, so it is computed at most
// once a minute and the last figures are served in between.
//
//   exposer.RegisterCollectable(std::make_shared<RoutingGauges>(table, store));
#ifndef LEADROUTER_SERVER_METRICS_ROUTING_GAUGES_H_
#define LEADROUTER_SERVER_METRICS_ROUTING_GAUGES_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "server/config/current_table.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

// Thread-safe; each scrape reads the current table and store.
class RoutingGauges final : public prometheus::Collectable {
 public:
  static constexpr absl::Duration kFairnessWindow = absl::Hours(24 * 7);
  static constexpr absl::Duration kFairnessRefresh = absl::Minutes(1);

  RoutingGauges(const CurrentTable& table, AssignmentStore& store,
                std::function<absl::Time()> clock = [] { return absl::Now(); })
      : table_(table), store_(store), clock_(std::move(clock)) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  // Team id to its largest deviation; refreshed when older than a minute
  // (or the config changed).
  std::map<std::string, double> FairnessByTeam() const;

  const CurrentTable& table_;
  AssignmentStore& store_;
  const std::function<absl::Time()> clock_;
  mutable absl::Mutex mu_;
  mutable absl::Time fairness_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  mutable std::string fairness_version_ ABSL_GUARDED_BY(mu_);
  mutable std::map<std::string, double> fairness_ ABSL_GUARDED_BY(mu_);
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_METRICS_ROUTING_GAUGES_H_
