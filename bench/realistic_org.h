// The org and the leads the end-to-end benchmarks share: 20 reps in one
// team behind three rules, and leads as a marketing platform sends them
// (5,000 companies, six countries, every id distinct).
//
//   std::ofstream(dir + "/routing.yaml") << kRealisticOrg;
//   v1::Lead lead = RealisticLead("e2e-", n);
#ifndef LEADROUTER_BENCH_REALISTIC_ORG_H_
#define LEADROUTER_BENCH_REALISTIC_ORG_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "leadrouter/v1/lead.pb.h"

namespace leadrouter::bench {

inline constexpr char kRealisticOrg[] = R"(
territories:
  - { id: dach, countries: [DE, AT, CH] }
  - { id: uki, countries: [GB, IE] }
reps:
  - { id: rep01, capacity: 100000, languages: [de, en] }
  - { id: rep02, capacity: 100000, languages: [de, en] }
  - { id: rep03, capacity: 100000, languages: [de, en] }
  - { id: rep04, capacity: 100000, languages: [de, en] }
  - { id: rep05, capacity: 100000, languages: [de, en] }
  - { id: rep06, capacity: 100000, languages: [en] }
  - { id: rep07, capacity: 100000, languages: [en] }
  - { id: rep08, capacity: 100000, languages: [en] }
  - { id: rep09, capacity: 100000, languages: [en] }
  - { id: rep10, capacity: 100000, languages: [en] }
  - { id: rep11, capacity: 100000, languages: [en, fr] }
  - { id: rep12, capacity: 100000, languages: [en, fr] }
  - { id: rep13, capacity: 100000, languages: [en, fr] }
  - { id: rep14, capacity: 100000, languages: [en, fr] }
  - { id: rep15, capacity: 100000, languages: [en, fr] }
  - { id: rep16, capacity: 100000, languages: [en, es] }
  - { id: rep17, capacity: 100000, languages: [en, es] }
  - { id: rep18, capacity: 100000, languages: [en, es] }
  - { id: rep19, capacity: 100000, languages: [en, es] }
  - { id: rep20, capacity: 100000, languages: [en, es] }
teams:
  - id: all
    members: [rep01, rep02, rep03, rep04, rep05, rep06, rep07, rep08, rep09,
              rep10, rep11, rep12, rep13, rep14, rep15, rep16, rep17, rep18,
              rep19, rep20]
rules:
  - { id: dach, match: { territories: [dach], stages: [sql] }, target: { team: all } }
  - { id: uki, match: { territories: [uki] }, target: { team: all } }
  - { id: rest, target: { team: all } }
)";

// Lead `n`, its id `prefix` + n.
inline v1::Lead RealisticLead(const std::string& prefix, int64_t n) {
  static const char* kCountries[] = {"DE", "AT", "GB", "FR", "IE", "ES"};
  static const char* kProducts[] = {"insights", "automation", "analytics"};
  v1::Lead lead;
  lead.set_id(absl::StrCat(prefix, n));
  lead.set_email(absl::StrCat("buyer", n, "@company", n % 5000, ".example"));
  lead.set_full_name("Alex Example");
  lead.set_company_name(absl::StrCat("Company ", n % 5000, " GmbH"));
  lead.set_company_domain(absl::StrCat("company", n % 5000, ".example"));
  lead.set_country_code(kCountries[n % 6]);
  lead.set_postal_code(absl::StrCat(10000 + n % 89999));
  lead.set_language(n % 2 == 0 ? "en" : "de");
  lead.add_product_interests(kProducts[n % 3]);
  lead.set_score(static_cast<int>(n % 101));
  lead.set_stage(n % 4 == 0 ? v1::STAGE_MQL : v1::STAGE_SQL);
  lead.set_source("webinar");
  lead.set_industry("software");
  lead.set_employee_count(static_cast<int>(50 + n % 5000));
  (*lead.mutable_attributes())["utm_campaign"] = "q4-launch";
  return lead;
}

}  // namespace leadrouter::bench

#endif  // LEADROUTER_BENCH_REALISTIC_ORG_H_
