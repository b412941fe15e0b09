// Stored rows: a packed assignment reads back equal to what was written,
// a row written before packing (a plain message) still reads, and damaged
// bytes are DATA_LOSS, not a crash.
#include "server/store/stored_rows.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace leadrouter::server {
namespace {

leadrouter::v1::Assignment TwentyRepAssignment() {
  leadrouter::v1::Assignment a;
  a.set_lead_id("L-1");
  a.set_state(leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
  a.set_rep_id("rep07");
  a.set_close_note("a note only this row has");
  auto* t = a.mutable_trace();
  t->set_rule_id("all");
  t->set_strategy("ROUND_ROBIN");
  for (int i = 1; i <= 20; ++i) {
    auto* c = t->add_candidates();
    c->set_rep_id(absl::StrCat("rep", i < 10 ? "0" : "", i));
    c->set_open_assignments(i);
    c->set_capacity(25);
    if (i == 7) {
      c->set_chosen(true);
      c->set_detail("by round robin");
    } else if (i == 3) {
      c->set_pass_over_reason(leadrouter::v1::PASS_OVER_REASON_AT_CAPACITY);
      c->set_detail("at capacity (3 of 25 open)");
    } else {
      c->set_pass_over_reason(
          leadrouter::v1::PASS_OVER_REASON_NOT_NEXT_IN_ROTATION);
      c->set_detail("eligible; rep07 was picked first");
    }
  }
  return a;
}

TEST(StoredRowsTest, APackedAssignmentReadsBackWholeAndSmall) {
  leadrouter::v1::Assignment a = TwentyRepAssignment();
  const leadrouter::v1::Assignment before = a;
  const std::string packed = PackAssignment(a);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(a, before))
      << "packing changed the caller's message";
  EXPECT_LT(packed.size() * 3, before.SerializeAsString().size())
      << packed.size() << " bytes packed";
  absl::StatusOr<leadrouter::v1::Assignment> read = ParseAssignment(packed);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*read, before))
      << read->DebugString();
}

TEST(StoredRowsTest, PlainRowsFromEarlierReleasesStillRead) {
  const leadrouter::v1::Assignment a = TwentyRepAssignment();
  absl::StatusOr<leadrouter::v1::Assignment> read =
      ParseAssignment(a.SerializeAsString());
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*read, a));
}

TEST(StoredRowsTest, DamagedBytesAreDataLoss) {
  leadrouter::v1::Assignment a = TwentyRepAssignment();
  std::string packed = PackAssignment(a);
  for (const std::string& bad :
       {packed.substr(0, packed.size() / 2), std::string("\0\xff\xfe", 3),
        std::string(1, '\0')}) {
    EXPECT_EQ(ParseAssignment(bad).status().code(),
              absl::StatusCode::kDataLoss);
  }
}

}  // namespace
}  // namespace leadrouter::server
