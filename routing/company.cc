#include "routing/company.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "absl/strings/match.h"
#include "routing/absl_string_view.h"

namespace leadrouter::routing {
namespace {

// Consumer mail providers common in the markets leadrouter serves. A
// sub-domain of one (mail.yahoo.co.uk) counts too.
constexpr std::array<std::string_view, 48> kFreeMail = {
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

bool IsFreeMailDomain(std::string_view domain) {
  const std::string d = Normalize(domain);
  return std::any_of(kFreeMail.begin(), kFreeMail.end(),
                     [&](std::string_view free) {
                       return d == free ||
                              (d.size() > free.size() &&
                               absl::EndsWith(d, ToAbsl(free)) &&
                               d[d.size() - free.size() - 1] == '.');
                     });
}

std::string CompanyDomain(const leadrouter::v1::Lead& lead) {
  std::string domain;
  if (!lead.company_domain().empty()) {
    domain = Normalize(lead.company_domain());
  } else {
    const size_t at = lead.email().rfind('@');
    if (at != std::string::npos) domain = Normalize(lead.email().substr(at + 1));
  }
  if (domain.empty() || IsFreeMailDomain(domain)) return "";
  return domain;
}

}  // namespace leadrouter::routing
