// Field checks in proto field order, so the first error a client sees is the
// first field that is wrong.
#include "routing/lead_validation.h"

#include <string>
#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"
#include "routing/iso_codes.h"

namespace leadrouter::routing {
namespace {

using leadrouter::v1::Lead;

// A value quoted in an error, cut so that an oversize value does not make an
// oversize error.
std::string Quote(absl::string_view value) {
  constexpr size_t kMaxQuoted = 40;
  if (value.size() <= kMaxQuoted) return absl::StrCat("\"", value, "\"");
  return absl::StrCat("\"", value.substr(0, kMaxQuoted), "...\"");
}

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("lead.", field, ": ", what));
}

absl::Status CheckLength(absl::string_view field, absl::string_view value,
                         size_t limit) {
  if (value.size() <= limit) return absl::OkStatus();
  return Invalid(field, absl::StrCat("is ", value.size(),
                                     " bytes; the limit is ", limit));
}

bool HasSpace(absl::string_view s) {
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return true;
  }
  return false;
}

bool IsPrintableAsciiWithoutSpace(absl::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool IsDomainName(absl::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.' ||
      s.find('.') == absl::string_view::npos) {
    return false;
  }
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

absl::Status CheckIdentity(const Lead& lead) {
  if (lead.id().empty()) return Invalid("id", "is required");
  if (auto s = CheckLength("id", lead.id(), kMaxLeadIdBytes); !s.ok()) return s;
  if (!IsPrintableAsciiWithoutSpace(lead.id())) {
    return Invalid("id", "must be printable ASCII without spaces");
  }
  if (auto s = CheckLength("email", lead.email(), 254); !s.ok()) return s;
  if (!lead.email().empty()) {
    const std::string& email = lead.email();
    size_t at = email.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == email.size() ||
        email.find('@', at + 1) != std::string::npos || HasSpace(email)) {
      // The value is personal data: name the field, not the value.
      return Invalid("email", "is not an e-mail address (local@domain)");
    }
  }
  if (auto s = CheckLength("full_name", lead.full_name(), 256); !s.ok()) {
    return s;
  }
  if (auto s = CheckLength("company_name", lead.company_name(), 256);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckLength("company_domain", lead.company_domain(), 253);
      !s.ok()) {
    return s;
  }
  if (!lead.company_domain().empty() && !IsDomainName(lead.company_domain())) {
    return Invalid("company_domain",
                   absl::StrCat(Quote(lead.company_domain()),
                                " is not a domain name (e.g. example.com)"));
  }
  return absl::OkStatus();
}

absl::Status CheckPlace(const Lead& lead) {
  const std::string& country = lead.country_code();
  if (!country.empty() && !IsIsoCountryCode(country)) {
    return Invalid("country_code",
                   absl::StrCat(Quote(country),
                                " is not an ISO 3166-1 alpha-2 code (two "
                                "upper-case letters, e.g. \"DE\")"));
  }
  const std::string& region = lead.region_code();
  if (!region.empty()) {
    if (!IsRegionCode(region)) {
      return Invalid("region_code",
                     absl::StrCat(Quote(region),
                                  " is not an ISO 3166-2 code (e.g. "
                                  "\"DE-BY\")"));
    }
    if (!country.empty() && region.compare(0, 2, country) != 0) {
      return Invalid("region_code",
                     absl::StrCat(Quote(region), " is not in country_code ",
                                  Quote(country)));
    }
  }
  if (auto s = CheckLength("postal_code", lead.postal_code(), 16); !s.ok()) {
    return s;
  }
  if (!IsPostalCodeText(lead.postal_code())) {
    return Invalid("postal_code",
                   "may hold only letters, digits, spaces and '-'");
  }
  if (!lead.language().empty() && !IsLanguageTag(lead.language())) {
    return Invalid("language", absl::StrCat(Quote(lead.language()),
                                            " is not a BCP 47 language tag "
                                            "(e.g. \"de\" or \"en-GB\")"));
  }
  return absl::OkStatus();
}

absl::Status CheckQualification(const Lead& lead) {
  constexpr int kMaxInterests = 32;
  if (lead.product_interests_size() > kMaxInterests) {
    return Invalid("product_interests",
                   absl::StrCat("has ", lead.product_interests_size(),
                                " entries; the limit is ", kMaxInterests));
  }
  for (int i = 0; i < lead.product_interests_size(); ++i) {
    const std::string field = absl::StrCat("product_interests[", i, "]");
    const std::string& interest = lead.product_interests(i);
    if (interest.empty()) return Invalid(field, "is empty");
    if (auto s = CheckLength(field, interest, 64); !s.ok()) return s;
  }
  if (lead.score() < 0 || lead.score() > 100) {
    return Invalid("score",
                   absl::StrCat(lead.score(), " is outside 0 to 100"));
  }
  if (lead.stage() == leadrouter::v1::STAGE_UNSPECIFIED) {
    return Invalid("stage", "is required (STAGE_MQL or STAGE_SQL)");
  }
  if (!leadrouter::v1::Stage_IsValid(lead.stage())) {
    return Invalid("stage", absl::StrCat(static_cast<int>(lead.stage()),
                                         " is not a known stage"));
  }
  if (auto s = CheckLength("source", lead.source(), 64); !s.ok()) return s;
  if (auto s = CheckLength("industry", lead.industry(), 64); !s.ok()) return s;
  if (lead.employee_count() < 0) {
    return Invalid("employee_count",
                   absl::StrCat(lead.employee_count(), " is negative"));
  }
  return absl::OkStatus();
}

absl::Status CheckExtras(const Lead& lead) {
  constexpr int kMaxAttributes = 64;
  if (lead.attributes_size() > kMaxAttributes) {
    return Invalid("attributes",
                   absl::StrCat("has ", lead.attributes_size(),
                                " entries; the limit is ", kMaxAttributes));
  }
  for (const auto& [key, value] : lead.attributes()) {
    if (key.empty()) return Invalid("attributes", "has an empty key");
    if (key.size() > 64) {
      return Invalid("attributes",
                     absl::StrCat("key ", Quote(key), " is ", key.size(),
                                  " bytes; the limit is 64"));
    }
    if (value.size() > 1024) {
      return Invalid(absl::StrCat("attributes[", Quote(key), "]"),
                     absl::StrCat("is ", value.size(),
                                  " bytes; the limit is 1024"));
    }
  }
  if (lead.has_created_at()) {
    // The range google.protobuf.Timestamp allows: 0001-01-01 to 9999-12-31.
    constexpr int64_t kMinSeconds = -62135596800;
    constexpr int64_t kMaxSeconds = 253402300799;
    const auto& t = lead.created_at();
    if (t.seconds() < kMinSeconds || t.seconds() > kMaxSeconds ||
        t.nanos() < 0 || t.nanos() > 999999999) {
      return Invalid("created_at", "is not a valid timestamp");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateLead(const Lead& lead) {
  const size_t bytes = lead.ByteSizeLong();
  if (bytes > kMaxLeadBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lead: is ", bytes, " bytes; the limit is ", kMaxLeadBytes));
  }
  if (auto s = CheckIdentity(lead); !s.ok()) return s;
  if (auto s = CheckPlace(lead); !s.ok()) return s;
  if (auto s = CheckQualification(lead); !s.ok()) return s;
  return CheckExtras(lead);
}

}  // namespace leadrouter::routing
