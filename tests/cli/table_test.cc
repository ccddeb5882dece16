#include "cli/table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace exosphere::cli {
namespace {

TEST(TableTest, AlignsColumnsAndTrimsTrailingSpace) {
  Table table({"ID", "STATUS"});
  table.AddRow({"a", "SUCCESS"});
  table.AddRow({"long-id", ""});
  EXPECT_EQ(table.Render(0), "ID       STATUS\na        SUCCESS\nlong-id\n");
}

TEST(TableTest, CutsTheWidestColumnToFitTheWidth) {
  Table table({"ID", "OUTPUTS"});
  table.AddRow({"abc", std::string(100, 'x')});
  const std::string rendered = table.Render(30);
  for (const std::string& line :
       {std::string("ID   OUTPUTS"), "abc  " + std::string(22, 'x') + "..."}) {
    EXPECT_THAT(rendered, ::testing::HasSubstr(line + "\n"));
  }
  size_t start = 0;
  while (start < rendered.size()) {
    const size_t end = rendered.find('\n', start);
    EXPECT_LE(end - start, 30u);
    start = end + 1;
  }
}

TEST(TableTest, CellsAreOneLine) {
  Table table({"ERROR"});
  table.AddRow({"line one\nline\ttwo"});
  EXPECT_EQ(table.Render(0), "ERROR\nline one line two\n");
}

TEST(TableTest, TruncateCountsUtf8Characters) {
  EXPECT_EQ(DisplayWidth("h\xC3\xA9llo"), 5u);
  EXPECT_EQ(Truncate("h\xC3\xA9llo world", 6), "h\xC3\xA9l...");
  EXPECT_EQ(Truncate("short", 6), "short");
}

}  // namespace
}  // namespace exosphere::cli
