#include "common/log.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "tests/support/status_matchers.h"

namespace exosphere::log {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetSink([this](absl::string_view line) { lines_.emplace_back(line); });
    SetLevel(Level::kInfo);
    SetFormat(Format::kText);
  }
  void TearDown() override {
    SetSink(nullptr);
    SetLevel(Level::kInfo);
    SetFormat(Format::kText);
  }
  std::vector<std::string> lines_;
};

TEST_F(LogTest, TextLineHasLevelEventMessageAndQuotedFields) {
  EXO_LOG(kWarning, "state_claimed", "claimed one", {{"state_id", "abc"}, {"note", "two words"}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_THAT(lines_[0],
              HasSubstr(" WARN state_claimed: claimed one state_id=abc note=\"two words\""));
}

TEST_F(LogTest, JsonLineIsOneObjectWithAllFields) {
  SetFormat(Format::kJson);
  EXO_LOG(kError, "report_failed", "quote \" and newline \n", {{"node", "n1"}});
  ASSERT_EQ(lines_.size(), 1u);
  nlohmann::json line = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(line["level"], "error");
  EXPECT_EQ(line["event"], "report_failed");
  EXPECT_EQ(line["message"], "quote \" and newline \n");
  EXPECT_EQ(line["node"], "n1");
  EXPECT_TRUE(line.contains("time"));
}

TEST_F(LogTest, LinesBelowTheLevelAreNotFormatted) {
  int evaluations = 0;
  auto expensive = [&] {
    ++evaluations;
    return std::string("x");
  };
  EXO_LOG(kDebug, "noise", expensive());
  EXPECT_TRUE(lines_.empty());
  EXPECT_EQ(evaluations, 0);
  SetLevel(Level::kDebug);
  EXO_LOG(kDebug, "noise", expensive());
  EXPECT_EQ(lines_.size(), 1u);
  EXPECT_EQ(evaluations, 1);
}

TEST_F(LogTest, SensitiveValuesAreMasked) {
  RegisterSensitiveValue("s3cr3t-api-key");
  EXO_LOG(kInfo, "config", "key is s3cr3t-api-key", {{"key", "s3cr3t-api-key"}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_THAT(lines_[0], Not(HasSubstr("s3cr3t-api-key")));
  EXPECT_THAT(lines_[0], HasSubstr("[redacted]"));
}

TEST_F(LogTest, ParsesLevelsAndFormats) {
  EXPECT_EQ(*ParseLevel("DEBUG"), Level::kDebug);
  EXPECT_EQ(*ParseLevel("warn"), Level::kWarning);
  EXPECT_EQ(*ParseLevel("Warning"), Level::kWarning);
  EXPECT_THAT(ParseLevel("loud"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("loud")));
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  EXPECT_THAT(ParseFormat("xml"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("xml")));
}

}  // namespace
}  // namespace exosphere::log
