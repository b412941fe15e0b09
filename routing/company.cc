#include "routing/company.h"

#include <cctype>
#include <string_view>

#include "absl/container/flat_hash_set.h"

#include "absl/strings/match.h"

namespace leadrouter::routing {
namespace {

// Consumer mail providers common in the markets leadrouter serves. A
// sub-domain of one (mail.yahoo.co.uk) counts too.
const absl::flat_hash_set<absl::string_view>& FreeMail() {
  static const auto* set = new absl::flat_hash_set<absl::string_view>{
      "aol.com",        "gmail.com",      "googlemail.com", "hotmail.com",
      "hotmail.co.uk",  "hotmail.de",     "hotmail.fr",     "hotmail.it",
      "hotmail.es",     "live.com",       "live.de",        "live.fr",
      "msn.com",        "outlook.com",    "outlook.de",     "yahoo.com",
      "yahoo.co.uk",    "yahoo.de",       "yahoo.fr",       "yahoo.es",
      "yahoo.it",       "ymail.com",      "icloud.com",     "me.com",
      "mac.com",        "gmx.de",         "gmx.net",        "gmx.at",
      "gmx.ch",         "gmx.com",        "web.de",         "t-online.de",
      "freenet.de",     "posteo.de",      "mailbox.org",    "protonmail.com",
      "proton.me",      "orange.fr",      "laposte.net",    "free.fr",
      "libero.it",      "virgilio.it",    "bluewin.ch",     "btinternet.com",
      "mail.com",       "yandex.com",     "zoho.com",       "seznam.cz",
  };
  return *set;
}

// True for consumer e-mail providers, whose users are unrelated people:
// `domain` (normalized) or one of its parent domains is listed.
bool IsNormalizedFreeMail(absl::string_view domain) {
  while (true) {
    if (FreeMail().contains(domain)) return true;
    const size_t dot = domain.find('.');
    if (dot == absl::string_view::npos) return false;
    domain.remove_prefix(dot + 1);
  }
}

std::string Normalize(std::string_view domain) {
  std::string out(domain);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  while (!out.empty() && out.back() == '.') out.pop_back();
  if (absl::StartsWith(out, "www.")) out.erase(0, 4);
  return out;
}

}  // namespace

std::string CompanyDomain(const leadrouter::v1::Lead& lead) {
  std::string domain;
  if (!lead.company_domain().empty()) {
    domain = Normalize(lead.company_domain());
  } else {
    const size_t at = lead.email().rfind('@');
    if (at != std::string::npos) domain = Normalize(lead.email().substr(at + 1));
  }
  if (domain.empty() || IsNormalizedFreeMail(domain)) return "";
  return domain;
}

bool IsFreeMailDomain(std::string_view domain) {
  return IsNormalizedFreeMail(absl::string_view(domain.data(), domain.size()));
}

}  // namespace leadrouter::routing
