#include "server/store/stored_rows.h"

#include <zlib.h>

#include <utility>
#include <vector>

#include "routing/trace_text.h"

namespace leadrouter::server {
namespace {

// Words a stored assignment repeats; deflate refers back to them, so even
// one small row compresses well. Never change it: rows written with it
// must stay readable (a new dictionary needs a new mark byte).
constexpr char kDictionary[] =
    "ROUND_ROBINWEIGHTED_ROUND_ROBINLEAST_LOADEDby round robinnamed by the "
    "ruleeligible;  was picked first owns the companyrule  matched; team  "
    "gave the lead to rep  (by round robin)team/rep/unmatchedcfg-"
    "@gmail.com.example.comwebinarsoftware";
constexpr char kMark = '\0';
// Window and memory of the deflate state: rows are small.
constexpr int kWindowBits = 10;
constexpr int kMemLevel = 2;

// One deflate and one inflate state per thread, reset per row: setting one
// up costs far more than a row.
class Codec {
 public:
  Codec() {
    deflate_ok_ = deflateInit2(&deflate_, 1, Z_DEFLATED, -kWindowBits,
                               kMemLevel, Z_DEFAULT_STRATEGY) == Z_OK;
    inflate_ok_ = inflateInit2(&inflate_, -kWindowBits) == Z_OK;
  }
  ~Codec() {
    if (deflate_ok_) deflateEnd(&deflate_);
    if (inflate_ok_) inflateEnd(&inflate_);
  }

  // The packed row; the plain bytes when deflate is not available.
  std::string Pack(const std::string& plain) {
    if (!deflate_ok_ || deflateReset(&deflate_) != Z_OK ||
        deflateSetDictionary(
            &deflate_, reinterpret_cast<const Bytef*>(kDictionary),
            sizeof(kDictionary) - 1) != Z_OK) {
      return plain;
    }
    std::string out(1 + deflateBound(&deflate_, plain.size()), '\0');
    out[0] = kMark;
    deflate_.next_in =
        reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
    deflate_.avail_in = static_cast<uInt>(plain.size());
    deflate_.next_out = reinterpret_cast<Bytef*>(out.data() + 1);
    deflate_.avail_out = static_cast<uInt>(out.size() - 1);
    if (deflate(&deflate_, Z_FINISH) != Z_STREAM_END) return plain;
    out.resize(out.size() - deflate_.avail_out);
    return out;
  }

  absl::StatusOr<std::string> Unpack(std::string_view packed) {
    if (!inflate_ok_ || inflateReset(&inflate_) != Z_OK ||
        inflateSetDictionary(
            &inflate_, reinterpret_cast<const Bytef*>(kDictionary),
            sizeof(kDictionary) - 1) != Z_OK) {
      return absl::InternalError("cannot inflate a stored row");
    }
    std::string out;
    char buffer[4096];
    inflate_.next_in =
        reinterpret_cast<Bytef*>(const_cast<char*>(packed.data() + 1));
    inflate_.avail_in = static_cast<uInt>(packed.size() - 1);
    while (true) {
      inflate_.next_out = reinterpret_cast<Bytef*>(buffer);
      inflate_.avail_out = sizeof(buffer);
      const int rc = inflate(&inflate_, Z_NO_FLUSH);
      out.append(buffer, sizeof(buffer) - inflate_.avail_out);
      if (rc == Z_STREAM_END) return out;
      if (rc != Z_OK || out.size() > (64u << 20)) {
        return absl::DataLossError("stored row does not inflate");
      }
    }
  }

 private:
  z_stream deflate_{};
  z_stream inflate_{};
  bool deflate_ok_ = false;
  bool inflate_ok_ = false;
};

Codec& ThreadCodec() {
  thread_local Codec codec;
  return codec;
}

// The plain serialized message of a stored row.
absl::StatusOr<std::string> Plain(std::string_view bytes) {
  if (!bytes.empty() && bytes[0] == kMark) return ThreadCodec().Unpack(bytes);
  return std::string(bytes);
}

}  // namespace

std::string PackAssignment(leadrouter::v1::Assignment& a) {
  std::vector<std::string> taken =
      routing::TakeDerivedDetails(a.mutable_trace());
  std::string plain = a.SerializeAsString();
  routing::RestoreDetails(std::move(taken), a.mutable_trace());
  return ThreadCodec().Pack(plain);
}

std::string PackLead(const leadrouter::v1::Lead& lead) {
  // Plain: the lead holds the personal data, and plain bytes let the
  // erasure tests check byte for byte that none is left in the files.
  return lead.SerializeAsString();
}

absl::StatusOr<leadrouter::v1::Assignment> ParseAssignment(
    std::string_view bytes) {
  absl::StatusOr<std::string> plain = Plain(bytes);
  leadrouter::v1::Assignment a;
  if (!plain.ok() || !a.ParseFromString(*plain)) {
    return absl::DataLossError("stored assignment does not parse");
  }
  routing::FillDerivedDetails(a.mutable_trace());
  return a;
}

absl::StatusOr<leadrouter::v1::Lead> ParseLead(std::string_view bytes) {
  absl::StatusOr<std::string> plain = Plain(bytes);
  leadrouter::v1::Lead lead;
  if (!plain.ok() || !lead.ParseFromString(*plain)) {
    return absl::DataLossError("stored lead does not parse");
  }
  return lead;
}

}  // namespace leadrouter::server
