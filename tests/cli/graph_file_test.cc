#include "cli/graph_file.h"

#include <fstream>

#include "harness/child_process.h"
#include "harness/scratch_dir.h"
#include "tests/support/status_matchers.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace exosphere::cli {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;

TEST(GraphFileTest, YamlBecomesTheUpsertBody) {
  ASSERT_OK_AND_ASSIGN(GraphDefinition definition, ParseGraphDefinition(R"(
name: g
nodes:
  - identifier: a
    node_name: n
    inputs: {count: 3, flag: true, empty: , quoted: "x"}
    next_nodes: [b]
retry_policy: {max_retries: 2, strategy: FIXED, backoff_factor: 1.5, max_delay: null}
store_config:
  default_values: {retries: 10}
)",
                                                                        "g.yaml"));
  EXPECT_EQ(definition.name, "g");
  const json::Json& body = definition.body;
  EXPECT_FALSE(body.contains("name"));
  EXPECT_EQ(body["secrets"], json::Json::object());
  // Inputs and store defaults stay strings; the retry policy's numbers are numbers.
  EXPECT_EQ(body["nodes"][0]["inputs"],
            (json::Json{{"count", "3"}, {"flag", "true"}, {"empty", ""}, {"quoted", "x"}}));
  EXPECT_EQ(body["nodes"][0]["next_nodes"], json::Json::array({"b"}));
  EXPECT_EQ(body["retry_policy"]["max_retries"], 2);
  EXPECT_EQ(body["retry_policy"]["backoff_factor"], 1.5);
  EXPECT_TRUE(body["retry_policy"]["max_delay"].is_null());
  EXPECT_EQ(body["store_config"]["default_values"]["retries"], "10");
}

TEST(GraphFileTest, JsonIsReadToo) {
  ASSERT_OK_AND_ASSIGN(
      GraphDefinition definition,
      ParseGraphDefinition(R"({"name": "j", "nodes": [], "secrets": {"k": "v"}})", "g.json"));
  EXPECT_EQ(definition.name, "j");
  EXPECT_EQ(definition.body["secrets"], (json::Json{{"k", "v"}}));
}

TEST(GraphFileTest, SyntaxErrorNamesLineAndColumn) {
  EXPECT_THAT(
      ParseGraphDefinition("name: g\nnodes:\n  - identifier: [a\n", "bad.yaml").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad.yaml:4:1: not valid YAML")));
}

TEST(GraphFileTest, RefusesUnknownKeysDuplicatesAndMissingNodes) {
  EXPECT_THAT(
      ParseGraphDefinition("name: g\nnodes: []\nretry_polcy: {}\n", "f").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f:3:1: unknown key 'retry_polcy'")));
  EXPECT_THAT(ParseGraphDefinition("name: g\nnodes: []\nsecrets: {a: 1, a: 2}\n", "f").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate key 'a'")));
  EXPECT_THAT(ParseGraphDefinition("name: g\n", "f").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("`nodes` must be a list")));
  EXPECT_THAT(ParseGraphDefinition("- a\n", "f").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected a mapping")));
}

TEST(GraphFileTest, LoadFillsNamespaceAndName) {
  ASSERT_OK_AND_ASSIGN(auto scratch, harness::ScratchDir::Create());
  const std::string path = scratch->File("g.yaml");
  std::ofstream(path) << "nodes:\n  - {identifier: a, node_name: n, inputs: {}}\n"
                         "  - {identifier: b, node_name: n, namespace: other, inputs: {}}\n";
  EXPECT_THAT(LoadGraphFile(path, "", "demo").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no graph name")));
  ASSERT_OK_AND_ASSIGN(GraphDefinition definition, LoadGraphFile(path, "named", "demo"));
  EXPECT_EQ(definition.name, "named");
  EXPECT_EQ(definition.body["nodes"][0]["namespace"], "demo");
  EXPECT_EQ(definition.body["nodes"][1]["namespace"], "other");
  EXPECT_THAT(LoadGraphFile(scratch->File("missing.yaml"), "", "demo").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot read")));
}

TEST(GraphFileTest, TheExampleGraphParses) {
  ASSERT_OK_AND_ASSIGN(
      GraphDefinition definition,
      LoadGraphFile(harness::SourcePath("examples/graphs/words.yaml"), "", "demo"));
  EXPECT_EQ(definition.name, "words");
  EXPECT_EQ(definition.body["nodes"].size(), 4u);
  EXPECT_EQ(definition.body["nodes"][1]["inputs"]["text"], "${{ normalize.outputs.text }}");
  EXPECT_EQ(definition.body["retry_policy"]["max_retries"], 1);
}

}  // namespace
}  // namespace exosphere::cli
