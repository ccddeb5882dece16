#include "devserver/graph_verifier.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::devserver {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Json StringProperties(const std::vector<std::string>& names) {
  Json properties = Json::object();
  for (const std::string& name : names) properties[name] = {{"type", "string"}};
  return {{"type", "object"}, {"properties", properties}};
}

class GraphVerifierTest : public ::testing::Test {
 protected:
  void Register(const std::string& name, Json inputs, Json outputs,
                std::vector<std::string> secrets = {}) {
    RegisteredNode node;
    node.name = name;
    node.namespace_name = "ns";
    node.inputs_schema = std::move(inputs);
    node.outputs_schema = std::move(outputs);
    node.secrets = std::move(secrets);
    registered_[{"ns", name}] = std::move(node);
  }

  absl::StatusOr<std::vector<std::string>> Verify(const GraphTemplate& graph) {
    return VerifyGraph(graph, [this](const std::string& ns, const std::string& name) {
      auto it = registered_.find({ns, name});
      return it == registered_.end() ? nullptr : &it->second;
    });
  }

  static NodeTemplate Node(const std::string& name, const std::string& identifier, Json inputs,
                           std::vector<std::string> next = {}) {
    NodeTemplate node;
    node.node_name = name;
    node.namespace_name = "ns";
    node.identifier = identifier;
    node.inputs = std::move(inputs);
    if (!next.empty()) node.next_nodes = std::move(next);
    return node;
  }

  std::map<std::pair<std::string, std::string>, RegisteredNode> registered_;
};

TEST_F(GraphVerifierTest, ValidGraphHasNoErrors) {
  Register("Fetch", StringProperties({"url"}), StringProperties({"body"}), {"token"});
  Register("Parse", StringProperties({"text"}), StringProperties({}));
  GraphTemplate graph;
  graph.nodes = {Node("Fetch", "fetch", {{"url", "http://x"}, {"extra", "ignored"}}, {"parse"}),
                 Node("Parse", "parse", {{"text", "${{ fetch.outputs.body }} ${{ store.k }}"}})};
  graph.secrets = {{"token", "encoded"}};
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> errors, Verify(graph));
  EXPECT_THAT(errors, IsEmpty());
}

TEST_F(GraphVerifierTest, ReportsEveryProblemInTheServersOrder) {
  Register("Fetch",
           {{"properties",
             {{"url", {{"type", "string"}}},
              {"n", {{"type", "integer"}}},
              {"missing", {{"type", "string"}}}}}},
           {{"properties", {{"body", {{"type", "string"}}}, {"size", {{"type", "integer"}}}}}},
           {"token", "other"});
  GraphTemplate graph;
  graph.nodes = {Node("Fetch", "fetch", {{"url", "x"}, {"n", "1"}}, {"parse"}),
                 Node("Parse", "parse",
                      {{"a", "${{ fetch.outputs.nope }}"},
                       {"b", "${{ fetch.outputs.size }}"},
                       {"c", "${{ ghost.outputs.x }}"}})};
  graph.secrets = {{"token", "encoded"}};
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> errors, Verify(graph));
  EXPECT_THAT(errors,
              ElementsAre("Node Parse in namespace ns does not exist.",
                          "Secret other is required but not present in the graph template",
                          "Input n in node Fetch in namespace ns is not a string",
                          "Input missing in node Fetch in namespace ns is not present in the graph "
                          "template",
                          "Node Parse in namespace ns does not exist"));
  // With Parse registered, its references are checked against Fetch's outputs.
  Register("Parse", StringProperties({}), StringProperties({}));
  ASSERT_OK_AND_ASSIGN(errors, Verify(graph));
  EXPECT_THAT(errors,
              ElementsAre("Secret other is required but not present in the graph template",
                          "Input n in node Fetch in namespace ns is not a string",
                          "Input missing in node Fetch in namespace ns is not present in the graph "
                          "template",
                          "Field nope in node Fetch in namespace ns does not exist",
                          "Field size in node Fetch in namespace ns is not a string",
                          "Node ghost does not exist in the graph template"));
}

TEST_F(GraphVerifierTest, FormattedStringsAreNotPlainStrings) {
  Register("N", {{"properties", {{"when", {{"type", "string"}, {"format", "date-time"}}}}}},
           StringProperties({}));
  GraphTemplate graph;
  graph.nodes = {Node("N", "n", {{"when", "now"}})};
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> errors, Verify(graph));
  EXPECT_THAT(errors, ElementsAre("Input when in node N in namespace ns is not a string"));
}

TEST_F(GraphVerifierTest, MalformedRegisteredSchemaIsAnUnexpectedError) {
  Register("N", {{"properties", 5}}, StringProperties({}));
  GraphTemplate graph;
  graph.nodes = {Node("N", "n", Json::object())};
  EXPECT_THAT(Verify(graph), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("properties")));
}

}  // namespace
}  // namespace exosphere::devserver
