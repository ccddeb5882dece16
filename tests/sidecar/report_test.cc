#include "sidecar/transport/report.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "sidecar/operations/refusal_fallback.h"

namespace exosphere::sidecar {
namespace {

// The bodies are exactly those of the contract, sections 2.6 to 2.9.
TEST(ReportTest, BodiesAndEndpointsMatchTheContract) {
  const Report executed = Report::Executed("s", {{{"a", "1"}}, {{"a", "2"}}});
  EXPECT_EQ(executed.Endpoint(), "executed");
  EXPECT_EQ(executed.Body().dump(), R"({"outputs":[{"a":"1"},{"a":"2"}]})");
  EXPECT_EQ(Report::Executed("s", {}).Body().dump(), R"({"outputs":[]})");
  const Report errored = Report::Errored("s", "boom");
  EXPECT_EQ(errored.Endpoint(), "errored");
  EXPECT_EQ(errored.Body().dump(), R"({"error":"boom"})");
  const Report pruned = Report::Pruned("s", {{"k", "v"}});
  EXPECT_EQ(pruned.Endpoint(), "prune");
  EXPECT_EQ(pruned.Body().dump(), R"({"data":{"k":"v"}})");
  EXPECT_EQ(Report::Pruned("s", nullptr).Body().dump(), R"({"data":{}})");
  const Report requeue = Report::RequeueAfter("s", 2500);
  EXPECT_EQ(requeue.Endpoint(), "re-enqueue-after");
  EXPECT_EQ(requeue.Body().dump(), R"({"enqueue_after":2500})");
}

TEST(ReportTest, EncodedBytesIsTheSizeOfTheDumpedBody) {
  std::string every_byte;
  for (int c = 1; c < 0x80; ++c) every_byte.push_back(static_cast<char>(c));
  every_byte += "\xc3\xa9\xe2\x82\xac";  // UTF-8 passes through unescaped
  const Report reports[] = {
      Report::Executed("s", {}),
      Report::Executed("s", {{}}),
      Report::Executed("s", {{{"a", "1"}}, {{"a", "2"}, {"b\"", every_byte}}, {}}),
      Report::Errored("s", ""),
      Report::Errored("s", every_byte),
      Report::Pruned("s", {{"k", {1, 2, "x"}}}),
      Report::RequeueAfter("s", 2500),
  };
  for (const Report& report : reports) {
    EXPECT_EQ(report.EncodedBytes(), json::Dump(report.Body()).size()) << json::Dump(report.Body());
  }
}

TEST(RefusalFallbackTest, EveryRefusalLeadsToAShorterStepUntilNothingIsLeft) {
  const std::string why = "HTTP 413: " + std::string(10000, 'w');
  std::optional<Fallback> next = FallbackAfterRefusal(Report::Executed("s", {}), false, why, 1000);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->step, FallbackStep::kReportErrored);
  EXPECT_EQ(next->report.state_id, "s");
  // The server's text is quoted, bounded.
  EXPECT_LE(next->report.error.size(), kMaxFallbackErrorBytes);

  next = FallbackAfterRefusal(Report::Errored("s", std::string(1 << 20, 'e')), false, why, 1000);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->step, FallbackStep::kTruncateError);
  EXPECT_LE(next->report.error.size(), kMaxFallbackErrorBytes);
  EXPECT_THAT(next->report.error, ::testing::HasSubstr("cut by the sidecar from 1048576 bytes"));

  // The cut message is within the bound, so its own refusal leads to the hand-back.
  next = FallbackAfterRefusal(next->report, false, why, 1000);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->step, FallbackStep::kHandBack);
  EXPECT_EQ(next->report.kind, Report::Kind::kRequeueAfter);
  EXPECT_EQ(next->report.delay_ms, 1000);

  EXPECT_FALSE(FallbackAfterRefusal(next->report, true, why, 1000).has_value());
}

TEST(RefusalFallbackTest, AMessageIsNeverCutInsideAUtf8Sequence) {
  // "x" then two-byte sequences: a cut at an even length would split one.
  std::string message;
  while (message.size() < 10000) message += "\xc3\xa9";
  const std::optional<Fallback> next =
      FallbackAfterRefusal(Report::Errored("s", "x" + message), false, "HTTP 413", 1);
  ASSERT_TRUE(next.has_value());
  const std::string& cut = next->report.error;
  const size_t kept = cut.find("...");
  ASSERT_NE(kept, std::string::npos);
  EXPECT_EQ((kept - 1) % 2, 0u) << "a two-byte sequence was split";
}

}  // namespace
}  // namespace exosphere::sidecar
