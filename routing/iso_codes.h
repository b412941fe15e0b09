// Checks for the standard codes a lead and a config carry: ISO 3166-1
// alpha-2 countries, ISO 3166-2 regions and BCP 47 language tags, plus the
// postal-code normal form that territory matching compares.
//
//   if (!IsIsoCountryCode("DE")) ...
//   NormalizePostalCode("sw1a 1aa") == "SW1A1AA"
#ifndef LEADROUTER_ROUTING_ISO_CODES_H_
#define LEADROUTER_ROUTING_ISO_CODES_H_

#include <string>
#include <string_view>

namespace leadrouter::routing {

// True for an officially assigned ISO 3166-1 alpha-2 code in upper case.
bool IsIsoCountryCode(std::string_view code);

// True for "CC-SUB": an assigned country code, '-', 1 to 3 upper-case
// letters or digits (the ISO 3166-2 shape, e.g. "DE-BY", "GB-LND", "FR-75").
bool IsRegionCode(std::string_view code);

// True for a BCP 47 tag of the shape "ll", "lll" or "ll-XX[-…]": a 2–3 letter
// primary language and subtags of 1–8 letters or digits; at most 35 bytes.
bool IsLanguageTag(std::string_view tag);

// The primary language of a BCP 47 tag in lower case: "en-GB" -> "en".
std::string PrimaryLanguage(std::string_view tag);

// True for what a postal code may contain: letters, digits, space and '-'.
bool IsPostalCodeText(std::string_view text);

// Postal code as territories compare it: upper case, without spaces or '-'.
std::string NormalizePostalCode(std::string_view postal_code);

// True for an id of a config object: 1 to 64 of letters, digits, '.', '-',
// '_'.
bool IsConfigId(std::string_view id);

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_ISO_CODES_H_
