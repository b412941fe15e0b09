// Which company a lead belongs to, for "same company, same rep": the
// company_domain, or else the domain of the e-mail address. Free-mail
// providers (gmail.com, web.de, ...) never identify a company.
//
//   CompanyDomain(lead)  // "acme.com" for company_domain "www.ACME.com";
//                        // "" for jane@gmail.com without company_domain
#ifndef LEADROUTER_ROUTING_COMPANY_H_
#define LEADROUTER_ROUTING_COMPANY_H_

#include <string>
#include <string_view>

#include "leadrouter/v1/lead.pb.h"

namespace leadrouter::routing {

// Lower case, without a leading "www."; empty when the lead names no
// business domain.
std::string CompanyDomain(const leadrouter::v1::Lead& lead);

// True when `domain` (lower case) or a parent domain of it is a free-mail
// provider.
bool IsFreeMailDomain(std::string_view domain);

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_COMPANY_H_
