// The webhook delivery state, run unchanged on both stores: positions and
// dead letters survive a restart, retries are marked and settled, and the
// delivery lease is held by one holder at a time.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/server/conformance_helpers.h"
#include "tests/server/store_under_test.h"

namespace leadrouter::server {
namespace {

class WebhookStoreConformanceTest
    : public ::testing::TestWithParam<StoreKind> {};
INSTANTIATE_TEST_SUITE_P(Stores, WebhookStoreConformanceTest, AllStores(),
                         StoreName);

DeadLetter Letter(int64_t cursor, const std::string& error) {
  DeadLetter d;
  d.cursor = cursor;
  d.event.set_cursor(absl::StrCat(cursor));
  d.event.set_lead_id(absl::StrCat("L", cursor));
  d.failed_at_us = 1795000000000000 + cursor;
  d.attempts = 7;
  d.error = error;
  return d;
}

TEST_P(WebhookStoreConformanceTest, PositionsAndDeadLettersSurviveARestart) {
  StoreUnderTest where(GetParam(), "webhooks");
  {
    auto store = where.Open();
    ASSERT_TRUE(store.ok()) << store.status();
    auto none = (*store)->WebhookPosition("crm");
    ASSERT_TRUE(none.ok()) << none.status();
    EXPECT_FALSE(none->has_value());
    ASSERT_TRUE((*store)->AdvanceWebhook("crm", 5, {}).ok());
    ASSERT_TRUE(
        (*store)->AdvanceWebhook("crm", 9, {Letter(7, "HTTP 500")}).ok());
    ASSERT_TRUE((*store)->AdvanceWebhook("slack", 3, {Letter(2, "timeout")})
                    .ok());
    (*store)->Close();
  }
  auto store = where.Open();
  ASSERT_TRUE(store.ok()) << store.status();
  auto crm = (*store)->WebhookPosition("crm");
  ASSERT_TRUE(crm.ok() && crm->has_value());
  EXPECT_EQ(**crm, 9);
  auto all = (*store)->DeadLetters("", false, 100);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].subscription, "crm");
  EXPECT_EQ((*all)[0].cursor, 7);
  EXPECT_EQ((*all)[0].event.lead_id(), "L7");
  EXPECT_EQ((*all)[0].attempts, 7);
  EXPECT_EQ((*all)[0].error, "HTTP 500");
  EXPECT_EQ((*all)[0].failed_at_us, 1795000000000007);
  EXPECT_FALSE((*all)[0].retry);
  EXPECT_EQ((*all)[1].subscription, "slack");
  auto crm_only = (*store)->DeadLetters("crm", false, 100);
  ASSERT_TRUE(crm_only.ok());
  EXPECT_EQ(crm_only->size(), 1u);
  (*store)->Close();
}

TEST_P(WebhookStoreConformanceTest, RetriesAreMarkedThenSettled) {
  StoreUnderTest where(GetParam(), "webhook_retry");
  auto store = where.Open();
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)
                  ->AdvanceWebhook("crm", 10,
                                   {Letter(3, "HTTP 500"), Letter(4, "HTTP 502"),
                                    Letter(8, "refused")})
                  .ok());
  auto none = (*store)->DeadLetters("crm", true, 100);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  auto one = (*store)->RetryDeadLetters("crm", 4);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(*one, 1);
  auto missing = (*store)->RetryDeadLetters("crm", 99);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(*missing, 0);
  auto marked = (*store)->DeadLetters("crm", true, 100);
  ASSERT_TRUE(marked.ok());
  ASSERT_EQ(marked->size(), 1u);
  EXPECT_EQ((*marked)[0].cursor, 4);
  EXPECT_TRUE((*marked)[0].retry);

  // Delivered: gone. Failed again: kept, counted, no longer marked.
  ASSERT_TRUE((*store)->SettleDeadLetter("crm", 4, "").ok());
  auto every = (*store)->RetryDeadLetters("crm", 0);
  ASSERT_TRUE(every.ok());
  EXPECT_EQ(*every, 2);
  ASSERT_TRUE((*store)->SettleDeadLetter("crm", 3, "HTTP 503").ok());
  auto left = (*store)->DeadLetters("crm", false, 100);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ((*left)[0].cursor, 3);
  EXPECT_EQ((*left)[0].attempts, 8);
  EXPECT_EQ((*left)[0].error, "HTTP 503");
  EXPECT_FALSE((*left)[0].retry);
  EXPECT_EQ((*left)[1].cursor, 8);
  EXPECT_TRUE((*left)[1].retry);
  (*store)->Close();
}

TEST_P(WebhookStoreConformanceTest, TheLeaseIsOneHoldersUntilItLapses) {
  StoreUnderTest where(GetParam(), "webhook_lease");
  auto store = where.Open();
  ASSERT_TRUE(store.ok()) << store.status();
  auto first = (*store)->HoldWebhookLease("replica-a", absl::Hours(1));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(*first);
  auto again = (*store)->HoldWebhookLease("replica-a", absl::Hours(1));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again);
  if (GetParam() == StoreKind::kSqlite) {
    // One process owns the file: it always delivers.
    (*store)->Close();
    return;
  }
  auto other = (*store)->HoldWebhookLease("replica-b", absl::Hours(1));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(*other);
  // A lapsed lease is taken over (the holder renews with a past end).
  ASSERT_TRUE((*store)->HoldWebhookLease("replica-a", -absl::Seconds(1)).ok());
  auto taken = (*store)->HoldWebhookLease("replica-b", absl::Hours(1));
  ASSERT_TRUE(taken.ok());
  EXPECT_TRUE(*taken);
  auto lost = (*store)->HoldWebhookLease("replica-a", absl::Hours(1));
  ASSERT_TRUE(lost.ok());
  EXPECT_FALSE(*lost);
  (*store)->Close();
}

}  // namespace
}  // namespace leadrouter::server
