#include "devserver/python_json_decoder.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <utility>

#include "absl/strings/numbers.h"

namespace exosphere::devserver {
namespace {

// CPython raises RecursionError somewhere below its default limit of 1000 frames (the request
// handling stack uses some of them); FastAPI turns that into a 400.
constexpr int kMaxDepth = 900;
// CPython refuses to convert integer literals longer than this
// (sys.int_info.str_digits_check_threshold).
constexpr size_t kMaxIntegerDigits = 4300;

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int length;
    uint32_t min;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      length = 2;
      min = 0x80;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3;
      min = 0x800;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4;
      min = 0x10000;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (int k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (next & 0x3f);
    }
    // json.loads decodes with 'surrogatepass', so encoded surrogates are accepted.
    if (cp < min || cp > 0x10ffff) return false;
    i += length;
  }
  return true;
}

void AppendUtf8(uint32_t cp, std::string& out) {
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

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A failure inside the recursive descent; `stop_iteration` marks CPython's StopIteration (a value
// was expected at `position`), which the top level reports as "Expecting value".
struct Failure {
  bool other = false;
  std::string message;
  size_t position = 0;  // byte offset; converted to characters at the end
};

class Decoder {
 public:
  explicit Decoder(absl::string_view text) : text_(text) {}

  bool DecodeDocument(Json& out) {
    size_t idx = SkipWhitespace(0);
    size_t end;
    if (!ScanOnce(idx, 0, out, end)) return false;
    end = SkipWhitespace(end);
    if (end != text_.size()) return Fail("Extra data", end);
    return true;
  }

  const Failure& failure() const { return failure_; }

 private:
  size_t SkipWhitespace(size_t idx) const {
    while (idx < text_.size() &&
           (text_[idx] == ' ' || text_[idx] == '\t' || text_[idx] == '\n' || text_[idx] == '\r')) {
      ++idx;
    }
    return idx;
  }

  bool Fail(const char* message, size_t position) {
    failure_.message = message;
    failure_.position = position;
    return false;
  }

  bool FailOther(const char* message) {
    failure_.other = true;
    failure_.message = message;
    return false;
  }

  bool Matches(size_t idx, absl::string_view word) const {
    return text_.size() >= idx + word.size() && text_.substr(idx, word.size()) == word;
  }

  bool ScanOnce(size_t idx, int depth, Json& out, size_t& next) {
    if (idx >= text_.size()) return Fail("Expecting value", idx);
    const char c = text_[idx];
    switch (c) {
      case '"': {
        std::string value;
        if (!ScanString(idx + 1, value, next)) return false;
        out = std::move(value);
        return true;
      }
      case '{':
        if (depth >= kMaxDepth) return FailOther("maximum recursion depth exceeded");
        return ParseObject(idx + 1, depth + 1, out, next);
      case '[':
        if (depth >= kMaxDepth) return FailOther("maximum recursion depth exceeded");
        return ParseArray(idx + 1, depth + 1, out, next);
      case 'n':
        if (Matches(idx, "null")) {
          out = nullptr;
          next = idx + 4;
          return true;
        }
        break;
      case 't':
        if (Matches(idx, "true")) {
          out = true;
          next = idx + 4;
          return true;
        }
        break;
      case 'f':
        if (Matches(idx, "false")) {
          out = false;
          next = idx + 5;
          return true;
        }
        break;
      case 'N':
        if (Matches(idx, "NaN")) {
          out = std::numeric_limits<double>::quiet_NaN();
          next = idx + 3;
          return true;
        }
        break;
      case 'I':
        if (Matches(idx, "Infinity")) {
          out = std::numeric_limits<double>::infinity();
          next = idx + 8;
          return true;
        }
        break;
      case '-':
        if (Matches(idx, "-Infinity")) {
          out = -std::numeric_limits<double>::infinity();
          next = idx + 9;
          return true;
        }
        break;
      default:
        break;
    }
    return MatchNumber(idx, out, next);
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  bool MatchNumber(size_t start, Json& out, size_t& next) {
    size_t idx = start;
    const size_t len = text_.size();
    if (idx < len && text_[idx] == '-') {
      ++idx;
      if (idx >= len) return Fail("Expecting value", start);
    }
    if (idx < len && text_[idx] >= '1' && text_[idx] <= '9') {
      ++idx;
      while (idx < len && IsDigit(text_[idx])) ++idx;
    } else if (idx < len && text_[idx] == '0') {
      ++idx;
    } else {
      return Fail("Expecting value", start);
    }
    bool is_float = false;
    if (idx + 1 < len && text_[idx] == '.' && IsDigit(text_[idx + 1])) {
      is_float = true;
      idx += 2;
      while (idx < len && IsDigit(text_[idx])) ++idx;
    }
    if (idx + 1 < len && (text_[idx] == 'e' || text_[idx] == 'E')) {
      const size_t e_start = idx;
      ++idx;
      if (idx + 1 < len && (text_[idx] == '-' || text_[idx] == '+')) ++idx;
      while (idx < len && IsDigit(text_[idx])) ++idx;
      if (IsDigit(text_[idx - 1])) {
        is_float = true;
      } else {
        idx = e_start;
      }
    }
    const std::string literal(text_.substr(start, idx - start));
    next = idx;
    if (is_float) {
      errno = 0;
      out = std::strtod(literal.c_str(), nullptr);
      return true;
    }
    const size_t digits = literal.size() - (literal[0] == '-' ? 1 : 0);
    if (digits > kMaxIntegerDigits) {
      return FailOther("Exceeds the limit (4300 digits) for integer string conversion");
    }
    int64_t signed_value;
    uint64_t unsigned_value;
    if (absl::SimpleAtoi(literal, &signed_value)) {
      out = signed_value;
    } else if (absl::SimpleAtoi(literal, &unsigned_value)) {
      out = unsigned_value;
    } else {
      // Python integers are unbounded; the closest we can keep is a double.
      out = std::strtod(literal.c_str(), nullptr);
    }
    return true;
  }

  // `end` is the index just after the opening quote.
  bool ScanString(size_t end, std::string& out, size_t& next) {
    const size_t begin = end - 1;
    const size_t len = text_.size();
    while (true) {
      size_t pos = end;
      char c = 0;
      for (; pos < len; ++pos) {
        c = text_[pos];
        if (c == '"' || c == '\\') break;
        if (static_cast<unsigned char>(c) <= 0x1f) return Fail("Invalid control character at", pos);
      }
      if (pos >= len) return Fail("Unterminated string starting at", begin);
      out.append(text_.data() + end, pos - end);
      if (c == '"') {
        next = pos + 1;
        return true;
      }
      // Backslash.
      ++pos;
      if (pos >= len) return Fail("Unterminated string starting at", begin);
      c = text_[pos];
      if (c != 'u') {
        switch (c) {
          case '"':
            out.push_back('"');
            break;
          case '\\':
            out.push_back('\\');
            break;
          case '/':
            out.push_back('/');
            break;
          case 'b':
            out.push_back('\b');
            break;
          case 'f':
            out.push_back('\f');
            break;
          case 'n':
            out.push_back('\n');
            break;
          case 'r':
            out.push_back('\r');
            break;
          case 't':
            out.push_back('\t');
            break;
          default:
            return Fail("Invalid \\escape", pos - 1);
        }
        end = pos + 1;
        continue;
      }
      // \uXXXX; `u_pos` is where CPython reports problems.
      const size_t u_pos = pos;
      size_t hex = pos + 1;
      if (hex + 4 >= len) return Fail("Invalid \\uXXXX escape", u_pos);
      uint32_t cp = 0;
      for (size_t k = 0; k < 4; ++k) {
        const int digit = HexValue(text_[hex + k]);
        if (digit < 0) return Fail("Invalid \\uXXXX escape", u_pos);
        cp = (cp << 4) | static_cast<uint32_t>(digit);
      }
      end = hex + 4;
      if (cp >= 0xd800 && cp <= 0xdbff && end + 6 < len && text_[end] == '\\' &&
          text_[end + 1] == 'u') {
        uint32_t low = 0;
        for (size_t k = 0; k < 4; ++k) {
          const int digit = HexValue(text_[end + 2 + k]);
          if (digit < 0) return Fail("Invalid \\uXXXX escape", end + 1);
          low = (low << 4) | static_cast<uint32_t>(digit);
        }
        if (low >= 0xdc00 && low <= 0xdfff) {
          cp = 0x10000 + (((cp - 0xd800) << 10) | (low - 0xdc00));
          end += 6;
        }
      }
      AppendUtf8(cp, out);
    }
  }

  bool ParseObject(size_t idx, int depth, Json& out, size_t& next) {
    out = Json::object();
    const size_t len = text_.size();
    idx = SkipWhitespace(idx);
    if (idx < len && text_[idx] == '}') {
      next = idx + 1;
      return true;
    }
    while (true) {
      if (idx >= len || text_[idx] != '"') {
        return Fail("Expecting property name enclosed in double quotes", idx);
      }
      std::string key;
      if (!ScanString(idx + 1, key, idx)) return false;
      idx = SkipWhitespace(idx);
      if (idx >= len || text_[idx] != ':') return Fail("Expecting ':' delimiter", idx);
      idx = SkipWhitespace(idx + 1);
      Json value;
      if (!ScanOnce(idx, depth, value, idx)) return false;
      out[key] = std::move(value);
      idx = SkipWhitespace(idx);
      if (idx < len && text_[idx] == '}') {
        next = idx + 1;
        return true;
      }
      if (idx >= len || text_[idx] != ',') return Fail("Expecting ',' delimiter", idx);
      idx = SkipWhitespace(idx + 1);
    }
  }

  bool ParseArray(size_t idx, int depth, Json& out, size_t& next) {
    out = Json::array();
    const size_t len = text_.size();
    idx = SkipWhitespace(idx);
    if (idx < len && text_[idx] == ']') {
      next = idx + 1;
      return true;
    }
    while (true) {
      Json value;
      if (!ScanOnce(idx, depth, value, idx)) return false;
      out.push_back(std::move(value));
      idx = SkipWhitespace(idx);
      if (idx < len && text_[idx] == ']') {
        next = idx + 1;
        return true;
      }
      if (idx >= len || text_[idx] != ',') return Fail("Expecting ',' delimiter", idx);
      idx = SkipWhitespace(idx + 1);
    }
  }

  absl::string_view text_;
  Failure failure_;
};

int64_t CharacterOffset(absl::string_view text, size_t byte_offset) {
  int64_t characters = 0;
  for (size_t i = 0; i < byte_offset && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) ++characters;
  }
  return characters;
}

}  // namespace

PythonJsonResult DecodePythonJson(absl::string_view body) {
  PythonJsonResult result;
  if (body.size() >= 3 && body.substr(0, 3) == "\xef\xbb\xbf") body.remove_prefix(3);
  if (!IsValidUtf8(body)) {
    result.outcome = PythonJsonResult::Outcome::kOtherError;
    result.message = "invalid UTF-8";
    return result;
  }
  Decoder decoder(body);
  if (decoder.DecodeDocument(result.value)) return result;
  const Failure& failure = decoder.failure();
  result.value = nullptr;
  result.message = failure.message;
  if (failure.other) {
    result.outcome = PythonJsonResult::Outcome::kOtherError;
  } else {
    result.outcome = PythonJsonResult::Outcome::kDecodeError;
    result.position = CharacterOffset(body, failure.position);
  }
  return result;
}

}  // namespace exosphere::devserver
