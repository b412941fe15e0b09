// A small sales org for routing tests, written as a text-format config so
// each test can read what it routes against.
#ifndef LEADROUTER_TESTS_ROUTING_TEST_CONFIG_H_
#define LEADROUTER_TESTS_ROUTING_TEST_CONFIG_H_

#include <string>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "leadrouter/v1/config.pb.h"
#include "leadrouter/v1/lead.pb.h"

namespace leadrouter::routing::testing {

inline constexpr char kTestConfig[] = R"pb(
  territories {
    id: "dach"
    countries: [ "AT", "CH" ]
    postal_areas {
      country: "DE"
      ranges { first: "01" last: "99" }
    }
  }
  territories { id: "bavaria" regions: "DE-BY" }
  territories {
    id: "munich"
    postal_areas { country: "DE" prefixes: [ "80", "81" ] }
  }
  territories { id: "uk" countries: "GB" }
  reps { id: "anna" capacity: 2 languages: "de" }
  reps { id: "ben" capacity: 2 languages: "de" }
  reps { id: "carl" capacity: 2 languages: "de" }
  reps { id: "dora" capacity: 1 }
  reps { id: "emil" capacity: 5 active: false }
  reps { id: "fay" capacity: 3 }
  teams { id: "dach" members: [ "anna", "ben", "carl" ] }
  teams { id: "uk" members: [ "dora", "emil" ] }
  queues { id: "nurture" }
  rules {
    id: "mql-nurture"
    match { stages: STAGE_MQL }
    target { queue: "nurture" }
  }
  rules {
    id: "munich-vip"
    match {
      territories: "munich"
      score { min: 90 }
    }
    target { rep: "fay" }
  }
  rules {
    id: "dach-analytics"
    match {
      territories: [ "dach", "bavaria" ]
      product_interests: "Analytics"
    }
    target { team: "dach" }
  }
  rules {
    id: "uk"
    match { territories: "uk" }
    target { team: "uk" }
    fallback { rep: "fay" }
  }
  rules {
    id: "low-score"
    match { score { max: 20 } }
    target { queue: "nurture" }
  }
)pb";

inline leadrouter::v1::RoutingConfig TestConfig() {
  leadrouter::v1::RoutingConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(kTestConfig, &config));
  return config;
}

inline leadrouter::v1::Lead SqlLead(const std::string& id,
                                    const std::string& country,
                                    const std::string& postal = "") {
  leadrouter::v1::Lead lead;
  lead.set_id(id);
  lead.set_country_code(country);
  lead.set_postal_code(postal);
  lead.set_stage(leadrouter::v1::STAGE_SQL);
  lead.set_score(50);
  lead.add_product_interests("analytics");
  return lead;
}

}  // namespace leadrouter::routing::testing

#endif  // LEADROUTER_TESTS_ROUTING_TEST_CONFIG_H_
