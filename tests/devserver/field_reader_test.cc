#include "devserver/field_reader.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace exosphere::devserver {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

class FieldReaderTest : public ::testing::Test {
 protected:
  std::string ErrorsJson() const { return DumpJson(errors_.items()); }

  ValidationErrors errors_;
  FieldReader reader_{errors_};
  const Loc loc_ = {"body", "n"};
};

TEST_F(FieldReaderTest, IntegersAreLax) {
  EXPECT_THAT(reader_.Int(7, loc_), Optional(7));
  EXPECT_THAT(reader_.Int(7.0, loc_), Optional(7));
  EXPECT_THAT(reader_.Int(" -12 ", loc_), Optional(-12));
  EXPECT_THAT(reader_.Int("12.00", loc_), Optional(12));
  EXPECT_THAT(reader_.Int(true, loc_), Optional(1));
  EXPECT_THAT(reader_.Int("99999999999999999999999", loc_),
              Optional(std::numeric_limits<int64_t>::max()));
  EXPECT_TRUE(errors_.empty());
}

TEST_F(FieldReaderTest, IntegerErrorsUsePydanticTypes) {
  EXPECT_EQ(reader_.Int("abc", loc_), std::nullopt);
  EXPECT_EQ(reader_.Int(1.5, loc_), std::nullopt);
  EXPECT_EQ(reader_.Int(nullptr, loc_), std::nullopt);
  EXPECT_EQ(reader_.Int(Json::array(), loc_), std::nullopt);
  EXPECT_EQ(
      ErrorsJson(),
      R"([{"type":"int_parsing","loc":["body","n"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"abc"},)"
      R"({"type":"int_from_float","loc":["body","n"],"msg":"Input should be a valid integer, got a number with a fractional part","input":1.5},)"
      R"({"type":"int_type","loc":["body","n"],"msg":"Input should be a valid integer","input":null},)"
      R"({"type":"int_type","loc":["body","n"],"msg":"Input should be a valid integer","input":[]}])");
}

TEST_F(FieldReaderTest, StringsAreStrict) {
  EXPECT_THAT(reader_.String("x", loc_), Optional(std::string("x")));
  EXPECT_EQ(reader_.String(5, loc_), std::nullopt);
  EXPECT_EQ(
      ErrorsJson(),
      R"([{"type":"string_type","loc":["body","n"],"msg":"Input should be a valid string","input":5}])");
}

TEST_F(FieldReaderTest, ContainersReportEachBadItem) {
  EXPECT_THAT(reader_.StringList(Json::array({"a", "b"}), loc_), Optional(ElementsAre("a", "b")));
  EXPECT_EQ(reader_.StringList(Json::array({"a", 1, false}), loc_), std::nullopt);
  EXPECT_EQ(reader_.StringDict({{"k", 2}}, loc_), std::nullopt);
  EXPECT_EQ(reader_.List("x", loc_), nullptr);
  EXPECT_EQ(reader_.Dict(Json::array(), loc_), nullptr);
  EXPECT_EQ(
      ErrorsJson(),
      R"([{"type":"string_type","loc":["body","n",1],"msg":"Input should be a valid string","input":1},)"
      R"({"type":"string_type","loc":["body","n",2],"msg":"Input should be a valid string","input":false},)"
      R"({"type":"string_type","loc":["body","n","k"],"msg":"Input should be a valid string","input":2},)"
      R"({"type":"list_type","loc":["body","n"],"msg":"Input should be a valid list","input":"x"},)"
      R"({"type":"dict_type","loc":["body","n"],"msg":"Input should be a valid dictionary","input":[]}])");
}

TEST_F(FieldReaderTest, EnumsListTheAllowedValues) {
  EXPECT_THAT(reader_.Enum("B", loc_, {"A", "B"}), Optional(std::string("B")));
  EXPECT_EQ(reader_.Enum("C", loc_, {"A", "B", "C2"}), std::nullopt);
  EXPECT_EQ(reader_.Enum(1, loc_, {"CRON"}), std::nullopt);
  EXPECT_EQ(
      ErrorsJson(),
      R"([{"type":"enum","loc":["body","n"],"msg":"Input should be 'A', 'B' or 'C2'","input":"C","ctx":{"expected":"'A', 'B' or 'C2'"}},)"
      R"({"type":"enum","loc":["body","n"],"msg":"Input should be 'CRON'","input":1,"ctx":{"expected":"'CRON'"}}])");
}

TEST_F(FieldReaderTest, ModelsMissingFieldsAndConstraints) {
  Json body = {{"a", 1}};
  EXPECT_FALSE(reader_.ExpectModel("text", {"body"}));
  EXPECT_EQ(reader_.Required(body, "b", {"body"}), nullptr);
  EXPECT_FALSE(reader_.GreaterThan(0, 0, 0, loc_));
  EXPECT_FALSE(reader_.GreaterThanOrEqual(-1, 0, "-1", loc_));
  reader_.ValueError(loc_, "Custom problem", "bad");
  EXPECT_EQ(
      ErrorsJson(),
      R"([{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":"text"},)"
      R"({"type":"missing","loc":["body","b"],"msg":"Field required","input":{"a":1}},)"
      R"({"type":"greater_than","loc":["body","n"],"msg":"Input should be greater than 0","input":0,"ctx":{"gt":0}},)"
      R"({"type":"greater_than_equal","loc":["body","n"],"msg":"Input should be greater than or equal to 0","input":"-1","ctx":{"ge":0}},)"
      R"({"type":"value_error","loc":["body","n"],"msg":"Value error, Custom problem","input":"bad","ctx":{"error":{}}}])");
}

}  // namespace
}  // namespace exosphere::devserver
