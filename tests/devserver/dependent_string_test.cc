#include "devserver/dependent_string.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::devserver {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Pair;

TEST(DependentStringTest, ConstantHasNoDependents) {
  ASSERT_OK_AND_ASSIGN(DependentString parsed, DependentString::Parse("plain text }} here"));
  EXPECT_EQ(parsed.head(), "plain text }} here");
  EXPECT_TRUE(parsed.dependents().empty());
  ASSERT_OK_AND_ASSIGN(std::string rendered, parsed.Render({}));
  EXPECT_EQ(rendered, "plain text }} here");
}

TEST(DependentStringTest, ParsesOutputAndStorePlaceholdersWithTrimming) {
  ASSERT_OK_AND_ASSIGN(
      DependentString parsed,
      DependentString::Parse("a ${{ fetch . outputs . url }} b ${{store.cursor}}c"));
  EXPECT_EQ(parsed.head(), "a ");
  ASSERT_EQ(parsed.dependents().size(), 2u);
  EXPECT_EQ(parsed.dependents()[0].identifier, "fetch");
  EXPECT_EQ(parsed.dependents()[0].field, "url");
  EXPECT_EQ(parsed.dependents()[0].tail, " b ");
  EXPECT_EQ(parsed.dependents()[1].identifier, "store");
  EXPECT_EQ(parsed.dependents()[1].field, "cursor");
  EXPECT_EQ(parsed.dependents()[1].tail, "c");
}

TEST(DependentStringTest, StoreOutputsFormIsAStoreKey) {
  ASSERT_OK_AND_ASSIGN(DependentString parsed, DependentString::Parse("${{ store.outputs.k }}"));
  EXPECT_THAT(parsed.IdentifierFields(), ElementsAre(Pair("store", "k")));
}

TEST(DependentStringTest, UnclosedPlaceholderIsRejectedWithTheServerMessage) {
  EXPECT_THAT(DependentString::Parse("x ${{ a.outputs.b"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Invalid syntax string placeholder  a.outputs.b for: x ${{ a.outputs.b "
                       "'${' not closed"));
}

TEST(DependentStringTest, MalformedPlaceholderIsRejectedWithTheServerMessage) {
  EXPECT_THAT(DependentString::Parse("${{ a.b }}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Invalid syntax string placeholder  a.b  for: ${{ a.b }}"));
  EXPECT_THAT(DependentString::Parse("${{ a.inputs.b }}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Invalid syntax string placeholder  a.inputs.b  for: ${{ a.inputs.b }}"));
  EXPECT_THAT(DependentString::Parse("${{ store }}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Invalid syntax string placeholder  store  for: ${{ store }}"));
}

TEST(DependentStringTest, TailStartsAfterTheFirstClosingBraces) {
  ASSERT_OK_AND_ASSIGN(DependentString parsed, DependentString::Parse("${{ a.outputs.b }}}}x"));
  ASSERT_EQ(parsed.dependents().size(), 1u);
  EXPECT_EQ(parsed.dependents()[0].tail, "}}x");
}

TEST(DependentStringTest, RendersRepeatedPlaceholdersInOrder) {
  ASSERT_OK_AND_ASSIGN(
      DependentString parsed,
      DependentString::Parse("${{a.outputs.x}}-${{b.outputs.y}}-${{a.outputs.x}}!"));
  EXPECT_THAT(parsed.IdentifierFields(), ElementsAre(Pair("a", "x"), Pair("b", "y")));
  std::map<DependentString::Key, Json> values = {{{"a", "x"}, "1"}, {{"b", "y"}, "2"}};
  ASSERT_OK_AND_ASSIGN(std::string rendered, parsed.Render(values));
  EXPECT_EQ(rendered, "1-2-1!");
}

TEST(DependentStringTest, RenderingANonStringFailsLikePython) {
  ASSERT_OK_AND_ASSIGN(DependentString parsed, DependentString::Parse("n=${{a.outputs.x}}"));
  EXPECT_THAT(parsed.Render({{{"a", "x"}, 5}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "unsupported operand type(s) for +: 'int' and 'str'"));
  EXPECT_THAT(parsed.Render({{{"a", "x"}, Json::object()}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "unsupported operand type(s) for +: 'dict' and 'str'"));
  EXPECT_THAT(parsed.Render({{{"a", "x"}, Json::array()}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "can only concatenate list (not \"str\") to list"));
  EXPECT_THAT(
      parsed.Render({}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "Dependent value is not set for: identifier='a' field='x' tail='' value=None"));
}

}  // namespace
}  // namespace exosphere::devserver
