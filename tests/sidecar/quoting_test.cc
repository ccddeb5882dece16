#include "sidecar/transport/quoting.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "common/log.h"
#include "sidecar/services/grpc_status.h"

namespace exosphere::sidecar {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(QuotingTest, ShortTextIsQuotedAndEscapedWhole) {
  EXPECT_EQ(QuoteForMessage("echo"), "\"echo\"");
  EXPECT_EQ(QuoteForMessage("a\nb\"c"), "\"a\\nb\\\"c\"");
  EXPECT_EQ(EscapeForLog("a\nb"), "a\\nb");
}

TEST(QuotingTest, LongTextIsCutWithItsFullSize) {
  const std::string name(1 << 20, 'n');
  EXPECT_EQ(QuoteForMessage(name, 4), "\"nnnn...\" (1048576 bytes)");
  EXPECT_EQ(EscapeForLog(name, 4), "nnnn... (1048576 bytes)");
  EXPECT_LT(QuoteForMessage(name).size(), 2 * kMaxQuotedBytes);
}

TEST(QuotingTest, Utf8PrefixNeverEndsInsideASequence) {
  const std::string euro = "\xe2\x82\xac";  // three bytes
  const std::string text = euro + euro;
  EXPECT_EQ(Utf8Prefix(text, 6), text);
  EXPECT_EQ(Utf8Prefix(text, 5), euro);
  EXPECT_EQ(Utf8Prefix(text, 4), euro);
  EXPECT_EQ(Utf8Prefix(text, 3), euro);
  EXPECT_EQ(Utf8Prefix(text, 2), "");
}

TEST(QuotingTest, OutgoingTextIsRedactedThenBounded) {
  log::RegisterSensitiveValue("sk-quoting-test-key");
  const std::string echoed = "HTTP 401: bad key sk-quoting-test-key";
  EXPECT_EQ(OutgoingText(echoed), "HTTP 401: bad key [redacted]");
  const std::string cut = OutgoingText(std::string(10000, 'x') + "sk-quoting-test-key", 100);
  EXPECT_THAT(cut, HasSubstr("... (9910 more bytes)"));
  EXPECT_THAT(cut, Not(HasSubstr("sk-quoting")));
  const grpc::Status status = ToGrpcStatus(absl::UnauthenticatedError(echoed));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), Not(HasSubstr("sk-quoting-test-key")));
}

}  // namespace
}  // namespace exosphere::sidecar
