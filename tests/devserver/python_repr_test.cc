#include "devserver/python_repr.h"

#include <string>

#include "gtest/gtest.h"

namespace exosphere::devserver {
namespace {

TEST(PythonReprTest, Scalars) {
  EXPECT_EQ(PythonRepr(nullptr), "None");
  EXPECT_EQ(PythonRepr(true), "True");
  EXPECT_EQ(PythonRepr(false), "False");
  EXPECT_EQ(PythonRepr(-12), "-12");
  EXPECT_EQ(PythonRepr(1.0), "1.0");
  EXPECT_EQ(PythonRepr(2.5), "2.5");
  EXPECT_EQ(PythonRepr(0.1), "0.1");
  EXPECT_EQ(PythonRepr(1e16), "1e+16");
  EXPECT_EQ(PythonRepr(123456789.0), "123456789.0");
  EXPECT_EQ(PythonRepr(1e-5), "1e-05");
  EXPECT_EQ(PythonRepr(0.0001), "0.0001");
}

TEST(PythonReprTest, StringsChooseQuotesAndEscapeLikePython) {
  EXPECT_EQ(PythonStringRepr("abc"), "'abc'");
  EXPECT_EQ(PythonStringRepr("it's"), "\"it's\"");
  EXPECT_EQ(PythonStringRepr("a'b\"c"), "'a\\'b\"c'");
  EXPECT_EQ(PythonStringRepr("line\nnext\ttab\\"), "'line\\nnext\\ttab\\\\'");
  EXPECT_EQ(PythonStringRepr(std::string("\x01", 1)), "'\\x01'");
  EXPECT_EQ(PythonStringRepr("caf\xc3\xa9"), "'caf\xc3\xa9'");
}

TEST(PythonReprTest, Containers) {
  Json value = {{"k", {1, "two", nullptr}}, {"z", Json::object()}};
  EXPECT_EQ(PythonRepr(value), "{'k': [1, 'two', None], 'z': {}}");
  EXPECT_EQ(PythonStr("text"), "text");
  EXPECT_EQ(PythonStr(Json::array({true})), "[True]");
  EXPECT_EQ(PythonSetRepr({"a", "b"}), "{'a', 'b'}");
  EXPECT_EQ(PythonSetRepr({}), "set()");
}

TEST(PythonReprTest, PydanticTruncatesLongReprs) {
  const std::string fifty(50, 'x');
  EXPECT_EQ(TruncateForPydantic(fifty), fifty);
  const std::string long_repr = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  EXPECT_EQ(TruncateForPydantic(long_repr), "abcdefghijklmnopqrstuvwxy...CDEFGHIJKLMNOPQRSTUVWXYZ");
}

TEST(PythonReprTest, TypeNames) {
  EXPECT_EQ(PythonTypeName(1), "int");
  EXPECT_EQ(PythonTypeName(1.5), "float");
  EXPECT_EQ(PythonTypeName(true), "bool");
  EXPECT_EQ(PythonTypeName(nullptr), "NoneType");
  EXPECT_EQ(PythonTypeName("s"), "str");
  EXPECT_EQ(PythonTypeName(Json::array()), "list");
  EXPECT_EQ(PythonTypeName(Json::object()), "dict");
}

}  // namespace
}  // namespace exosphere::devserver
