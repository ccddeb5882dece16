#include "sidecar/transport/quoting.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace exosphere::sidecar {

std::string QuoteForMessage(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return absl::StrCat("\"", absl::CHexEscape(text), "\"");
  return absl::StrCat("\"", absl::CHexEscape(Utf8Prefix(text, max_bytes)), "...\" (", text.size(),
                      " bytes)");
}

std::string EscapeForLog(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return absl::CHexEscape(text);
  return absl::StrCat(absl::CHexEscape(Utf8Prefix(text, max_bytes)), "... (", text.size(),
                      " bytes)");
}

absl::string_view Utf8Prefix(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut sequence, and drop it.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace exosphere::sidecar
