// Outbound webhooks: every event of the durable change stream that a
// subscription of the running config wants (routing/webhook_subscriptions.h)
// is POSTed to its URL, one at a time in cursor order, at least once.
//
// - A subscription's position (the last cursor it is done with) is stored
//   after each event, so a restart or kill -9 resends at most the event in
//   flight; receivers drop repeats by X-Leadrouter-Event-Id (the cursor).
// - A failed delivery (no answer, not 2xx) is retried with backoff from 1 s
//   doubling to 5 min; after give_up_after the event becomes a dead letter
//   (store, `leadctl webhooks`) and the next one goes. A dead letter an
//   admin retries is sent again on the side.
// - A new subscription starts at the newest event (no history replay).
// - On a shared store one replica at a time delivers (the store's lease).
//
//   WebhookDispatcher dispatcher(current, store, &metrics, {.holder = id});
//   dispatcher.Start();  ...  dispatcher.Stop();
#ifndef LEADROUTER_SERVER_WEBHOOKS_WEBHOOK_DISPATCHER_H_
#define LEADROUTER_SERVER_WEBHOOKS_WEBHOOK_DISPATCHER_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "leadrouter/v1/config.pb.h"
#include "server/config/current_table.h"
#include "server/metrics/metrics.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

struct WebhookDispatcherOptions {
  // Who this process is, for the delivery lease (unique per replica).
  std::string holder;
  // How often the stream is looked at when there is nothing to send.
  absl::Duration poll_interval = absl::Milliseconds(200);
  // How long the lease lasts without renewal (renewed every pass).
  absl::Duration lease = absl::Seconds(15);
  // One delivery's connect and answer limit.
  absl::Duration request_timeout = absl::Seconds(10);
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class WebhookDispatcher {
 public:
  // `metrics` may be null.
  WebhookDispatcher(const CurrentTable& table, AssignmentStore& store,
                    Metrics* metrics, WebhookDispatcherOptions options);
  ~WebhookDispatcher();

  void Start();
  // Ends the thread after the delivery in flight. Idempotent.
  void Stop();

  // One pass over every subscription (what the thread repeats): how much
  // moved (events delivered or given up on, batches passed over); the
  // thread goes on at once while it is more than 0.
  absl::StatusOr<int> Pass();

 private:
  struct Progress {
    int64_t position = -1;  // -1: not read from the store yet
    int failures = 0;       // of the event at position + 1 onwards
    absl::Time first_failure = absl::InfinitePast();
    absl::Time next_try = absl::InfinitePast();
  };

  // Sends one event; the failure ("HTTP 500", "Connection") on error.
  absl::Status Deliver(const leadrouter::v1::WebhookSubscription& s,
                       const leadrouter::v1::AssignmentEvent& event);
  absl::StatusOr<int> PassOne(const leadrouter::v1::WebhookSubscription& s,
                              absl::Time now);
  absl::StatusOr<int> RetryDeadLetters(
      const leadrouter::v1::WebhookSubscription& s);

  const CurrentTable& table_;
  AssignmentStore& store_;
  Metrics* metrics_;
  const WebhookDispatcherOptions options_;
  std::map<std::string, Progress> progress_;  // by subscription; thread only
  absl::Time lease_renew_at_ = absl::InfinitePast();  // thread only

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // mu_
  std::thread thread_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_WEBHOOKS_WEBHOOK_DISPATCHER_H_
