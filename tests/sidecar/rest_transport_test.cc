#include "sidecar/transport/rest_transport.h"

#include "gtest/gtest.h"

namespace exosphere::sidecar {
namespace {

TEST(EscapePathSegmentTest, EncodesEverythingButUnreservedCharacters) {
  EXPECT_EQ(EscapePathSegment("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(EscapePathSegment("a/b c?"), "a%2Fb%20c%3F");
}

}  // namespace
}  // namespace exosphere::sidecar
