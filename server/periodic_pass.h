// A background thread that runs one pass of work every interval, and once at
// start: offering waiting leads to reps who became eligible (an absence
// ends, working hours begin, a day resets daily caps, a config raises
// capacity), and re-routing leads whose response time ran out. The first
// pass runs at once, so work that came due across a restart is done before
// the first interval passes. A pass returns how many leads it changed,
// which is logged under `name`.
//
//   PeriodicPass drain("queue_drain", absl::Seconds(1),
//                      [&] { return intake.DrainQueues(); });
//   ...
//   drain.Stop();  // before the store closes
#ifndef LEADROUTER_SERVER_PERIODIC_PASS_H_
#define LEADROUTER_SERVER_PERIODIC_PASS_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace leadrouter::server {

class PeriodicPass {
 public:
  PeriodicPass(std::string name, absl::Duration interval,
               std::function<absl::StatusOr<int>()> pass);
  ~PeriodicPass() { Stop(); }

  // Ends the thread after the pass in progress. Idempotent.
  void Stop();

 private:
  void Loop();

  const std::string name_;
  const absl::Duration interval_;
  const std::function<absl::StatusOr<int>()> pass_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // mu_
  std::thread thread_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_PERIODIC_PASS_H_
