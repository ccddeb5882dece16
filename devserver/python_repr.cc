#include "devserver/python_repr.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace exosphere::devserver {
namespace {

// Decodes one UTF-8 sequence at `text[*pos]`; returns the code point or -1 for invalid bytes
// (advancing by one byte).
int32_t NextCodePoint(absl::string_view text, size_t* pos) {
  const auto byte = static_cast<unsigned char>(text[*pos]);
  int length = 0;
  int32_t code_point = 0;
  if (byte < 0x80) {
    ++*pos;
    return byte;
  } else if ((byte & 0xe0) == 0xc0) {
    length = 2;
    code_point = byte & 0x1f;
  } else if ((byte & 0xf0) == 0xe0) {
    length = 3;
    code_point = byte & 0x0f;
  } else if ((byte & 0xf8) == 0xf0) {
    length = 4;
    code_point = byte & 0x07;
  } else {
    ++*pos;
    return -1;
  }
  if (*pos + length > text.size()) {
    ++*pos;
    return -1;
  }
  for (int i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[*pos + i]);
    if ((next & 0xc0) != 0x80) {
      ++*pos;
      return -1;
    }
    code_point = (code_point << 6) | (next & 0x3f);
  }
  *pos += length;
  return code_point;
}

// Python 3's str.isprintable() approximated for repr(): ASCII control characters, DEL, the C1
// controls and surrogates are escaped; everything else is printed as is.
bool IsPrintable(int32_t code_point) {
  if (code_point < 0x20 || code_point == 0x7f) return false;
  if (code_point >= 0x80 && code_point < 0xa0) return false;
  if (code_point == 0xad) return false;
  if (code_point >= 0xd800 && code_point <= 0xdfff) return false;
  if (code_point == 0x2028 || code_point == 0x2029) return false;
  return true;
}

void AppendUtf8(int32_t code_point, std::string& out) {
  const auto cp = static_cast<uint32_t>(code_point);
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// float.__repr__: the shortest digits that round-trip, in exponent form when the decimal exponent
// is below -4 or at least 16.
std::string FloatRepr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char digits[64];
  int precision = 1;
  for (; precision <= 17; ++precision) {
    std::snprintf(digits, sizeof(digits), "%.*e", precision - 1, value);
    if (std::strtod(digits, nullptr) == value) break;
  }
  // digits looks like "-d.ddde+XX"; split mantissa digits and exponent.
  std::string text(digits);
  bool negative = false;
  if (!text.empty() && text[0] == '-') {
    negative = true;
    text.erase(0, 1);
  }
  const size_t e_pos = text.find('e');
  std::string mantissa = text.substr(0, e_pos);
  const int exponent = std::atoi(text.c_str() + e_pos + 1);
  std::string significant;
  for (char c : mantissa) {
    if (c != '.') significant.push_back(c);
  }
  while (significant.size() > 1 && significant.back() == '0') significant.pop_back();
  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 16) {
    out += significant.substr(0, 1);
    if (significant.size() > 1) absl::StrAppend(&out, ".", significant.substr(1));
    absl::StrAppendFormat(&out, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out;
  }
  if (exponent < 0) {
    out += "0.";
    out.append(static_cast<size_t>(-exponent) - 1, '0');
    out += significant;
    return out;
  }
  const size_t integer_digits = static_cast<size_t>(exponent) + 1;
  if (significant.size() <= integer_digits) {
    out += significant;
    out.append(integer_digits - significant.size(), '0');
    out += ".0";
  } else {
    out += significant.substr(0, integer_digits);
    absl::StrAppend(&out, ".", significant.substr(integer_digits));
  }
  return out;
}

}  // namespace

std::string PythonStringRepr(absl::string_view text) {
  const bool has_single = absl::StrContains(text, '\'');
  const bool has_double = absl::StrContains(text, '"');
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  size_t pos = 0;
  while (pos < text.size()) {
    const int32_t cp = NextCodePoint(text, &pos);
    if (cp < 0) {
      // Python strings hold no undecodable bytes; show a replacement character.
      AppendUtf8(0xfffd, out);
      continue;
    }
    if (cp == quote || cp == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (!IsPrintable(cp)) {
      if (cp < 0x100) {
        absl::StrAppendFormat(&out, "\\x%02x", cp);
      } else if (cp < 0x10000) {
        absl::StrAppendFormat(&out, "\\u%04x", cp);
      } else {
        absl::StrAppendFormat(&out, "\\U%08x", cp);
      }
    } else {
      AppendUtf8(cp, out);
    }
  }
  out.push_back(quote);
  return out;
}

std::string PythonRepr(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "None";
    case Json::value_t::boolean:
      return value.get<bool>() ? "True" : "False";
    case Json::value_t::number_integer:
      return absl::StrCat(value.get<int64_t>());
    case Json::value_t::number_unsigned:
      return absl::StrCat(value.get<uint64_t>());
    case Json::value_t::number_float:
      return FloatRepr(value.get<double>());
    case Json::value_t::string:
      return PythonStringRepr(value.get_ref<const std::string&>());
    case Json::value_t::array: {
      std::vector<std::string> items;
      for (const Json& item : value) items.push_back(PythonRepr(item));
      return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
    }
    case Json::value_t::object: {
      std::vector<std::string> items;
      for (auto it = value.begin(); it != value.end(); ++it) {
        items.push_back(absl::StrCat(PythonStringRepr(it.key()), ": ", PythonRepr(it.value())));
      }
      return absl::StrCat("{", absl::StrJoin(items, ", "), "}");
    }
    default:
      return "None";
  }
}

std::string PythonStr(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  return PythonRepr(value);
}

std::string PythonSetRepr(const std::vector<std::string>& items) {
  if (items.empty()) return "set()";
  std::vector<std::string> reprs;
  reprs.reserve(items.size());
  for (const std::string& item : items) reprs.push_back(PythonStringRepr(item));
  return absl::StrCat("{", absl::StrJoin(reprs, ", "), "}");
}

std::string TruncateForPydantic(const std::string& repr) {
  // Pydantic counts characters, not bytes.
  std::vector<size_t> starts;
  size_t pos = 0;
  while (pos < repr.size()) {
    starts.push_back(pos);
    NextCodePoint(repr, &pos);
  }
  if (starts.size() <= 50) return repr;
  const std::string head = repr.substr(0, starts[25]);
  const std::string tail = repr.substr(starts[starts.size() - 24]);
  return absl::StrCat(head, "...", tail);
}

absl::string_view PythonTypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "NoneType";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "int";
    case Json::value_t::number_float:
      return "float";
    case Json::value_t::string:
      return "str";
    case Json::value_t::array:
      return "list";
    case Json::value_t::object:
      return "dict";
    default:
      return "object";
  }
}

}  // namespace exosphere::devserver
