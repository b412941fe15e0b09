// One RoutingAdmin.Backup call: the store writes a consistent copy to a
// scratch file on a thread of its own (it may take seconds, and must not
// hold a gRPC thread), then the file is streamed in 1 MiB chunks, one write
// at a time, the last carrying its SHA-256. The scratch file is removed
// when the call ends, however it ends.
//
//   return new BackupStream(store, "/var/lib/leadrouter");  // deletes itself
#ifndef LEADROUTER_SERVER_API_BACKUP_STREAM_H_
#define LEADROUTER_SERVER_API_BACKUP_STREAM_H_

#include <openssl/evp.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "leadrouter/v1/routing_admin.pb.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

class BackupStream final
    : public grpc::ServerWriteReactor<leadrouter::v1::BackupChunk> {
 public:
  static constexpr int kChunkBytes = 1 << 20;

  // `scratch_dir` holds the copy while it is sent. `on_done` (optional) is
  // told how the call ended, once.
  BackupStream(AssignmentStore& store, const std::string& scratch_dir,
               std::function<void(const grpc::Status&)> on_done = nullptr);
  ~BackupStream() override;

  void OnWriteDone(bool ok) override;
  void OnDone() override { delete this; }

 private:
  // On the copying thread, once the store is done.
  void Copied(const absl::Status& status);
  // Writes the next chunk, or finishes.
  void Next();
  void End(const grpc::Status& status);

  const std::string path_;
  std::function<void(const grpc::Status&)> on_done_;
  std::ifstream file_;
  int64_t total_bytes_ = 0;
  int64_t sent_bytes_ = 0;
  EVP_MD_CTX* sha_ = nullptr;
  leadrouter::v1::BackupChunk chunk_;  // the chunk being written
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_BACKUP_STREAM_H_
