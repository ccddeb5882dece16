#include "exosphere/client/graph_types.h"

namespace exosphere::client {

const char* ToString(ValidationStatus status) {
  switch (status) {
    case ValidationStatus::kPending:
      return "PENDING";
    case ValidationStatus::kValid:
      return "VALID";
    case ValidationStatus::kInvalid:
      return "INVALID";
    case ValidationStatus::kUnspecified:
      break;
  }
  return "UNSPECIFIED";
}

const char* ToString(RetryStrategy strategy) {
  switch (strategy) {
    case RetryStrategy::kExponential:
      return "EXPONENTIAL";
    case RetryStrategy::kExponentialFullJitter:
      return "EXPONENTIAL_FULL_JITTER";
    case RetryStrategy::kExponentialEqualJitter:
      return "EXPONENTIAL_EQUAL_JITTER";
    case RetryStrategy::kLinear:
      return "LINEAR";
    case RetryStrategy::kLinearFullJitter:
      return "LINEAR_FULL_JITTER";
    case RetryStrategy::kLinearEqualJitter:
      return "LINEAR_EQUAL_JITTER";
    case RetryStrategy::kFixed:
      return "FIXED";
    case RetryStrategy::kFixedFullJitter:
      return "FIXED_FULL_JITTER";
    case RetryStrategy::kFixedEqualJitter:
      return "FIXED_EQUAL_JITTER";
  }
  return "UNSPECIFIED";
}

const char* ToString(UnitesStrategy strategy) {
  switch (strategy) {
    case UnitesStrategy::kAllSuccess:
      return "ALL_SUCCESS";
    case UnitesStrategy::kAllDone:
      return "ALL_DONE";
  }
  return "UNSPECIFIED";
}

}  // namespace exosphere::client
