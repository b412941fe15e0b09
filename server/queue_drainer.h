// Assigns waiting leads when reps become eligible: a background thread that
// offers the team and rep queues to the routing table every interval (an
// absence ends, working hours begin, a new day resets daily caps, a config
// raises capacity). The first pass runs at once, so leads waiting across a
// restart are offered before the first interval passes.
//
//   QueueDrainer drainer(intake, absl::Seconds(1));  // starts the thread
//   ...
//   drainer.Stop();  // before the store closes
#ifndef LEADROUTER_SERVER_QUEUE_DRAINER_H_
#define LEADROUTER_SERVER_QUEUE_DRAINER_H_

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "server/api/lead_intake.h"

namespace leadrouter::server {

class QueueDrainer {
 public:
  QueueDrainer(LeadIntake& intake, absl::Duration interval);
  ~QueueDrainer() { Stop(); }

  // Ends the thread after the pass in progress. Idempotent.
  void Stop();

 private:
  void Loop();

  LeadIntake& intake_;
  const absl::Duration interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // mu_
  std::thread thread_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_QUEUE_DRAINER_H_
