#include "client/cpp/internal/hello_builder.h"

#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace exosphere::client::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;

TEST(HelloBuilderTest, DescribesEveryNode) {
  NodeSpec first{"a", {"x"}, {"y"}, {"k"}, absl::Seconds(2)};
  first.outputs_schema_json = R"({"properties":{"y":{"type":"string"}}})";
  const v1::Hello hello = BuildHello("ns", "rt",
                                     {MakeNode(first, [](const Task&) { return NodeResult(); }),
                                      MakeNode({"b"}, [](const Task&) { return NodeResult(); })},
                                     4, "label");
  EXPECT_EQ(hello.namespace_(), "ns");
  EXPECT_EQ(hello.runtime_name(), "rt");
  EXPECT_EQ(hello.slots(), 4u);
  EXPECT_EQ(hello.worker_label(), "label");
  EXPECT_TRUE(hello.accepts_task_batches());
  ASSERT_EQ(hello.nodes_size(), 2);
  EXPECT_THAT(hello.nodes(0).input_fields(), ElementsAre("x"));
  EXPECT_THAT(hello.nodes(0).output_fields(), ElementsAre("y"));
  EXPECT_THAT(hello.nodes(0).secret_fields(), ElementsAre("k"));
  EXPECT_EQ(hello.nodes(0).deadline_ms(), 2000u);
  EXPECT_EQ(hello.nodes(0).outputs_schema_json(), first.outputs_schema_json);
  EXPECT_EQ(hello.nodes(1).name(), "b");
  EXPECT_EQ(hello.nodes(1).deadline_ms(), 0u);
}

TEST(HelloBuilderTest, DefaultLabelNamesHostAndProcess) {
  const v1::Hello hello =
      BuildHello("", "rt", {MakeNode({"a"}, [](const Task&) { return NodeResult(); })}, 1, "");
  EXPECT_THAT(hello.worker_label(), EndsWith(absl::StrCat(":", getpid())));
}

}  // namespace
}  // namespace exosphere::client::internal
