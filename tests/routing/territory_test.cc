// Territories contain leads by country, region, postal prefix and range.
#include "routing/territory.h"

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace leadrouter::routing {
namespace {

TerritoryMatcher Compile(const char* text) {
  leadrouter::v1::Territory t;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &t));
  return TerritoryMatcher(t);
}

TEST(Territory, ContainsWholeCountries) {
  auto t = Compile(R"pb(id: "t" countries: [ "AT", "CH" ])pb");
  EXPECT_TRUE(t.Contains({"AT", "", ""}));
  EXPECT_TRUE(t.Contains({"CH", "CH-ZH", "8001"}));
  EXPECT_FALSE(t.Contains({"DE", "", ""}));
  EXPECT_FALSE(t.Contains({"", "", ""}));
}

TEST(Territory, ContainsRegions) {
  auto t = Compile(R"pb(id: "t" regions: "DE-BY")pb");
  EXPECT_TRUE(t.Contains({"DE", "DE-BY", ""}));
  EXPECT_TRUE(t.Contains({"", "DE-BY", ""}));
  EXPECT_FALSE(t.Contains({"DE", "DE-BE", ""}));
}

TEST(Territory, ContainsPostalPrefixesOfItsCountryOnly) {
  auto t = Compile(
      R"pb(id: "t" postal_areas { country: "GB" prefixes: [ "SW1", "EC" ] })pb");
  EXPECT_TRUE(t.Contains({"GB", "", "SW1A1AA"}));
  EXPECT_TRUE(t.Contains({"GB", "", "EC2"}));
  EXPECT_FALSE(t.Contains({"GB", "", "N1"}));
  EXPECT_FALSE(t.Contains({"IE", "", "SW1A1AA"}));  // same code, other country
  EXPECT_FALSE(t.Contains({"", "", "SW1A1AA"}));
}

TEST(Territory, RangesCompareLeadingCharactersInclusive) {
  auto t = Compile(R"pb(id: "t"
                        postal_areas {
                          country: "DE"
                          ranges { first: "40" last: "53" }
                        })pb");
  EXPECT_TRUE(t.Contains({"DE", "", "40210"}));  // first bound
  EXPECT_TRUE(t.Contains({"DE", "", "53999"}));  // last bound, whole decade
  EXPECT_TRUE(t.Contains({"DE", "", "50667"}));
  EXPECT_FALSE(t.Contains({"DE", "", "39999"}));
  EXPECT_FALSE(t.Contains({"DE", "", "54290"}));
  EXPECT_FALSE(t.Contains({"DE", "", "4"}));  // too short to compare
}

}  // namespace
}  // namespace leadrouter::routing
