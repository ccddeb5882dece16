#include "sidecar/core/hello_validator.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::Hello ValidHello() {
  v1::Hello hello;
  hello.set_runtime_name("rt");
  hello.set_slots(4);
  v1::NodeDefinition& node = *hello.add_nodes();
  node.set_name("summarize");
  node.add_input_fields("text");
  node.add_input_fields("lang");
  node.add_output_fields("summary");
  node.add_secret_fields("openai_key");
  return hello;
}

class HelloValidatorTest : public ::testing::Test {
 protected:
  HelloValidatorTest() { limits_.default_namespace = "default-ns"; }
  absl::StatusOr<WorkerSpec> Validate(const v1::Hello& hello) {
    return ValidateHello(hello, limits_);
  }
  HelloLimits limits_;
};

TEST_F(HelloValidatorTest, AcceptsAValidHelloAndDerivesStringSchemas) {
  ASSERT_OK_AND_ASSIGN(WorkerSpec spec, Validate(ValidHello()));
  EXPECT_EQ(spec.ns, "default-ns");
  EXPECT_EQ(spec.runtime_name, "rt");
  EXPECT_EQ(spec.slots, 4u);
  ASSERT_EQ(spec.nodes.size(), 1u);
  const NodeSpec& node = *spec.nodes[0];
  EXPECT_THAT(node.input_fields, ElementsAre("lang", "text"));
  EXPECT_EQ(node.inputs_schema["type"], "object");
  EXPECT_EQ(node.inputs_schema["properties"]["text"], json::Json({{"type", "string"}}));
  EXPECT_EQ(node.inputs_schema["required"], json::Json({"lang", "text"}));
  EXPECT_EQ(node.outputs_schema["title"], "Outputs");
  EXPECT_EQ(node.deadline, absl::ZeroDuration());
}

TEST_F(HelloValidatorTest, RejectsBadNamesSlotsAndMissingNodesPrecisely) {
  v1::Hello hello = ValidHello();
  hello.set_runtime_name("");
  EXPECT_THAT(Validate(hello),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Hello.runtime_name")));
  hello = ValidHello();
  hello.set_namespace_("bad namespace");
  EXPECT_THAT(Validate(hello),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Hello.namespace")));
  hello = ValidHello();
  hello.set_slots(0);
  EXPECT_THAT(Validate(hello),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Hello.slots")));
  hello = ValidHello();
  hello.clear_nodes();
  EXPECT_THAT(Validate(hello),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("declare at least one node")));
  hello = ValidHello();
  *hello.add_nodes() = hello.nodes(0);
  EXPECT_THAT(Validate(hello),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("declared twice")));
  hello = ValidHello();
  hello.mutable_nodes(0)->set_name("no/slash");
  EXPECT_THAT(Validate(hello),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Hello.nodes[0].name")));
}

TEST_F(HelloValidatorTest, RejectsFieldNamesTheGraphSyntaxCannotReferenceAndDuplicates) {
  v1::Hello hello = ValidHello();
  hello.mutable_nodes(0)->add_output_fields("a.b");
  EXPECT_THAT(
      Validate(hello),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr(
              "Hello.nodes[0] \"summarize\": output_fields[1] \"a.b\" is not a valid field name")));
  hello = ValidHello();
  hello.mutable_nodes(0)->add_input_fields("text");
  EXPECT_THAT(Validate(hello), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("input_fields lists \"text\" twice")));
}

TEST_F(HelloValidatorTest, AGivenSchemaMustDescribeExactlyTheDeclaredStringFields) {
  v1::Hello hello = ValidHello();
  hello.mutable_nodes(0)->set_outputs_schema_json(
      R"({"type":"object","properties":{"summary":{"type":"string","description":"d"}}})");
  ASSERT_OK_AND_ASSIGN(WorkerSpec spec, Validate(hello));
  EXPECT_EQ(spec.nodes[0]->outputs_schema["properties"]["summary"]["description"], "d");

  hello.mutable_nodes(0)->set_outputs_schema_json(
      R"({"properties":{"summary":{"type":"integer"}}})");
  EXPECT_THAT(Validate(hello), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("property \"summary\" is not a string")));
  hello.mutable_nodes(0)->set_outputs_schema_json(R"({"properties":{}})");
  EXPECT_THAT(Validate(hello),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("does not describe the declared field \"summary\"")));
  hello.mutable_nodes(0)->set_outputs_schema_json(
      R"({"properties":{"summary":{"type":"string"},"x":{"type":"string"}}})");
  EXPECT_THAT(Validate(hello), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("\"x\", which is not a declared field")));
  hello.mutable_nodes(0)->set_outputs_schema_json("[1,2");
  EXPECT_THAT(Validate(hello),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a JSON object")));
}

