#include "devserver/field_reader.h"

#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace exosphere::devserver {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// Pydantic parses "  -12 " and "12.000" as integers. Python integers are unbounded; the devserver
// saturates at the int64 range.
std::optional<int64_t> ParseIntegerText(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return std::nullopt;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  const size_t dot = text.find('.');
  absl::string_view digits = text.substr(0, dot);
  if (dot != absl::string_view::npos) {
    for (char c : text.substr(dot + 1)) {
      if (c != '0') return std::nullopt;
    }
  }
  if (digits.empty()) return std::nullopt;
  __int128 value = 0;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    // Saturate once past the int64 range; the remaining digits only need checking.
    if (value <= kInt64Max) value = value * 10 + (c - '0');
  }
  if (negative) value = -value;
  if (value > kInt64Max) return kInt64Max;
  if (value < kInt64Min) return kInt64Min;
  return static_cast<int64_t>(value);
}

std::string EnumExpectation(const std::vector<absl::string_view>& allowed) {
  std::vector<std::string> quoted;
  quoted.reserve(allowed.size());
  for (absl::string_view name : allowed) quoted.push_back(absl::StrCat("'", name, "'"));
  if (quoted.size() == 1) return quoted[0];
  const std::string last = quoted.back();
  quoted.pop_back();
  return absl::StrCat(absl::StrJoin(quoted, ", "), " or ", last);
}

}  // namespace

bool FieldReader::ExpectModel(const Json& value, const Loc& loc) {
  if (value.is_object()) return true;
  errors_.Add(loc, "model_attributes_type",
              "Input should be a valid dictionary or object to extract fields from", value);
  return false;
}

const Json* FieldReader::Required(const Json& object, const std::string& key, const Loc& loc) {
  const Json* member = FindMember(object, key);
  if (member == nullptr) errors_.AddMissing(Child(loc, key), object);
  return member;
}

const Json* FieldReader::Optional(const Json& object, const std::string& key) {
  return FindMember(object, key);
}

std::optional<std::string> FieldReader::String(const Json& value, const Loc& loc) {
  if (value.is_string()) return value.get<std::string>();
  errors_.Add(loc, "string_type", "Input should be a valid string", value);
  return std::nullopt;
}

std::optional<int64_t> FieldReader::Int(const Json& value, const Loc& loc) {
  switch (value.type()) {
    case Json::value_t::number_integer:
      return value.get<int64_t>();
    case Json::value_t::number_unsigned: {
      const auto unsigned_value = value.get<uint64_t>();
      return unsigned_value > static_cast<uint64_t>(kInt64Max)
                 ? kInt64Max
                 : static_cast<int64_t>(unsigned_value);
    }
    case Json::value_t::boolean:
      return value.get<bool>() ? 1 : 0;
    case Json::value_t::number_float: {
      const double number = value.get<double>();
      if (!std::isfinite(number)) {
        errors_.Add(loc, "finite_number", "Input should be a finite number", value);
        return std::nullopt;
      }
      if (std::trunc(number) != number) {
        errors_.Add(loc, "int_from_float",
                    "Input should be a valid integer, got a number with a fractional part", value);
        return std::nullopt;
      }
      if (number >= 9.2233720368547758e18) return kInt64Max;
      if (number <= -9.2233720368547758e18) return kInt64Min;
      return static_cast<int64_t>(number);
    }
    case Json::value_t::string: {
      std::optional<int64_t> parsed = ParseIntegerText(value.get_ref<const std::string&>());
      if (!parsed.has_value()) {
        errors_.Add(loc, "int_parsing",
                    "Input should be a valid integer, unable to parse string as an integer", value);
      }
      return parsed;
    }
    default:
      errors_.Add(loc, "int_type", "Input should be a valid integer", value);
      return std::nullopt;
  }
}

const Json* FieldReader::Dict(const Json& value, const Loc& loc) {
  if (value.is_object()) return &value;
  errors_.Add(loc, "dict_type", "Input should be a valid dictionary", value);
  return nullptr;
}

const Json* FieldReader::List(const Json& value, const Loc& loc) {
  if (value.is_array()) return &value;
  errors_.Add(loc, "list_type", "Input should be a valid list", value);
  return nullptr;
}

std::optional<Json> FieldReader::StringDict(const Json& value, const Loc& loc) {
  if (Dict(value, loc) == nullptr) return std::nullopt;
  bool ok = true;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!it.value().is_string()) {
      errors_.Add(Child(loc, it.key()), "string_type", "Input should be a valid string",
                  it.value());
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return value;
}

std::optional<std::vector<std::string>> FieldReader::StringList(const Json& value, const Loc& loc) {
  if (List(value, loc) == nullptr) return std::nullopt;
  std::vector<std::string> items;
  bool ok = true;
  for (size_t i = 0; i < value.size(); ++i) {
    std::optional<std::string> item = String(value[i], Child(loc, static_cast<int64_t>(i)));
    if (item.has_value()) {
      items.push_back(*std::move(item));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return items;
}

std::optional<std::string> FieldReader::Enum(const Json& value, const Loc& loc,
                                             const std::vector<absl::string_view>& allowed) {
  if (value.is_string()) {
    for (absl::string_view name : allowed) {
      if (value.get_ref<const std::string&>() == name) return std::string(name);
    }
  }
  const std::string expected = EnumExpectation(allowed);
  errors_.Add(loc, "enum", absl::StrCat("Input should be ", expected), value,
              Json{{"expected", expected}});
  return std::nullopt;
}

bool FieldReader::GreaterThan(int64_t value, int64_t bound, const Json& input, const Loc& loc) {
  if (value > bound) return true;
  errors_.Add(loc, "greater_than", absl::StrCat("Input should be greater than ", bound), input,
              Json{{"gt", bound}});
  return false;
}

bool FieldReader::GreaterThanOrEqual(int64_t value, int64_t bound, const Json& input,
                                     const Loc& loc) {
  if (value >= bound) return true;
  errors_.Add(loc, "greater_than_equal",
              absl::StrCat("Input should be greater than or equal to ", bound), input,
              Json{{"ge", bound}});
  return false;
}

}  // namespace exosphere::devserver
