#ifndef EXOSPHERE_SIDECAR_TRANSPORT_QUOTING_H_
#define EXOSPHERE_SIDECAR_TRANSPORT_QUOTING_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

// How the sidecar repeats text it did not write (a worker's names, a server's detail) in the
// statuses, messages and log lines it sends on: bounded, so that a 1 MiB name cannot become a
// 1 MiB status (which gRPC refuses as oversized metadata) or a 1 MiB log line.
namespace exosphere::sidecar {

// Longest piece of foreign text quoted in a message, before escaping.
inline constexpr size_t kMaxQuotedBytes = 96;

// `text` in double quotes, C-escaped (so control characters and invalid UTF-8 cannot garble a
// log line), cut to `max_bytes` of input with a note of the full size: `"abc"`, or
// `"abcdef..." (1048576 bytes)`.
std::string QuoteForMessage(absl::string_view text, size_t max_bytes = kMaxQuotedBytes);
// The same without the quotes, for a log field (the logger quotes values itself):
// `abc`, or `abcdef... (1048576 bytes)`.
std::string EscapeForLog(absl::string_view text, size_t max_bytes = kMaxQuotedBytes);

// The longest prefix of `text` of at most `max_bytes` that does not end inside a UTF-8
// sequence.
absl::string_view Utf8Prefix(absl::string_view text, size_t max_bytes);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_TRANSPORT_QUOTING_H_
