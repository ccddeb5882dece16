#include "devserver/secret_codec.h"

#include <string>

#include "absl/random/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::devserver {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(SecretCodecTest, RoundTripsWithoutShowingThePlaintext) {
  absl::InsecureBitGen bitgen(std::seed_seq{7});
  for (const std::string plaintext : {"", "s3cr3t-value", "unicode \xc3\xa9 \x01\x02"}) {
    const std::string encoded = SecretCodec::Encode(plaintext, bitgen);
    if (!plaintext.empty()) {
      EXPECT_THAT(encoded, Not(HasSubstr(plaintext)));
    }
    EXPECT_EQ(encoded.size() % 4, 0u);
    ASSERT_OK_AND_ASSIGN(std::string decoded, SecretCodec::Decode(encoded));
    EXPECT_EQ(decoded, plaintext);
  }
}

TEST(SecretCodecTest, SameValueEncodesDifferentlyEachTime) {
  absl::InsecureBitGen bitgen(std::seed_seq{7});
  EXPECT_NE(SecretCodec::Encode("value", bitgen), SecretCodec::Encode("value", bitgen));
}

TEST(SecretCodecTest, RejectsForeignEncodings) {
  EXPECT_THAT(SecretCodec::Decode("%%%"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(SecretCodec::Decode("c2hvcnQ="),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

}  // namespace
}  // namespace exosphere::devserver
