#include "devserver/graph_validator.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::devserver {
namespace {

using ::exosphere::testing::IsOk;
using ::exosphere::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

NodeTemplate Node(const std::string& identifier, std::vector<std::string> next = {},
                  Json inputs = Json::object()) {
  NodeTemplate node;
  node.node_name = "N" + identifier;
  node.namespace_name = "ns";
  node.identifier = identifier;
  node.inputs = std::move(inputs);
  if (!next.empty()) node.next_nodes = std::move(next);
  return node;
}

NodeTemplate Unite(const std::string& identifier, const std::string& target,
                   Json inputs = Json::object()) {
  NodeTemplate node = Node(identifier, {}, std::move(inputs));
  node.unites = Unites{target, UnitesStrategy::kAllSuccess};
  return node;
}

GraphTemplate Graph(std::vector<NodeTemplate> nodes) {
  GraphTemplate graph;
  graph.name = "g";
  graph.namespace_name = "ns";
  graph.nodes = std::move(nodes);
  return graph;
}

absl::Status Validate(std::vector<NodeTemplate> nodes) {
  return ValidateGraphTemplate(Graph(std::move(nodes)));
}

TEST(GraphValidatorTest, AcceptsAChainAFanOutAndAUnite) {
  EXPECT_THAT(Validate({Node("a", {"b"}), Node("b", {"c"}), Node("c")}), IsOk());
  EXPECT_THAT(Validate({Node("r", {"x", "y"}), Node("x", {"u"}), Node("y"), Unite("u", "r")}),
              IsOk());
}

TEST(GraphValidatorTest, RendersPydanticTextForFieldErrors) {
  const absl::Status status = Validate({Node("a", {"b"}), Node("b"), Node("a")});
  ASSERT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  const std::string message(status.message());
  EXPECT_THAT(message, StartsWith("Error validating graph template: 1 validation error for "
                                  "GraphTemplate\nnodes\n  Value error, Node identifier a is not "
                                  "unique [type=value_error, input_value="));
  // Pydantic keeps the first 25 and last 24 characters of a long input repr.
  EXPECT_THAT(message,
              HasSubstr("input_value=[NodeTemplate(node_name='...odes=None, unites=None)], "
                        "input_type=list]\n    For further information visit "
                        "https://errors.pydantic.dev/2.11/v/value_error"));
}

TEST(GraphValidatorTest, UniqueIdentifierCheckStopsTheNodesChain) {
  const absl::Status status = Validate({Node("a", {"missing"}), Node("a")});
  EXPECT_THAT(std::string(status.message()), HasSubstr("Node identifier a is not unique"));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("does not exist")));
}

TEST(GraphValidatorTest, ReportsUnknownNextNodes) {
  EXPECT_THAT(
      Validate({Node("a", {"b", "c"})}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("Value error, Node identifier b does not exist in the graph\n"
                         "Node identifier c does not exist in the graph [type=value_error")));
}

TEST(GraphValidatorTest, ReportsEmptySecretNamesTogetherWithNodeErrors) {
  GraphTemplate graph = Graph({Node("a", {"zz"})});
  graph.secrets = {{"", "encoded"}};
  const absl::Status status = ValidateGraphTemplate(graph);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("Error validating graph template: 2 validation errors "
                         "for GraphTemplate\nnodes\n"));
  EXPECT_THAT(status.message(),
              HasSubstr("\nsecrets\n  Value error, Secrets cannot be empty [type=value_error, "
                        "input_value={'': 'encoded'}, input_type=dict]"));
}

TEST(GraphValidatorTest, ReportsUnitesTargets) {
  EXPECT_THAT(Validate({Node("a", {"b"}), Unite("b", "nowhere")}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("Error validating graph template: 1 validation error for "
                                        "GraphTemplate\n  Value error, Node b has an unites "
                                        "target nowhere that does not exist [type=value_error, "
                                        "input_value={'name': 'g', 'namespace"),
                             HasSubstr("input_type=dict]"))));
  EXPECT_THAT(Validate({Node("a", {"b"}), Unite("b", "b")}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Node b has an unites target b that is the same as the node "
                                 "itself")));
}

