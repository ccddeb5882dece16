#include "common/ids.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace exosphere::ids {
namespace {

TEST(IdsTest, ObjectIdsAreUniqueLowercaseHexAndIncreasing) {
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewObjectId();
    EXPECT_TRUE(IsObjectId(id)) << id;
    EXPECT_EQ(id.find_first_of("ABCDEF"), std::string::npos);
    EXPECT_TRUE(seen.insert(id).second);
    previous = id;
  }
  EXPECT_FALSE(IsObjectId("123"));
  EXPECT_FALSE(IsObjectId("zzzzzzzzzzzzzzzzzzzzzzzz"));
}

TEST(IdsTest, Uuid4HasVersionAndVariantBits) {
  for (int i = 0; i < 100; ++i) {
    std::string id = NewUuid4();
    ASSERT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '4');
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
  }
  EXPECT_FALSE(IsUuid("not-a-uuid"));
  EXPECT_TRUE(IsUuid("123E4567-E89B-42D3-A456-426614174000"));
}

}  // namespace
}  // namespace exosphere::ids