TEST_F(HelloValidatorTest, DeadlinesComeFromTheNodeOrTheDefaultWithinTheMaximum) {
  limits_.default_deadline = absl::Seconds(30);
  v1::Hello hello = ValidHello();
  ASSERT_OK_AND_ASSIGN(WorkerSpec defaulted, Validate(hello));
  EXPECT_EQ(defaulted.nodes[0]->deadline, absl::Seconds(30));
  hello.mutable_nodes(0)->set_deadline_ms(1500);
  ASSERT_OK_AND_ASSIGN(WorkerSpec own, Validate(hello));
  EXPECT_EQ(own.nodes[0]->deadline, absl::Milliseconds(1500));
  hello.mutable_nodes(0)->set_deadline_ms(uint64_t{1} << 60);
  EXPECT_THAT(Validate(hello),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exceeds the maximum")));
}

TEST_F(HelloValidatorTest, SameDefinitionIgnoresFieldOrderAndDeadline) {
  v1::Hello a = ValidHello();
  v1::Hello b = ValidHello();
  b.mutable_nodes(0)->clear_input_fields();
  b.mutable_nodes(0)->add_input_fields("text");
  b.mutable_nodes(0)->add_input_fields("lang");
  b.mutable_nodes(0)->set_deadline_ms(10);
  ASSERT_OK_AND_ASSIGN(WorkerSpec spec_a, Validate(a));
  ASSERT_OK_AND_ASSIGN(WorkerSpec spec_b, Validate(b));
  EXPECT_TRUE(spec_a.nodes[0]->SameDefinition(*spec_b.nodes[0]));
  b.mutable_nodes(0)->add_secret_fields("other");
  ASSERT_OK_AND_ASSIGN(WorkerSpec spec_c, Validate(b));
  EXPECT_FALSE(spec_a.nodes[0]->SameDefinition(*spec_c.nodes[0]));
}

TEST_F(HelloValidatorTest, SchemasAndFieldListsAreBoundedAsTheProtoSays) {
  v1::Hello hello = ValidHello();
  v1::NodeDefinition& node = *hello.mutable_nodes(0);
  // Brackets inside strings do not count as nesting.
  node.set_inputs_schema_json(
      R"({"type":"object","title":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[","properties":{)"
      R"("text":{"type":"string"},"lang":{"type":"string"}}})");
  EXPECT_OK(Validate(hello).status());
  std::string deep = R"({"type":"object","properties":{"text":{"type":"string"},)"
                     R"("lang":{"type":"string"}},"x":)";
  for (int i = 0; i < 40; ++i) deep += "[";
  for (int i = 0; i < 40; ++i) deep += "]";
  node.set_inputs_schema_json(deep + "}");
  EXPECT_THAT(Validate(hello), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("nests 41 levels deep; at most 32")));
  node.set_inputs_schema_json(std::string(70000, ' ') + "{}");
  EXPECT_THAT(Validate(hello), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("is 70002 bytes; at most 65536")));
  node.clear_inputs_schema_json();
  // ValidHello's one output field and 1001 more.
  for (int i = 0; i < 1001; ++i) node.add_output_fields(absl::StrCat("o", i));
  EXPECT_THAT(Validate(hello), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("output_fields has 1002 fields; at most 1000")));
}

TEST_F(HelloValidatorTest, ForeignTextIsQuotedShortAndEscaped) {
  v1::Hello hello = ValidHello();
  hello.set_runtime_name(std::string(1 << 20, 'r') + "\n");
  const absl::Status status = Validate(hello).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("...\" (1048577 bytes) is not a valid name")));
  EXPECT_LT(status.message().size(), 300u);
  hello = ValidHello();
  hello.mutable_nodes(0)->set_inputs_schema_json(
      absl::StrCat(R"({"properties":{"text":{"type":"string"},"lang":{"type":"string"},")",
                   std::string(5000, 'k'), R"(":{"type":"string"}}})"));
  EXPECT_THAT(Validate(hello), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("(5000 bytes), which is not a declared field")));
}

}  // namespace
}  // namespace exosphere::sidecar
