// Outbound webhook subscriptions of the config (config.proto
// WebhookSubscription): what makes one valid, which events it wants, and
// what the Slack format says. Pure; delivery is server/webhooks.
//
//   if (Wants(subscription, event)) ... deliver
#ifndef LEADROUTER_ROUTING_WEBHOOK_SUBSCRIPTIONS_H_
#define LEADROUTER_ROUTING_WEBHOOK_SUBSCRIPTIONS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "leadrouter/v1/assignment.pb.h"
#include "leadrouter/v1/config.pb.h"
#include "routing/config_validation.h"

namespace leadrouter::routing {

inline constexpr int kMaxWebhooks = 50;
inline constexpr absl::Duration kDefaultGiveUpAfter = absl::Hours(1);

// Appends every problem of config.webhooks with its path
// ("webhooks[0].url").
void CheckWebhookSubscriptions(const leadrouter::v1::RoutingConfig& config,
                               std::vector<ConfigError>* errors);

// Whether `event` is one `subscription` asks for: its type is listed (or
// none are), and its team, or its rep or previous rep, is listed (or none
// are).
bool Wants(const leadrouter::v1::WebhookSubscription& subscription,
           const leadrouter::v1::AssignmentEvent& event);

// give_up_after, or the default when it is not set.
absl::Duration GiveUpAfter(
    const leadrouter::v1::WebhookSubscription& subscription);

// The Slack message text of an event: ids and states only, never a name or
// an e-mail ("Lead L-1 assigned: rep anna, team dach").
std::string SlackText(const leadrouter::v1::AssignmentEvent& event);

// "assigned", "closed", ...: the event type as the config writes it.
std::string EventTypeName(leadrouter::v1::AssignmentEventType type);

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_WEBHOOK_SUBSCRIPTIONS_H_
