#include "routing/accounts.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "routing/absl_string_view.h"

namespace leadrouter::routing {

bool IsDomainName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  int labels = 0;
  size_t start = 0;
  while (true) {
    const size_t dot = name.find('.', start);
    const std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos
                                                         : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' ||
        label.back() == '-') {
      return false;
    }
    for (char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-';
      if (!ok) return false;
    }
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return labels >= 2;
}

void AccountBook::Add(std::string domain, std::string owner) {
  Match match{domain, std::move(owner)};
  by_domain_.insert_or_assign(std::move(domain), std::move(match));
}

const AccountBook::Match* AccountBook::Find(std::string_view domain) const {
  // eu.sales.acme.com, then sales.acme.com, then acme.com (never "com").
  while (domain.find('.') != std::string_view::npos) {
    if (auto it = by_domain_.find(ToAbsl(domain)); it != by_domain_.end()) {
      return &it->second;
    }
    domain.remove_prefix(domain.find('.') + 1);
  }
  return nullptr;
}

}  // namespace leadrouter::routing
