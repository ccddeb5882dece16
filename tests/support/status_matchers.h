#ifndef EXOSPHERE_TESTS_SUPPORT_STATUS_MATCHERS_H_
#define EXOSPHERE_TESTS_SUPPORT_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

// gMock matchers for absl::Status and absl::StatusOr<T> that print the status on failure:
//   EXPECT_THAT(DoIt(), IsOk());
//   EXPECT_THAT(DoIt(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("state")));
//   ASSERT_OK_AND_ASSIGN(auto value, MaybeValue());
namespace exosphere::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + absl::StatusCodeToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::Matches(message_matcher)(std::string(status.message()));
}

}  // namespace exosphere::testing

#define EXO_TEST_CONCAT_INNER_(a, b) a##b
#define EXO_TEST_CONCAT_(a, b) EXO_TEST_CONCAT_INNER_(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(EXO_TEST_CONCAT_(exo_test_statusor_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                               \
  ASSERT_TRUE(statusor.ok()) << statusor.status();      \
  lhs = *std::move(statusor)
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::exosphere::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::exosphere::testing::IsOk())

#endif  // EXOSPHERE_TESTS_SUPPORT_STATUS_MATCHERS_H_
