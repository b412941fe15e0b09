// The ISO 3166-1 list is embedded: it changes a few times a decade and the
// routing core must not read files.
#include "routing/iso_codes.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace leadrouter::routing {
namespace {

// Officially assigned ISO 3166-1 alpha-2 codes, sorted.
constexpr std::array<std::string_view, 249> kCountryCodes = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT",
    "AU", "AW", "AX", "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI",
    "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY",
    "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM",
    "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK",
    "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL",
    "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR",
    "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
    "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS",
    "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW",
    "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP",
    "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
    "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM",
    "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF",
    "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW",
    "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

bool IsUpperAlnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsAsciiAlpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool IsAsciiAlnum(char c) { return IsAsciiAlpha(c) || (c >= '0' && c <= '9'); }

}  // namespace

bool IsIsoCountryCode(std::string_view code) {
  return code.size() == 2 &&
         std::binary_search(kCountryCodes.begin(), kCountryCodes.end(), code);
}

bool IsRegionCode(std::string_view code) {
  if (code.size() < 4 || code.size() > 6 || code[2] != '-') return false;
  if (!IsIsoCountryCode(code.substr(0, 2))) return false;
  return std::all_of(code.begin() + 3, code.end(), IsUpperAlnum);
}

bool IsLanguageTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 35) return false;
  size_t start = 0;
  bool primary = true;
  while (start <= tag.size()) {
    size_t end = tag.find('-', start);
    if (end == std::string_view::npos) end = tag.size();
    std::string_view part = tag.substr(start, end - start);
    if (primary) {
      if (part.size() < 2 || part.size() > 3 ||
          !std::all_of(part.begin(), part.end(), IsAsciiAlpha)) {
        return false;
      }
      primary = false;
    } else if (part.empty() || part.size() > 8 ||
               !std::all_of(part.begin(), part.end(), IsAsciiAlnum)) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

std::string PrimaryLanguage(std::string_view tag) {
  std::string primary(tag.substr(0, tag.find('-')));
  for (char& c : primary) c = static_cast<char>(std::tolower(c));
  return primary;
}

bool IsPostalCodeText(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return IsAsciiAlnum(c) || c == ' ' || c == '-';
  });
}

std::string NormalizePostalCode(std::string_view postal_code) {
  std::string out;
  out.reserve(postal_code.size());
  for (char c : postal_code) {
    if (c == ' ' || c == '-') continue;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

bool IsConfigId(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return IsAsciiAlnum(c) || c == '.' || c == '-' || c == '_';
         });
}

}  // namespace leadrouter::routing
