#include "client/cpp/internal/result_encoder.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace exosphere::client::internal {
namespace {

using ::testing::HasSubstr;

class ResultEncoderTest : public ::testing::Test {
 protected:
  NodeSpec spec_{"sum", {"a"}, {"total", "count"}};
};

TEST_F(ResultEncoderTest, EncodesOutputsWithExtraKeys) {
  const v1::TaskResult result =
      EncodeResult("s1", spec_,
                   std::vector<StringMap>{{{"total", "3"}, {"count", "2"}, {"note", "x"}},
                                          {{"total", "4"}, {"count", "1"}}});
  EXPECT_EQ(result.state_id(), "s1");
  ASSERT_EQ(result.executed().outputs_size(), 2);
  EXPECT_EQ(result.executed().outputs(0).fields().at("note"), "x");
  EXPECT_EQ(result.executed().outputs(1).fields().at("total"), "4");
}

TEST_F(ResultEncoderTest, NamesTheIncompleteOutputAndItsMissingFields) {
  const v1::TaskResult one = EncodeResult("s1", spec_, StringMap{{"total", "3"}});
  EXPECT_EQ(one.errored().message(),
            "Node \"sum\" returned an incomplete output: Its output lacks the declared output "
            "field \"count\"");
  const v1::TaskResult many =
      EncodeResult("s1", spec_, std::vector<StringMap>{{{"total", "1"}, {"count", "1"}}, {}});
  EXPECT_THAT(many.errored().message(),
              HasSubstr("Output 1 of 2 lacks the declared output fields \"total\", \"count\""));
}

TEST_F(ResultEncoderTest, ZeroOutputsNeedNoFields) {
  const v1::TaskResult result = EncodeResult("s1", spec_, NodeResult());
  ASSERT_TRUE(result.has_executed());
  EXPECT_EQ(result.executed().outputs_size(), 0);
}

TEST_F(ResultEncoderTest, EncodesPruneWithData) {
  const v1::TaskResult result = EncodeResult("s1", spec_, NodeResult::Prune({{"why", "dup"}}));
  EXPECT_EQ(result.prune().data().fields().at("why").string_value(), "dup");
  google::protobuf::Struct data;
  (*data.mutable_fields())["n"].set_number_value(3);
  EXPECT_EQ(EncodeResult("s1", spec_, NodeResult::PruneWithStruct(data))
                .prune()
                .data()
                .fields()
                .at("n")
                .number_value(),
            3);
}

TEST_F(ResultEncoderTest, RoundsRequeueDelayUpAndRejectsNonPositiveOnes) {
  EXPECT_EQ(EncodeResult("s1", spec_, NodeResult::RequeueAfter(absl::Microseconds(1200)))
                .requeue_after()
                .delay_ms(),
            2u);
  EXPECT_EQ(EncodeResult("s1", spec_, NodeResult::RequeueAfter(absl::Milliseconds(-5)))
                .errored()
                .message(),
            "Delay must be greater than 0");
}

TEST_F(ResultEncoderTest, EncodesErrorsFromStatusesAndMessages) {
  EXPECT_EQ(EncodeResult("s1", spec_, absl::InternalError("db down")).errored().message(),
            "db down");
  EXPECT_EQ(
      EncodeResult("s1", spec_, absl::Status(absl::StatusCode::kAborted, "")).errored().message(),
      "ABORTED");
  EXPECT_EQ(EncodeResult("s1", spec_, NodeResult::Error("bad")).errored().message(), "bad");
  // An OK status is an executed result without outputs.
  EXPECT_TRUE(EncodeResult("s1", spec_, absl::OkStatus()).has_executed());
}

TEST(ErroredResultTest, CarriesStateAndMessage) {
  const v1::TaskResult result = ErroredResult("s2", "why");
  EXPECT_EQ(result.state_id(), "s2");
  EXPECT_EQ(result.errored().message(), "why");
}

}  // namespace
}  // namespace exosphere::client::internal