TEST(GraphValidatorTest, RequiresExactlyOneRoot) {
  EXPECT_THAT(Validate({Node("a", {"b"}), Node("b", {"a"})}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Value error, There should be exactly one root node in the graph "
                                 "but found 0 nodes with zero in-degree: []")));
  EXPECT_THAT(Validate({Node("a"), Node("b")}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("found 2 nodes with zero in-degree: [NodeTemplate(node_name='Na', "
                                 "namespace='ns', identifier='a', inputs={}, next_nodes=None, "
                                 "unites=None), NodeTemplate(node_name='Nb'")));
  EXPECT_THAT(Validate({}), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("found 0 nodes with zero in-degree")));
}

TEST(GraphValidatorTest, ReportsNodesNotConnectedToTheRoot) {
  EXPECT_THAT(Validate({Node("r"), Node("x", {"y"}), Node("y", {"x"})}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Value error, Node x is not connected to the root node\nNode y is "
                                 "not connected to the root node [")));
}

TEST(GraphValidatorTest, ReportsAUniteTargetTheWalkNeverReaches) {
  EXPECT_THAT(Validate({Node("r", {"c"}), Unite("c", "u"), Node("u", {"v"}), Node("v", {"u"})}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Value error, Error building dependency graph: Graph is "
                                 "disconnected at: {'u': ['c']} [")));
}

TEST(GraphValidatorTest, ReportsCycles) {
  EXPECT_THAT(Validate({Node("r", {"a"}), Node("a", {"b"}), Node("b", {"a"})}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Value error, Node a is not acyclic [")));
}

TEST(GraphValidatorTest, GraphsDeeperThanPythonsRecursionLimitFail) {
  std::vector<NodeTemplate> chain;
  for (int i = 0; i < 1000; ++i) {
    chain.push_back(i + 1 < 1000 ? Node(absl::StrCat("n", i), {absl::StrCat("n", i + 1)})
                                 : Node(absl::StrCat("n", i)));
  }
  EXPECT_THAT(Validate(chain),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Error building dependency graph: maximum recursion depth "
                                 "exceeded")));
  chain.resize(300);
  chain.back().next_nodes.reset();
  EXPECT_THAT(Validate(chain), IsOk());
}

TEST(GraphValidatorTest, ChecksInputs) {
  EXPECT_THAT(Validate({Node("a", {}, {{"x", 5}, {"y", {{"k", true}}}})}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Value error, Input 5 is not a string\nInput {'k': True} is not "
                                 "a string [")));
  EXPECT_THAT(Validate({Node("a", {}, {{"x", "${{ a.b }}"}})}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Error creating dependent string for input ${{ a.b }} check "
                                 "syntax string: Invalid syntax string placeholder  a.b  for: "
                                 "${{ a.b }}")));
  EXPECT_THAT(Validate({Node("a", {"b"}), Node("b", {}, {{"x", "${{ c.outputs.y }}"}})}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Input ${{ c.outputs.y }} depends on c but c is not a parent of "
                                 "b")));
  EXPECT_THAT(Validate({Node("a", {}, {{"x", "${{ store.k }}"}})}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Input ${{ store.k }} depends on k but k is not a required key "
                                 "or a default value")));
  GraphTemplate with_store = Graph({Node("a", {"b"}, {{"x", "${{ store.k }}"}}),
                                    Node("b", {}, {{"y", "${{ a.outputs.z }}/${{ store.d }}"}})});
  with_store.store_config.required_keys = {"k"};
  with_store.store_config.default_values = {{"d", "1"}};
  EXPECT_THAT(ValidateGraphTemplate(with_store), IsOk());
}

TEST(GraphValidatorTest, AUniteNodeCannotReadTheBranchThatLeadsIntoIt) {
  // The project docs' example: the unite node references a branch node, which is not among its
  // computed parents (parents(U) + {U}).
  EXPECT_THAT(Validate({Node("r", {"x", "y"}), Node("x", {"u"}), Node("y"),
                        Unite("u", "r", {{"v", "${{ x.outputs.o }}"}})}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Input ${{ x.outputs.o }} depends on x but x is not a parent of "
                                 "u")));
  EXPECT_THAT(Validate({Node("r", {"x", "y"}), Node("x", {"u"}), Node("y"),
                        Unite("u", "r", {{"v", "${{ r.outputs.o }}"}})}),
              IsOk());
}

TEST(GraphValidatorTest, TheRootCannotUnite) {
  // `unites` adds one to a node's in-degree, so the intended root "r" is not the root: "x" is.
  EXPECT_THAT(Validate({Unite("r", "x"), Node("x")}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Value error, Node r is not connected to the root node [")));
}

}  // namespace
}  // namespace exosphere::devserver
