#include "routing/webhook_subscriptions.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "routing/iso_codes.h"

namespace leadrouter::routing {
namespace {

template <typename List, typename Value>
bool Lists(const List& list, const Value& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

std::string EventTypeName(leadrouter::v1::AssignmentEventType type) {
  std::string name = leadrouter::v1::AssignmentEventType_Name(type);
  constexpr absl::string_view kPrefix = "ASSIGNMENT_EVENT_TYPE_";
  if (absl::StartsWith(name, kPrefix)) name.erase(0, kPrefix.size());
  return absl::AsciiStrToLower(name);
}

void CheckWebhookSubscriptions(const leadrouter::v1::RoutingConfig& config,
                               std::vector<ConfigError>* errors) {
  auto error = [&](std::string path, std::string message) {
    errors->push_back({std::move(path), std::move(message)});
  };
  if (config.webhooks_size() > kMaxWebhooks) {
    error("webhooks", absl::StrCat("has ", config.webhooks_size(),
                                   " entries; at most ", kMaxWebhooks));
  }
  std::set<std::string> ids, teams, reps;
  for (const auto& t : config.teams()) teams.insert(t.id());
  for (const auto& r : config.reps()) reps.insert(r.id());
  for (int i = 0; i < config.webhooks_size(); ++i) {
    const auto& w = config.webhooks(i);
    const std::string path = absl::StrCat("webhooks[", i, "]");
    if (!IsConfigId(w.id())) {
      error(path + ".id", w.id().empty()
                              ? std::string("is required")
                              : absl::StrCat("\"", w.id().substr(0, 64),
                                             "\" is not a valid id (1 to 64 "
                                             "letters, digits, '.', '-', "
                                             "'_')"));
    } else if (!ids.insert(w.id()).second) {
      error(path + ".id",
            absl::StrCat("duplicate webhook id \"", w.id(), "\""));
    }
    const bool http = absl::StartsWith(w.url(), "http://");
    const bool https = absl::StartsWith(w.url(), "https://");
    const size_t host_at = http ? 7 : 8;
    if ((!http && !https) || w.url().size() <= host_at ||
        w.url().size() > 2048 ||
        std::any_of(w.url().begin(), w.url().end(), [](char c) {
          return static_cast<unsigned char>(c) <= ' ' ||
                 static_cast<unsigned char>(c) >= 0x7f;
        })) {
      error(path + ".url",
            "must be an http:// or https:// URL of printable ASCII, at most "
            "2048 bytes");
    }
    for (int j = 0; j < w.events_size(); ++j) {
      if (w.events(j) == leadrouter::v1::ASSIGNMENT_EVENT_TYPE_UNSPECIFIED) {
        error(absl::StrCat(path, ".events[", j, "]"), "is not an event type");
      }
    }
    for (int j = 0; j < w.team_ids_size(); ++j) {
      if (!teams.contains(w.team_ids(j))) {
        error(absl::StrCat(path, ".team_ids[", j, "]"),
              absl::StrCat("no team \"", w.team_ids(j).substr(0, 64), "\""));
      }
    }
    for (int j = 0; j < w.rep_ids_size(); ++j) {
      if (!reps.contains(w.rep_ids(j))) {
        error(absl::StrCat(path, ".rep_ids[", j, "]"),
              absl::StrCat("no rep \"", w.rep_ids(j).substr(0, 64), "\""));
      }
    }
    if (!w.format().empty() && w.format() != "json" && w.format() != "slack") {
      error(path + ".format", absl::StrCat("\"", w.format().substr(0, 64),
                                           "\" is not json or slack"));
    }
    absl::Duration give_up;
    if (!w.give_up_after().empty() &&
        (!ParseConfigDuration(w.give_up_after(), &give_up) ||
         give_up < absl::Seconds(1) || give_up > absl::Hours(24 * 30))) {
      error(path + ".give_up_after",
            absl::StrCat("\"", w.give_up_after().substr(0, 64),
                         "\" is not a duration from 1s to 720h"));
    }
  }
}

bool Wants(const leadrouter::v1::WebhookSubscription& subscription,
           const leadrouter::v1::AssignmentEvent& event) {
  if (subscription.events_size() > 0 &&
      !Lists(subscription.events(), static_cast<int>(event.type()))) {
    return false;
  }
  if (subscription.team_ids_size() > 0 &&
      !Lists(subscription.team_ids(), event.team_id())) {
    return false;
  }
  if (subscription.rep_ids_size() > 0 &&
      !(Lists(subscription.rep_ids(), event.rep_id()) ||
        (!event.previous_rep_id().empty() &&
         Lists(subscription.rep_ids(), event.previous_rep_id())))) {
    return false;
  }
  return true;
}

absl::Duration GiveUpAfter(
    const leadrouter::v1::WebhookSubscription& subscription) {
  absl::Duration d;
  if (!subscription.give_up_after().empty() &&
      ParseConfigDuration(subscription.give_up_after(), &d)) {
    return d;
  }
  return kDefaultGiveUpAfter;
}

std::string SlackText(const leadrouter::v1::AssignmentEvent& event) {
  std::string text = absl::StrCat("Lead ", event.lead_id(), " ",
                                  EventTypeName(event.type()));
  std::vector<std::string> parts;
  if (!event.rep_id().empty()) parts.push_back("rep " + event.rep_id());
  if (!event.previous_rep_id().empty()) {
    parts.push_back("from rep " + event.previous_rep_id());
  }
  if (!event.team_id().empty()) parts.push_back("team " + event.team_id());
  if (!event.queue().empty()) parts.push_back("queue " + event.queue());
  for (size_t i = 0; i < parts.size(); ++i) {
    absl::StrAppend(&text, i == 0 ? ": " : ", ", parts[i]);
  }
  return text;
}

}  // namespace leadrouter::routing
