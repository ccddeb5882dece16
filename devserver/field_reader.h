#ifndef EXOSPHERE_DEVSERVER_FIELD_READER_H_
#define EXOSPHERE_DEVSERVER_FIELD_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

#include "devserver/json.h"
#include "devserver/validation_errors.h"

namespace exosphere::devserver {

// Reads typed fields out of a decoded request body with Pydantic 2 "lax" (Python-mode)
// semantics, the way FastAPI validates bodies: integers accept integral floats, numeric strings
// and booleans; strings accept only strings; models accept only objects. Every failure is
// recorded in the ValidationErrors with Pydantic's type, message and input, and the accessor
// returns an empty result. Not thread-safe; one per request.
class FieldReader {
 public:
  explicit FieldReader(ValidationErrors& errors) : errors_(errors) {}

  ValidationErrors& errors() { return errors_; }

  // A value that must be a model (an object). Records `model_attributes_type`.
  bool ExpectModel(const Json& value, const Loc& loc);
  // The member `key` of a model object; records `missing` when absent.
  const Json* Required(const Json& object, const std::string& key, const Loc& loc);
  // The member `key` of a model object, or nullptr (no error) when absent.
  static const Json* Optional(const Json& object, const std::string& key);

  std::optional<std::string> String(const Json& value, const Loc& loc);
  std::optional<int64_t> Int(const Json& value, const Loc& loc);
  // Dict[str, Any]: returns the object itself.
  const Json* Dict(const Json& value, const Loc& loc);
  // List[Any]: returns the array itself.
  const Json* List(const Json& value, const Loc& loc);
  // Dict[str, str]: returns a copy with every value checked (errors at loc + key).
  std::optional<Json> StringDict(const Json& value, const Loc& loc);
  // List[str] (errors at loc + index).
  std::optional<std::vector<std::string>> StringList(const Json& value, const Loc& loc);
  // A str-valued Enum: the input must equal one of `allowed`.
  std::optional<std::string> Enum(const Json& value, const Loc& loc,
                                  const std::vector<absl::string_view>& allowed);

  // Field constraints; `value` is the converted number, `input` the raw one.
  bool GreaterThan(int64_t value, int64_t bound, const Json& input, const Loc& loc);
  bool GreaterThanOrEqual(int64_t value, int64_t bound, const Json& input, const Loc& loc);

  void ValueError(const Loc& loc, absl::string_view message, const Json& input) {
    errors_.AddValueError(loc, message, input);
  }

 private:
  ValidationErrors& errors_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_FIELD_READER_H_
