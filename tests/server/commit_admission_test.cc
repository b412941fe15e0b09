// The commit bound and the retry wait its refusals ask for, on a fake clock.
#include "server/api/commit_admission.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/api/status.h"

namespace leadrouter::server {
namespace {

using ::testing::HasSubstr;

class CommitAdmissionTest : public ::testing::Test {
 protected:
  // A refusal, with the slots all taken; returns the wait it asks for.
  absl::Duration Refuse() {
    absl::Status s = admission_.Enter();
    EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
    std::optional<absl::Duration> wait = RetryAfter(s);
    EXPECT_TRUE(wait.has_value()) << s;
    EXPECT_THAT(s.message(),
                HasSubstr(absl::StrCat("retry in ",
                                       absl::ToInt64Milliseconds(*wait), " ms")));
    return wait.value_or(absl::ZeroDuration());
  }
  // `n` calls admitted and answered.
  void Admit(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(admission_.Enter().ok());
      admission_.Leave();
    }
  }
  void Fill() {
    while (admission_.pending() < admission_.max_pending()) {
      ASSERT_TRUE(admission_.Enter().ok());
    }
  }
  void Drain() {
    while (admission_.pending() > 0) admission_.Leave();
  }

  absl::Time now_ = absl::FromUnixSeconds(1000000);
  CommitAdmission admission_{4, [this] { return now_; }};
};

TEST_F(CommitAdmissionTest, RefusesBeyondTheBoundAndAdmitsWhenASlotFrees) {
  Fill();
  EXPECT_EQ(Refuse(), CommitAdmission::kMinRetryAfter);
  EXPECT_EQ(admission_.shed(), 1);
  EXPECT_EQ(admission_.pending(), 4);
  admission_.Leave();
  EXPECT_TRUE(admission_.Enter().ok());
}

TEST_F(CommitAdmissionTest, TheWaitGrowsWhileRefusalsOutnumberTheTarget) {
  // Each window: 100 admitted, 50 refused (target: 10). The wait doubles
  // per window up to the ceiling.
  absl::Duration last = CommitAdmission::kMinRetryAfter;
  for (int window = 0; window < 12; ++window) {
    now_ += CommitAdmission::kWindow;
    Admit(100);
    Fill();
    absl::Duration wait;
    for (int i = 0; i < 50; ++i) wait = Refuse();
    Drain();
    if (window > 0) {
      EXPECT_EQ(wait, std::min(last * 2, CommitAdmission::kMaxRetryAfter))
          << window;
    }
    last = wait;
  }
  EXPECT_EQ(last, CommitAdmission::kMaxRetryAfter);
}

TEST_F(CommitAdmissionTest, TheWaitShrinksWhenRefusalsAreRare) {
  for (int window = 0; window < 6; ++window) {  // grow it first
    now_ += CommitAdmission::kWindow;
    Fill();
    for (int i = 0; i < 50; ++i) Refuse();
    Drain();
  }
  // Then a window with one refusal and 1000 admitted: halved after it.
  now_ += CommitAdmission::kWindow;
  Fill();
  const absl::Duration grown = Refuse();
  ASSERT_GT(grown, CommitAdmission::kMinRetryAfter * 8);
  Drain();
  Admit(1000);
  now_ += CommitAdmission::kWindow;
  Fill();
  EXPECT_EQ(Refuse(), grown / 2);
  Drain();
  // After a calm spell longer than the longest wait, it starts again.
  now_ += CommitAdmission::kMaxRetryAfter + absl::Seconds(1);
  Fill();
  EXPECT_EQ(Refuse(), CommitAdmission::kMinRetryAfter);
}

TEST(RetryAfterTest, OnlyARefusalCarriesAWait) {
  EXPECT_FALSE(RetryAfter(absl::OkStatus()).has_value());
  EXPECT_FALSE(RetryAfter(absl::ResourceExhaustedError("too big")).has_value());
  absl::Status s = absl::ResourceExhaustedError("overloaded");
  SetRetryAfter(s, absl::Milliseconds(1234));
  EXPECT_EQ(RetryAfter(s), absl::Milliseconds(1234));
}

}  // namespace
}  // namespace leadrouter::server
