#include "server/api/backup_stream.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/api/status.h"

namespace leadrouter::server {
namespace {

std::string ScratchPath(const std::string& dir) {
  static std::atomic<int> next = 0;
  return absl::StrCat(dir, "/backup-", ::getpid(), "-", next++, "-",
                      absl::ToUnixMicros(absl::Now()), ".tmp");
}

}  // namespace

BackupStream::BackupStream(AssignmentStore& store,
                           const std::string& scratch_dir,
                           std::function<void(const grpc::Status&)> on_done)
    : path_(ScratchPath(scratch_dir)), on_done_(std::move(on_done)) {
  StartSendInitialMetadata();
  // The call cannot end before Copied runs (nothing finishes it meanwhile),
  // so `this` outlives the thread's use of it.
  std::thread([this, &store] { Copied(store.Backup(path_)); }).detach();
}

BackupStream::~BackupStream() {
  if (sha_ != nullptr) EVP_MD_CTX_free(sha_);
  file_.close();
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

void BackupStream::End(const grpc::Status& status) {
  if (on_done_) on_done_(status);
  Finish(status);
}

void BackupStream::Copied(const absl::Status& status) {
  if (!status.ok()) return End(ToGrpcStatus(status));
  std::error_code ec;
  total_bytes_ = static_cast<int64_t>(std::filesystem::file_size(path_, ec));
  file_.open(path_, std::ios::binary);
  sha_ = EVP_MD_CTX_new();
  if (ec || !file_ || sha_ == nullptr ||
      EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr) != 1) {
    return End(grpc::Status(grpc::StatusCode::INTERNAL,
                            "backup: cannot read the copy"));
  }
  Next();
}

void BackupStream::Next() {
  std::string data(kChunkBytes, '\0');
  file_.read(data.data(), kChunkBytes);
  data.resize(static_cast<size_t>(file_.gcount()));
  if (file_.bad()) {
    return End(grpc::Status(grpc::StatusCode::INTERNAL,
                            "backup: cannot read the copy"));
  }
  EVP_DigestUpdate(sha_, data.data(), data.size());
  sent_bytes_ += static_cast<int64_t>(data.size());
  chunk_.Clear();
  chunk_.set_total_bytes(total_bytes_);
  *chunk_.mutable_data() = std::move(data);
  grpc::WriteOptions options;
  if (sent_bytes_ >= total_bytes_) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(sha_, digest, &size);
    chunk_.set_sha256(absl::BytesToHexString(absl::string_view(
        reinterpret_cast<const char*>(digest), size)));
    if (on_done_) on_done_(grpc::Status::OK);
    on_done_ = nullptr;
    StartWriteAndFinish(&chunk_, options, grpc::Status::OK);
    return;
  }
  StartWrite(&chunk_, options);
}

void BackupStream::OnWriteDone(bool ok) {
  if (!ok) return End(grpc::Status::CANCELLED);  // the client is gone
  Next();
}

}  // namespace leadrouter::server
