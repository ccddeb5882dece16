#ifndef EXOSPHERE_DEVSERVER_VALIDATION_ERRORS_H_
#define EXOSPHERE_DEVSERVER_VALIDATION_ERRORS_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/strings/string_view.h"

#include "devserver/json.h"

namespace exosphere::devserver {

// A location inside a request, as FastAPI reports it: {"body", "nodes", 0, "identifier"}.
using Loc = std::vector<Json>;
Loc Child(const Loc& loc, Json part);

// The items of a FastAPI 422 response (`{"detail": [...]}`), collected while a request is
// validated. Each item has `type`, `loc`, `msg`, `input` and, for some types, `ctx`, exactly like
// Pydantic 2.11's `errors(include_url=False)`. Not thread-safe; one per request.
class ValidationErrors {
 public:
  void Add(const Loc& loc, absl::string_view type, absl::string_view message, const Json& input,
           std::optional<Json> ctx = std::nullopt);
  // `missing`: Pydantic reports the enclosing object as the input.
  void AddMissing(const Loc& loc, const Json& enclosing);
  // A custom validator's ValueError: "Value error, <message>" with ctx {"error": {}}.
  void AddValueError(const Loc& loc, absl::string_view message, const Json& input);

  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const Json& items() const { return items_; }
  // {"detail": [...]}
  Json ToResponseBody() const;

 private:
  Json items_ = Json::array();
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_VALIDATION_ERRORS_H_
