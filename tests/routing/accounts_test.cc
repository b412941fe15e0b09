// Named accounts: a rule with target account_owner sends a lead of an
// account's company (its domain or a subdomain, by company domain or
// business e-mail, never free-mail) to the owner while eligible, else to the
// fallback; the trace says so. Bad accounts are refused at their path.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "routing/accounts.h"
#include "routing/config_validation.h"
#include "routing/decision.h"
#include "routing/routing_table.h"

namespace leadrouter::routing {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using leadrouter::v1::Lead;
using leadrouter::v1::RoutingConfig;

const absl::Time kNow = absl::FromUnixSeconds(1790000000);

// anna owns acme.com, ben is the fallback.
RoutingConfig Config() {
  RoutingConfig config;
  for (const char* id : {"anna", "ben"}) {
    auto* rep = config.add_reps();
    rep->set_id(id);
    rep->set_capacity(10);
  }
  auto* account = config.add_accounts();
  account->set_domain("acme.com");
  account->set_owner("anna");
  auto* rule = config.add_rules();
  rule->set_id("owned");
  rule->mutable_target()->set_account_owner(true);
  rule->mutable_fallback()->set_rep("ben");
  return config;
}

Lead FromDomain(const std::string& company_domain,
                const std::string& email = "") {
  Lead lead;
  lead.set_id("l1");
  lead.set_country_code("DE");
  lead.set_stage(leadrouter::v1::STAGE_SQL);
  lead.set_company_domain(company_domain);
  lead.set_email(email);
  return lead;
}

Decision DecideWith(const RoutingConfig& config, const Lead& lead) {
  EXPECT_THAT(ValidateConfig(config), ::testing::IsEmpty());
  auto table = RoutingTable::Create(config);
  EXPECT_TRUE(table.ok()) << table.status();
  return Decide(**table, lead, RoutingState(), kNow);
}

TEST(AccountsTest, TheOwnerGetsTheLeadAndTheTraceSaysWhy) {
  const Decision d = DecideWith(Config(), FromDomain("acme.com"));
  EXPECT_EQ(d.assignment.rep_id(), "anna");
  EXPECT_EQ(d.assignment.trace().account_domain(), "acme.com");
  EXPECT_FALSE(d.assignment.trace().used_fallback());
  EXPECT_THAT(d.assignment.trace().summary(),
              HasSubstr("account owner gave the lead to rep anna (account "
                        "owner of acme.com)"));
  ASSERT_EQ(d.assignment.trace().candidates_size(), 1);
  EXPECT_EQ(d.assignment.trace().candidates(0).detail(),
            "account owner of acme.com");
}

TEST(AccountsTest, SubdomainsAndBusinessMailBelongToTheAccount) {
  for (const char* domain : {"sales.eu.acme.com", "www.ACME.com", "acme.com."}) {
    EXPECT_EQ(DecideWith(Config(), FromDomain(domain)).assignment.rep_id(),
              "anna")
        << domain;
  }
  EXPECT_EQ(DecideWith(Config(), FromDomain("", "jane@eu.acme.com"))
                .assignment.rep_id(),
            "anna");
  for (const char* domain : {"notacme.com", "acme.com.evil.io", "acme.org"}) {
    const Decision d = DecideWith(Config(), FromDomain(domain));
    EXPECT_EQ(d.assignment.rep_id(), "ben") << domain;
    EXPECT_TRUE(d.assignment.trace().used_fallback()) << domain;
    EXPECT_EQ(d.assignment.trace().account_domain(), "") << domain;
  }
}

TEST(AccountsTest, FreeMailNeverMakesAnAccount) {
  RoutingConfig config = Config();
  auto* sneaky = config.add_accounts();
  sneaky->set_domain("gmail.com");
  sneaky->set_owner("anna");
  EXPECT_THAT(ValidateConfig(config),
              Contains(AllOf(Field(&ConfigError::path, "accounts[1].domain"),
                             Field(&ConfigError::message,
                                   HasSubstr("free-mail")))));
  EXPECT_EQ(DecideWith(Config(), FromDomain("", "jane@gmail.com"))
                .assignment.rep_id(),
            "ben");
}

TEST(AccountsTest, AnAwayOwnerFallsBackAndNobodyMeansWaitingForTheOwner) {
  RoutingConfig config = Config();
  config.mutable_reps(0)->set_active(false);
  Decision d = DecideWith(config, FromDomain("acme.com"));
  EXPECT_EQ(d.assignment.rep_id(), "ben");
  EXPECT_TRUE(d.assignment.trace().used_fallback());
  ASSERT_GE(d.assignment.trace().candidates_size(), 1);
  EXPECT_EQ(d.assignment.trace().candidates(0).rep_id(), "anna");
  EXPECT_EQ(d.assignment.trace().candidates(0).pass_over_reason(),
            leadrouter::v1::PASS_OVER_REASON_INACTIVE);

  config.mutable_reps(1)->set_active(false);  // the fallback is away too
  d = DecideWith(config, FromDomain("acme.com"));
  EXPECT_EQ(d.assignment.state(), leadrouter::v1::ASSIGNMENT_STATE_QUEUED);
  EXPECT_EQ(d.assignment.queue(), "rep/anna");
  // A lead of no account has no owner to wait for: it waits for the
  // fallback.
  d = DecideWith(config, FromDomain("initech.com"));
  EXPECT_EQ(d.assignment.state(), leadrouter::v1::ASSIGNMENT_STATE_QUEUED);
  EXPECT_EQ(d.assignment.queue(), "rep/ben");
}

auto ErrorAt(const std::string& path, const std::string& text) {
  return AllOf(Field(&ConfigError::path, path),
               Field(&ConfigError::message, HasSubstr(text)));
}

TEST(AccountsTest, BadAccountsAndTargetsAreRefusedAtTheirPath) {
  RoutingConfig config = Config();
  auto add = [&](const std::string& domain, const std::string& owner) {
    auto* a = config.add_accounts();
    a->set_domain(domain);
    a->set_owner(owner);
  };
  add("acme", "anna");           // 1: one label
  add("Acme.com", "anna");       // 2: upper case
  add("acme.com", "ben");        // 3: twice
  add("-bad.com", "anna");       // 4: label starts with '-'
  add("globex.com", "nobody");   // 5: unknown rep
  auto* no_fallback = config.add_rules();
  no_fallback->set_id("no-fallback");
  no_fallback->mutable_target()->set_account_owner(true);
  auto* off = config.add_rules();
  off->set_id("off");
  off->mutable_target()->set_account_owner(false);
  auto* as_fallback = config.add_rules();
  as_fallback->set_id("as-fallback");
  as_fallback->mutable_target()->set_rep("anna");
  as_fallback->mutable_fallback()->set_account_owner(true);
  config.set_accounts_file("accounts.csv");
  const auto errors = ValidateConfig(config);
  EXPECT_THAT(errors, Contains(ErrorAt("accounts[1].domain", "not a lower-case domain")));
  EXPECT_THAT(errors, Contains(ErrorAt("accounts[2].domain", "not a lower-case domain")));
  EXPECT_THAT(errors, Contains(ErrorAt("accounts[3].domain", "listed twice")));
  EXPECT_THAT(errors, Contains(ErrorAt("accounts[4].domain", "not a lower-case domain")));
  EXPECT_THAT(errors, Contains(ErrorAt("accounts[5].owner", "unknown rep \"nobody\"")));
  EXPECT_THAT(errors, Contains(ErrorAt("rules[1].fallback", "is required with target account_owner")));
  EXPECT_THAT(errors, Contains(ErrorAt("rules[2].target.account_owner", "must be true")));
  EXPECT_THAT(errors, Contains(ErrorAt("rules[3].fallback.account_owner", "only be a rule's target")));
  EXPECT_THAT(errors, Contains(ErrorAt("accounts_file", "list the accounts inline")));
}

TEST(AccountsTest, DomainNames) {
  for (const char* ok : {"acme.com", "a.b.c.d", "x1-y.co.uk", "123.io"}) {
    EXPECT_TRUE(IsDomainName(ok)) << ok;
  }
  for (const char* bad : {"", "acme", "acme..com", ".acme.com", "acme.com.",
                          "ac me.com", "ACME.com", "acme-.com", "a_b.com"}) {
    EXPECT_FALSE(IsDomainName(bad)) << bad;
  }
  EXPECT_FALSE(IsDomainName(std::string(64, 'a') + ".com"));
}

TEST(AccountsTest, TheMostSpecificAccountWins) {
  AccountBook book;
  book.Add("acme.com", "anna");
  book.Add("eu.acme.com", "ben");
  ASSERT_NE(book.Find("sales.eu.acme.com"), nullptr);
  EXPECT_EQ(book.Find("sales.eu.acme.com")->owner, "ben");
  EXPECT_EQ(book.Find("us.acme.com")->owner, "anna");
  EXPECT_EQ(book.Find("com"), nullptr);
}

}  // namespace
}  // namespace leadrouter::routing
