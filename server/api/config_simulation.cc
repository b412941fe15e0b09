#include "server/api/config_simulation.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "routing/simulation.h"
#include "server/api/request_checks.h"
#include "server/config/config_file.h"
#include "server/store/stored_rows.h"

namespace leadrouter::server {
namespace {

using leadrouter::v1::SimulateConfigRequest;
using leadrouter::v1::SimulateConfigResponse;

// The window as a store query (without paging), checked.
absl::StatusOr<ReplayQuery> Window(const SimulateConfigRequest& request,
                                   absl::Time now) {
  ReplayQuery query;
  if (request.lead_ids_size() > 0) {
    if (request.has_since() || request.has_until()) {
      return absl::InvalidArgumentError(
          "lead_ids: give lead_ids or a since/until window, not both");
    }
    if (request.lead_ids_size() > kMaxSimulationLeadIds) {
      return absl::InvalidArgumentError(
          absl::StrCat("lead_ids: ", request.lead_ids_size(),
                       " ids, more than ", kMaxSimulationLeadIds));
    }
    for (int i = 0; i < request.lead_ids_size(); ++i) {
      const std::string& id = request.lead_ids(i);
      if (id.empty() || id.size() > 128) {
        return absl::InvalidArgumentError(absl::StrCat(
            "lead_ids[", i, "]: must be 1 to 128 bytes"));
      }
      query.lead_ids.push_back(id);
    }
    return query;
  }
  if (!request.has_since()) {
    return absl::InvalidArgumentError(
        "since: required (the window's start), unless lead_ids are given");
  }
  if (auto s = CheckTimestamp(request.since(), "since"); !s.ok()) return s;
  if (auto s = CheckTimestamp(request.until(), "until"); !s.ok()) return s;
  query.arrived_from_us = Micros(request.since());
  query.arrived_until_us = request.has_until() ? Micros(request.until())
                                               : absl::ToUnixMicros(now) + 1;
  if (query.arrived_until_us <= query.arrived_from_us) {
    return absl::InvalidArgumentError("until: is not after since");
  }
  return query;
}

absl::Status Left() {
  return absl::CancelledError("the simulation's caller left");
}

}  // namespace

absl::Status ConfigSimulator::StartAt(int64_t at_us,
                                      routing::Simulation& simulation,
                                      const std::function<bool()>& cancelled) {
  absl::StatusOr<std::vector<leadrouter::v1::AssignmentEvent>> before =
      store_.TeamEventsBefore(at_us, kSimulationStartEvents);
  if (!before.ok()) return before.status();
  simulation.StartFrom(*before, absl::FromUnixMicros(at_us));
  ReplayQuery held;
  held.held_at_us = at_us;
  held.limit = kSimulationPage;
  while (true) {
    if (cancelled && cancelled()) return Left();
    absl::StatusOr<ReplayPage> page = store_.ReplayLeads(held);
    if (!page.ok()) return page.status();
    for (const routing::PastLead& past : page->leads) simulation.Carry(past);
    if (!page->more) return absl::OkStatus();
    held.after_position = page->last_position;
  }
}

absl::StatusOr<SimulateConfigResponse> ConfigSimulator::Run(
    const SimulateConfigRequest& request,
    const std::function<bool()>& cancelled) {
  // Checks first: a bad request is refused the same while another runs.
  leadrouter::v1::RoutingConfig draft;
  switch (request.draft_case()) {
    case SimulateConfigRequest::kRoutingConfig:
      draft = request.routing_config();
      break;
    case SimulateConfigRequest::kYaml: {
      absl::StatusOr<leadrouter::v1::RoutingConfig> parsed =
          ParseConfigYaml(request.yaml(), "draft.yaml");
      if (!parsed.ok()) return parsed.status();
      draft = *std::move(parsed);
      break;
    }
    case SimulateConfigRequest::DRAFT_NOT_SET:
      return absl::InvalidArgumentError(
          "draft: give the draft config as routing_config or yaml");
  }
  if (request.limit() < 0 || request.limit() > kMaxSimulatedLeads) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit: ", request.limit(), " is outside 0 to ",
                     kMaxSimulatedLeads, " (0: ", kMaxSimulatedLeads, ")"));
  }
  if (request.max_changed_leads() < 0 ||
      request.max_changed_leads() > kMaxChangedLeadsListed) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_changed_leads: ", request.max_changed_leads(),
        " is outside 0 to ", kMaxChangedLeadsListed, " (0: 100)"));
  }
  absl::StatusOr<ReplayQuery> window = Window(request, clock_());
  if (!window.ok()) return window.status();
  const RunningConfig::Snapshot running = config_.Get();
  absl::StatusOr<std::shared_ptr<const routing::RoutingTable>> table =
      RunningConfig::Compile(draft, running.overrides);
  if (!table.ok()) return table.status();

  if (running_.exchange(true)) {
    return absl::ResourceExhaustedError(
        "another simulation is running; try again when it ends");
  }
  struct Done {
    std::atomic<bool>& flag;
    ~Done() { flag = false; }
  } done{running_};

  const int limit = request.limit() == 0 ? kMaxSimulatedLeads : request.limit();
  routing::Simulation simulation(
      **table,
      request.max_changed_leads() == 0 ? 100 : request.max_changed_leads());
  if (window->arrived_from_us != 0) {
    if (auto s = StartAt(window->arrived_from_us, simulation, cancelled);
        !s.ok()) {
      return s;
    }
  }
  int replayed = 0;
  bool truncated = false;
  ReplayQuery page_query = *window;
  while (true) {
    if (cancelled && cancelled()) return Left();
    page_query.limit = std::min(kSimulationPage, limit - replayed);
    absl::StatusOr<ReplayPage> page = store_.ReplayLeads(page_query);
    if (!page.ok()) return page.status();
    for (const routing::PastLead& past : page->leads) simulation.Replay(past);
    replayed += static_cast<int>(page->leads.size());
    if (!page->more) break;
    if (replayed >= limit) {
      truncated = true;
      break;
    }
    page_query.after_position = page->last_position;
  }
  SimulateConfigResponse response = simulation.Report();
  response.set_draft_version((*table)->version());
  response.set_running_version(running.table->version());
  response.set_truncated(truncated);
  return response;
}

}  // namespace leadrouter::server
