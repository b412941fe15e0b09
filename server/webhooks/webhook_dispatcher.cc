#include "server/webhooks/webhook_dispatcher.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "httplib.h"
#include "routing/webhook_subscriptions.h"
#include "server/auth/auth_file.h"
#include "server/auth/authorizer.h"
#include "server/log.h"

namespace leadrouter::server {
namespace {

namespace v1 = leadrouter::v1;

constexpr int kEventsPerRead = 100;
constexpr absl::Duration kFirstBackoff = absl::Seconds(1);
constexpr absl::Duration kMaxBackoff = absl::Minutes(5);

int64_t CursorOf(const v1::AssignmentEvent& event) {
  int64_t cursor = 0;
  absl::SimpleAtoi(event.cursor(), &cursor);
  return cursor;
}

// "https://host:port" and "/path?query" of a URL the config validated.
std::pair<std::string, std::string> SplitUrl(const std::string& url) {
  const size_t host = url.find("://") + 3;
  const size_t path = url.find('/', host);
  if (path == std::string::npos) return {url, "/"};
  return {url.substr(0, path), url.substr(path)};
}

absl::StatusOr<std::string> Body(const v1::WebhookSubscription& s,
                                 const v1::AssignmentEvent& event,
                                 AssignmentStore& store) {
  std::string json;
  if (s.format() == "slack") {
    // The rule is the assignment's (events do not carry it).
    std::string text = routing::SlackText(event);
    if (absl::StatusOr<v1::Assignment> a = store.Get(event.lead_id());
        a.ok() && !a->rule_id().empty()) {
      absl::StrAppend(&text, " (rule ", a->rule_id(), ")");
    }
    google::protobuf::Struct message;
    (*message.mutable_fields())["text"].set_string_value(text);
    if (!google::protobuf::util::MessageToJsonString(message, &json).ok()) {
      return absl::InternalError("the Slack text is not UTF-8");
    }
    return json;
  }
  if (!google::protobuf::util::MessageToJsonString(event, &json).ok()) {
    return absl::InternalError("the event is not printable as JSON");
  }
  return json;
}

}  // namespace

WebhookDispatcher::WebhookDispatcher(const CurrentTable& table,
                                     AssignmentStore& store, Metrics* metrics,
                                     WebhookDispatcherOptions options)
    : table_(table),
      store_(store),
      metrics_(metrics),
      options_(std::move(options)) {}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

void WebhookDispatcher::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      absl::StatusOr<int> done = Pass();
      if (!done.ok()) {
        LogError("webhook_pass_failed",
                 {{"error", std::string(done.status().message())}});
      }
      lock.lock();
      // Straight on while there is a backlog; else wait for new events.
      if (done.ok() && *done > 0) continue;
      wake_.wait_for(lock, absl::ToChronoMilliseconds(options_.poll_interval),
                     [this] { return stopping_; });
    }
  });
}

void WebhookDispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int> WebhookDispatcher::Pass() {
  std::shared_ptr<const routing::RoutingTable> table = table_.Get();
  if (table->config().webhooks_size() == 0) return 0;
  const absl::Time now = options_.clock();
  // Renewed when a third of the lease is gone, not on every pass.
  if (now >= lease_renew_at_) {
    absl::StatusOr<bool> lead =
        store_.HoldWebhookLease(options_.holder, options_.lease);
    if (!lead.ok()) return lead.status();
    if (!*lead) {
      progress_.clear();  // another replica delivers; re-read when we do
      lease_renew_at_ = absl::InfinitePast();
      return 0;
    }
    lease_renew_at_ = now + options_.lease / 3;
  }
  int done = 0;
  for (const v1::WebhookSubscription& s : table->config().webhooks()) {
    absl::StatusOr<int> retried = RetryDeadLetters(s);
    if (!retried.ok()) return retried.status();
    absl::StatusOr<int> n = PassOne(s, now);
    if (!n.ok()) return n.status();
    done += *n + *retried;
  }
  return done;
}

