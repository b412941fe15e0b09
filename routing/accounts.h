// Named accounts: which rep owns a company, by its web domain. A lead
// belongs to an account when its company domain (or business e-mail
// domain, see company.h) is the account's domain or a subdomain of it:
// eu.acme.com is acme.com's. Free-mail domains are never accounts.
//
//   AccountBook book;
//   book.Add("acme.com", "anna");
//   const AccountBook::Match* m = book.Find("eu.acme.com");  // acme.com, anna
#ifndef LEADROUTER_ROUTING_ACCOUNTS_H_
#define LEADROUTER_ROUTING_ACCOUNTS_H_

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace leadrouter::routing {

// True for a lower-case DNS name of at least two labels: letters, digits
// and '-' (not at a label's ends), labels of 1 to 63, at most 253 in all.
bool IsDomainName(std::string_view name);

class AccountBook {
 public:
  struct Match {
    std::string domain;  // the account's own domain
    std::string owner;   // rep id
  };

  // Adds or replaces an account. `domain` must be normalized (lower case).
  void Add(std::string domain, std::string owner);
  // The account `domain` (normalized, as CompanyDomain gives it) belongs
  // to, the most specific one first; nullptr when none.
  const Match* Find(std::string_view domain) const;
  size_t size() const { return by_domain_.size(); }

 private:
  absl::flat_hash_map<std::string, Match> by_domain_;
};

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_ACCOUNTS_H_
