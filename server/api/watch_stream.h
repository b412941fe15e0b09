// One WatchAssignments call: streams stored events after a cursor, then
// follows new commits. The events table is the buffer: the stream reads a
// bounded page at a time from the store and writes one event at a time, so
// a slow consumer holds one page of memory and never holds up routing; it
// simply reads further behind, from disk, until it catches up. When idle
// the stream looks for new commits every 50 ms (an atomic read; the store is
// queried only when something was committed).
//
//   return new WatchStream(store, query, draining);  // deletes itself
#ifndef LEADROUTER_SERVER_API_WATCH_STREAM_H_
#define LEADROUTER_SERVER_API_WATCH_STREAM_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "grpcpp/alarm.h"
#include "grpcpp/grpcpp.h"
#include "leadrouter/v1/assignment.pb.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

class WatchStream final
    : public grpc::ServerWriteReactor<leadrouter::v1::AssignmentEvent> {
 public:
  // Events per store read.
  static constexpr int kPageSize = 256;

  // `query.after` is where the stream starts; `draining` turns true when
  // the server shuts down, and the stream then ends UNAVAILABLE naming the
  // cursor to resume from.
  // `on_done` (optional) runs when the call is over.
  WatchStream(AssignmentStore& store, EventQuery query,
              const std::atomic<bool>& draining,
              std::function<void()> on_done = nullptr);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override {
    if (on_done_) on_done_();
    delete this;
  }

 private:
  // Writes the next event, or waits for one. Runs with no write in flight
  // and no alarm pending, so calls never overlap.
  void Next();
  void WaitForCommits();

  AssignmentStore& store_;
  EventQuery query_;  // query_.after: everything up to it was looked at
  const std::atomic<bool>& draining_;
  std::function<void()> on_done_;
  std::vector<leadrouter::v1::AssignmentEvent> page_;
  size_t next_ = 0;                // next event of page_ to write
  int64_t head_at_fetch_ = 0;      // newest commit when page_ was read
  std::string delivered_cursor_;   // cursor of the last event written

  std::mutex mu_;
  bool cancelled_ = false;              // mu_
  std::unique_ptr<grpc::Alarm> alarm_;          // mu_
  std::unique_ptr<grpc::Alarm> retired_alarm_;  // mu_
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_WATCH_STREAM_H_
