// CSV as spreadsheets and form tools write it: quoted fields with commas,
// doubled quotes and line breaks, CRLF, a byte order mark; broken quoting
// is refused with its line.
#include "client/leadctl/csv_reader.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace leadrouter::leadctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<std::vector<CsvRow>> Read(const std::string& text) {
  std::istringstream in(text);
  return ReadCsv(in);
}

TEST(CsvReaderTest, QuotedFieldsKeepCommasQuotesAndLineBreaks) {
  auto rows = Read(
      "id,company_name,note\n"
      "L1,\"Acme, Inc.\",plain\n"
      "L2,\"The \"\"Best\"\" Co\",\"two\nlines\"\n"
      "L3,,last\n");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_THAT((*rows)[1].cells, ElementsAre("L1", "Acme, Inc.", "plain"));
  EXPECT_THAT((*rows)[2].cells,
              ElementsAre("L2", "The \"Best\" Co", "two\nlines"));
  EXPECT_THAT((*rows)[3].cells, ElementsAre("L3", "", "last"));
  // Each row knows the line it starts on, line breaks in fields included.
  EXPECT_EQ((*rows)[0].line, 1);
  EXPECT_EQ((*rows)[2].line, 3);
  EXPECT_EQ((*rows)[3].line, 5);
}

TEST(CsvReaderTest, AByteOrderMarkCrlfAndBlankLinesAreNoData) {
  auto rows = Read("\xEF\xBB\xBFid,country_code\r\n\r\nL1,DE\r\nL2,AT");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_THAT((*rows)[0].cells, ElementsAre("id", "country_code"));
  EXPECT_THAT((*rows)[1].cells, ElementsAre("L1", "DE"));
  EXPECT_THAT((*rows)[2].cells, ElementsAre("L2", "AT"));  // no final newline
}

TEST(CsvReaderTest, BrokenQuotingIsRefusedWithItsLine) {
  auto stray = Read("id,company_name\nL1,ok\nL2,Acme \"Inc\"\n");
  ASSERT_FALSE(stray.ok());
  EXPECT_EQ(stray.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stray.status().message(), HasSubstr("line 3"));
  auto open = Read("id,company_name\nL1,\"Acme\nL2,x\n");
  ASSERT_FALSE(open.ok());
  EXPECT_THAT(open.status().message(), HasSubstr("line 2"));
  EXPECT_THAT(open.status().message(), HasSubstr("not closed"));
}

}  // namespace
}  // namespace leadrouter::leadctl
