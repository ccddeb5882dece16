#include "sidecar/transport/json_util.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::json {
namespace {

using ::exosphere::testing::IsOk;
using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;

TEST(JsonUtilTest, ParseRejectsMalformedTextWithTheDocumentName) {
  EXPECT_THAT(Parse("{\"a\":", "enqueue response"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("enqueue response")));
  EXPECT_THAT(Parse("{\"a\":1}", "x"), IsOk());
}

TEST(JsonUtilTest, TypedGettersNameTheFieldAndTheTypes) {
  Json doc = Json::parse(R"({"s":"v","i":3,"b":true,"a":[],"o":{"k":"v"},"bad":{"k":1}})");
  EXPECT_EQ(*GetString(doc, "s", "doc"), "v");
  EXPECT_EQ(*GetInt(doc, "i", "doc"), 3);
  EXPECT_TRUE(*GetBool(doc, "b", "doc"));
  EXPECT_THAT(GetArray(doc, "a", "doc"), IsOk());
  EXPECT_EQ(GetStringMap(doc, "o", "doc")->at("k"), "v");
  EXPECT_THAT(GetString(doc, "i", "doc"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                   HasSubstr("'i' must be a string, got number")));
  EXPECT_THAT(GetInt(doc, "missing", "doc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing field 'missing'")));
  EXPECT_THAT(
      GetStringMap(doc, "bad", "doc"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("value of 'k' must be a string")));
  EXPECT_THAT(GetString(Json::array(), "s", "doc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected a JSON object")));
}

TEST(JsonUtilTest, DumpNeverThrowsOnInvalidUtf8) {
  Json value = std::string("bad \xff byte");
  EXPECT_THAT(Dump(value), HasSubstr("bad"));
}

}  // namespace
}  // namespace exosphere::json
