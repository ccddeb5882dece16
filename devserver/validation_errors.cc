#include "devserver/validation_errors.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace exosphere::devserver {

Loc Child(const Loc& loc, Json part) {
  Loc child = loc;
  child.push_back(std::move(part));
  return child;
}

void ValidationErrors::Add(const Loc& loc, absl::string_view type, absl::string_view message,
                           const Json& input, std::optional<Json> ctx) {
  Json item = Json::object();
  item["type"] = std::string(type);
  item["loc"] = Json(loc);
  item["msg"] = std::string(message);
  item["input"] = input;
  if (ctx.has_value()) item["ctx"] = *std::move(ctx);
  items_.push_back(std::move(item));
}

void ValidationErrors::AddMissing(const Loc& loc, const Json& enclosing) {
  Add(loc, "missing", "Field required", enclosing);
}

void ValidationErrors::AddValueError(const Loc& loc, absl::string_view message, const Json& input) {
  Add(loc, "value_error", absl::StrCat("Value error, ", message), input,
      Json{{"error", Json::object()}});
}

Json ValidationErrors::ToResponseBody() const { return Json{{"detail", items_}}; }

}  // namespace exosphere::devserver