absl::StatusOr<int> WebhookDispatcher::PassOne(
    const v1::WebhookSubscription& s, absl::Time now) {
  Progress& p = progress_[s.id()];
  if (p.position < 0) {
    absl::StatusOr<std::optional<int64_t>> stored =
        store_.WebhookPosition(s.id());
    if (!stored.ok()) return stored.status();
    if (stored->has_value()) {
      p.position = **stored;
    } else {
      // New: from the newest event on.
      p.position = store_.LastEventCursor();
      if (auto st = store_.AdvanceWebhook(s.id(), p.position, {}); !st.ok()) {
        return st;
      }
      LogInfo("webhook_started", {{"subscription", s.id()},
                                  {"cursor", absl::StrCat(p.position)}});
    }
  }
  if (now < p.next_try) return 0;
  EventQuery query;
  query.after = p.position;
  query.limit = kEventsPerRead;
  absl::StatusOr<std::vector<v1::AssignmentEvent>> events =
      store_.Events(query);
  if (!events.ok()) return events.status();
  int done = 0;
  int64_t skipped_to = p.position;
  for (const v1::AssignmentEvent& event : *events) {
    const int64_t cursor = CursorOf(event);
    if (!routing::Wants(s, event)) {
      skipped_to = cursor;
      continue;
    }
    if (metrics_ != nullptr) {
      metrics_->WebhookLag(s.id(), now - absl::FromUnixSeconds(
                                             event.time().seconds()));
    }
    absl::Status sent = Deliver(s, event);
    if (!sent.ok()) {
      if (metrics_ != nullptr) metrics_->WebhookFailed(s.id());
      if (p.failures++ == 0) p.first_failure = now;
      if (now - p.first_failure < routing::GiveUpAfter(s)) {
        const absl::Duration wait = std::min(
            kMaxBackoff, kFirstBackoff * (1LL << std::min(p.failures - 1, 16)));
        p.next_try = now + wait;
        LogWarning("webhook_delivery_failed",
                   {{"subscription", s.id()},
                    {"cursor", event.cursor()},
                    {"error", std::string(sent.message())},
                    {"retry_in", absl::FormatDuration(wait)}});
        // What was skipped before it is done with.
        if (skipped_to > p.position) {
          if (auto st = store_.AdvanceWebhook(s.id(), skipped_to, {});
              !st.ok()) {
            return st;
          }
          p.position = skipped_to;
        }
        return done;
      }
      DeadLetter letter;
      letter.subscription = s.id();
      letter.cursor = cursor;
      letter.event = event;
      letter.failed_at_us = absl::ToUnixMicros(now);
      letter.attempts = p.failures;
      letter.error = std::string(sent.message());
      if (auto st = store_.AdvanceWebhook(s.id(), cursor, {letter}); !st.ok()) {
        return st;
      }
      LogError("webhook_dead_letter", {{"subscription", s.id()},
                                       {"cursor", event.cursor()},
                                       {"error", letter.error}});
      if (metrics_ != nullptr) metrics_->WebhookDeadLettered(s.id());
    } else {
      if (auto st = store_.AdvanceWebhook(s.id(), cursor, {}); !st.ok()) {
        return st;
      }
      if (metrics_ != nullptr) metrics_->WebhookDelivered(s.id());
    }
    p.position = skipped_to = cursor;
    p.failures = 0;
    p.next_try = absl::InfinitePast();
    ++done;
  }
  if (skipped_to > p.position) {
    if (auto st = store_.AdvanceWebhook(s.id(), skipped_to, {}); !st.ok()) {
      return st;
    }
    p.position = skipped_to;
    ++done;  // progress: read on at once, not after a poll interval
  }
  if (metrics_ != nullptr && static_cast<int>(events->size()) < kEventsPerRead) {
    metrics_->WebhookLag(s.id(), absl::ZeroDuration());  // caught up
  }
  return done;
}

absl::StatusOr<int> WebhookDispatcher::RetryDeadLetters(
    const v1::WebhookSubscription& s) {
  absl::StatusOr<std::vector<DeadLetter>> letters =
      store_.DeadLetters(s.id(), /*only_retry=*/true, 10);
  if (!letters.ok()) return letters.status();
  for (const DeadLetter& d : *letters) {
    absl::Status sent = Deliver(s, d.event);
    if (auto st = store_.SettleDeadLetter(
            s.id(), d.cursor, sent.ok() ? "" : std::string(sent.message()));
        !st.ok()) {
      return st;
    }
    LogInfo("webhook_dead_letter_retried",
            {{"subscription", s.id()},
             {"cursor", d.event.cursor()},
             {"result", sent.ok() ? "delivered" : std::string(sent.message())}});
  }
  return static_cast<int>(letters->size());
}

absl::Status WebhookDispatcher::Deliver(const v1::WebhookSubscription& s,
                                        const v1::AssignmentEvent& event) {
  absl::StatusOr<std::string> body = Body(s, event, store_);
  if (!body.ok()) return body.status();
  httplib::Headers headers = {{"X-Leadrouter-Event-Id", event.cursor()},
                              {"User-Agent", "leadrouter-webhooks/1"}};
  if (!s.secret_file().empty()) {
    absl::StatusOr<std::string> secret = ReadSigningSecret(s.secret_file());
    if (!secret.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("secret_file: ", secret.status().message()));
    }
    const int64_t now = absl::ToUnixSeconds(options_.clock());
    headers.emplace("X-Leadrouter-Timestamp", absl::StrCat(now));
    headers.emplace("X-Leadrouter-Signature",
                    SignatureHeader(*secret, now, *body));
  }
  const auto [origin, path] = SplitUrl(s.url());
  httplib::Client client(origin);
  const auto timeout = absl::ToChronoMilliseconds(options_.request_timeout);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_tcp_nodelay(true);
  if (absl::StartsWith(s.url(), "https://")) {
    client.enable_server_certificate_verification(true);
  }
  httplib::Result r = client.Post(path, headers, *body, "application/json");
  if (!r) {
    return absl::UnavailableError(httplib::to_string(r.error()));
  }
  if (r->status < 200 || r->status > 299) {
    return absl::UnavailableError(absl::StrCat("HTTP ", r->status));
  }
  return absl::OkStatus();
}

}  // namespace leadrouter::server
