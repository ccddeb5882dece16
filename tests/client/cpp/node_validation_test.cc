#include "client/cpp/internal/node_validation.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::client::internal {
namespace {

using ::exosphere::testing::IsOk;
using ::exosphere::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::shared_ptr<BaseNode> Node(NodeSpec spec) {
  return MakeNode(std::move(spec), [](const Task&) { return NodeResult(); });
}

class NodeValidationTest : public ::testing::Test {
 protected:
  absl::Status Validate(std::vector<std::shared_ptr<BaseNode>> nodes,
                        const std::string& namespace_name = "ns",
                        const std::string& runtime_name = "rt") {
    return ValidateRuntime(namespace_name, runtime_name, nodes, options_);
  }
  RuntimeOptions options_;
};

TEST_F(NodeValidationTest, AcceptsWellFormedNodes) {
  EXPECT_OK(Validate({Node({"fetch.v2", {"url", "retry-count"}, {"body"}, {"API_KEY"}}),
                      Node({"parse_1", {}, {}, {}, absl::Seconds(5)})}));
  // An empty namespace means the sidecar's default.
  EXPECT_OK(Validate({Node({"a"})}, ""));
}

TEST_F(NodeValidationTest, CollectsEveryNodeProblemIntoOneError) {
  NodeSpec bad_schema{"schema"};
  bad_schema.outputs_schema_json = "[1, 2]";
  const absl::Status status =
      Validate({Node({""}), Node({"has space"}), Node({"dup"}), Node({"dup"}),
                Node({"fields", {"a.b", "ok", "ok"}, {""}, {"s", "s"}}),
                Node({"late", {}, {}, {}, absl::Seconds(-1)}), Node(bad_schema), nullptr});
  EXPECT_THAT(
      status,
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(StartsWith("Node validation errors:\n"), HasSubstr("Node 0 has an empty name"),
                     HasSubstr("Node name \"has space\" is not a valid name"),
                     HasSubstr("Duplicate node names found: [dup]"),
                     HasSubstr("Node \"fields\": inputs field \"a.b\" is not a valid field name"),
                     HasSubstr("Node \"fields\": inputs lists \"ok\" twice"),
                     HasSubstr("Node \"fields\": outputs field \"\" is not a valid field name"),
                     HasSubstr("Node \"fields\": secrets lists \"s\" twice"),
                     HasSubstr("Node \"late\": deadline must not be negative"),
                     HasSubstr("Node \"schema\": outputs_schema_json is not a JSON object"),
                     HasSubstr("Node 7 is null"))));
}

TEST_F(NodeValidationTest, RequiresAtLeastOneNode) {
  EXPECT_THAT(Validate({}), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("At least one node is required")));
}

TEST_F(NodeValidationTest, RejectsBadOptionsAndNames) {
  options_.workers = 0;
  EXPECT_THAT(Validate({Node({"a"})}),
              StatusIs(absl::StatusCode::kInvalidArgument, "Workers should be at least 1"));
  options_.workers = 1;
  options_.initial_backoff = absl::ZeroDuration();
  EXPECT_THAT(Validate({Node({"a"})}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("backoff")));
  options_ = RuntimeOptions();
  EXPECT_THAT(Validate({Node({"a"})}, "bad/ns"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Namespace \"bad/ns\"")));
  EXPECT_THAT(Validate({Node({"a"})}, "ns", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Runtime name \"\"")));
}

TEST(NameRulesTest, FollowTheProtocol) {
  EXPECT_TRUE(IsValidName("a.b-c_D9"));
  EXPECT_TRUE(IsValidName(std::string(128, 'x')));
  EXPECT_FALSE(IsValidName(std::string(129, 'x')));
  EXPECT_FALSE(IsValidName("a b"));
  EXPECT_FALSE(IsValidName(""));
  EXPECT_TRUE(IsValidFieldName("a-b_C9"));
  EXPECT_FALSE(IsValidFieldName("a.b"));
}

}  // namespace
}  // namespace exosphere::client::internal
