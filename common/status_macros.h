#ifndef EXOSPHERE_COMMON_STATUS_MACROS_H_
#define EXOSPHERE_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns early from the enclosing function when `expr` (an absl::Status) is not OK.
#define EXO_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::absl::Status exo_status_ = (expr);       \
    if (!exo_status_.ok()) return exo_status_; \
  } while (false)

#define EXO_STATUS_CONCAT_INNER_(a, b) a##b
#define EXO_STATUS_CONCAT_(a, b) EXO_STATUS_CONCAT_INNER_(a, b)

// `EXO_ASSIGN_OR_RETURN(auto value, MaybeValue());` declares or assigns `value` from an
// absl::StatusOr, returning its status from the enclosing function when it is not OK.
#define EXO_ASSIGN_OR_RETURN(lhs, expr) \
  EXO_ASSIGN_OR_RETURN_IMPL_(EXO_STATUS_CONCAT_(exo_statusor_, __LINE__), lhs, expr)

#define EXO_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr)    \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#endif  // EXOSPHERE_COMMON_STATUS_MACROS_H_
