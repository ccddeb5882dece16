#include "devserver/python_json_decoder.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"

namespace exosphere::devserver {
namespace {

using Outcome = PythonJsonResult::Outcome;

void ExpectDecodeError(const std::string& body, const std::string& message, int64_t position) {
  PythonJsonResult result = DecodePythonJson(body);
  EXPECT_EQ(result.outcome, Outcome::kDecodeError) << body;
  EXPECT_EQ(result.message, message) << body;
  EXPECT_EQ(result.position, position) << body;
}

TEST(PythonJsonDecoderTest, DecodesDocumentsKeepingKeyOrder) {
  PythonJsonResult result =
      DecodePythonJson(R"( {"b": [1, 2.5, true, null], "a": "x\u00e9\ud83d\ude00"} )");
  ASSERT_EQ(result.outcome, Outcome::kOk);
  EXPECT_EQ(DumpJson(result.value),
            "{\"b\":[1,2.5,true,null],\"a\":\"x\xc3\xa9\xf0\x9f\x98\x80\"}");
}

TEST(PythonJsonDecoderTest, DuplicateKeysKeepTheLastValueAtTheFirstPosition) {
  PythonJsonResult result = DecodePythonJson(R"({"a": 1, "b": 2, "a": 3})");
  ASSERT_EQ(result.outcome, Outcome::kOk);
  EXPECT_EQ(DumpJson(result.value), R"({"a":3,"b":2})");
}

TEST(PythonJsonDecoderTest, AcceptsPythonsNonStandardConstants) {
  PythonJsonResult result = DecodePythonJson("[NaN, Infinity, -Infinity]");
  ASSERT_EQ(result.outcome, Outcome::kOk);
  EXPECT_TRUE(std::isnan(result.value[0].get<double>()));
  EXPECT_TRUE(std::isinf(result.value[1].get<double>()));
  EXPECT_LT(result.value[2].get<double>(), 0);
}

TEST(PythonJsonDecoderTest, ReportsErrorsLikeCPython) {
  ExpectDecodeError("", "Expecting value", 0);
  ExpectDecodeError("   ", "Expecting value", 3);
  ExpectDecodeError("{bad", "Expecting property name enclosed in double quotes", 1);
  ExpectDecodeError("{", "Expecting property name enclosed in double quotes", 1);
  ExpectDecodeError(R"({"a" 1})", "Expecting ':' delimiter", 5);
  ExpectDecodeError(R"({"a": 1)", "Expecting ',' delimiter", 7);
  ExpectDecodeError(R"({"a": 1,})", "Expecting property name enclosed in double quotes", 8);
  ExpectDecodeError("[1,]", "Expecting value", 3);
  ExpectDecodeError("[1 2]", "Expecting ',' delimiter", 3);
  ExpectDecodeError("[", "Expecting value", 1);
  ExpectDecodeError("{} x", "Extra data", 3);
  ExpectDecodeError("01", "Extra data", 1);
  ExpectDecodeError("-", "Expecting value", 0);
  ExpectDecodeError(R"("abc)", "Unterminated string starting at", 0);
  ExpectDecodeError("\"a\nb\"", "Invalid control character at", 2);
  ExpectDecodeError(R"("\x")", "Invalid \\escape", 1);
  ExpectDecodeError(R"("\u12")", "Invalid \\uXXXX escape", 2);
  ExpectDecodeError(R"(["\u12G4"])", "Invalid \\uXXXX escape", 3);
  ExpectDecodeError("tru", "Expecting value", 0);
}

TEST(PythonJsonDecoderTest, PositionsCountCharactersNotBytes) {
  ExpectDecodeError("{\"\xc3\xa9\xc3\xa9\": x}", "Expecting value", 7);
}

TEST(PythonJsonDecoderTest, NumbersFollowPythonsGrammar) {
  PythonJsonResult result = DecodePythonJson("[1.5e3, 1E2, -0, 12345678901234567890, 1e400]");
  ASSERT_EQ(result.outcome, Outcome::kOk);
  EXPECT_EQ(result.value[0].get<double>(), 1500);
  EXPECT_EQ(result.value[1].get<double>(), 100);
  EXPECT_TRUE(result.value[2].is_number_integer());
  EXPECT_TRUE(result.value[3].is_number_unsigned());
  EXPECT_TRUE(std::isinf(result.value[4].get<double>()));
  ExpectDecodeError("1.", "Extra data", 1);
  ExpectDecodeError("1e", "Extra data", 1);
}

TEST(PythonJsonDecoderTest, OtherFailuresAreNotDecodeErrors) {
  EXPECT_EQ(DecodePythonJson("\"\xff\"").outcome, Outcome::kOtherError);
  EXPECT_EQ(DecodePythonJson(std::string(5000, '[')).outcome, Outcome::kOtherError);
  EXPECT_EQ(DecodePythonJson(std::string(4301, '7')).outcome, Outcome::kOtherError);
  EXPECT_EQ(DecodePythonJson(std::string(4300, '7')).outcome, Outcome::kOk);
}

TEST(PythonJsonDecoderTest, SkipsAUtf8ByteOrderMark) {
  PythonJsonResult result = DecodePythonJson("\xef\xbb\xbf{\"a\": 1}");
  ASSERT_EQ(result.outcome, Outcome::kOk);
  EXPECT_EQ(result.value["a"], 1);
}

}  // namespace
}  // namespace exosphere::devserver
