#include "sidecar/transport/http1_response_parser.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace exosphere::sidecar {
namespace {

// Above this, a head (or a chunk-size or trailer line) is not what a state manager sends.
constexpr size_t kMaxHeadBytes = 64 << 10;

absl::Status Malformed(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat("malformed HTTP response: ", what));
}

// Whether the comma-separated header value lists `token` (case-insensitively).
bool ListsToken(absl::string_view value, absl::string_view token) {
  for (absl::string_view item : absl::StrSplit(value, ',')) {
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(item), token)) return true;
  }
  return false;
}

}  // namespace

Http1ResponseParser::Http1ResponseParser(size_t max_body_bytes, bool no_body)
    : max_body_bytes_(max_body_bytes), no_body_(no_body) {}

bool Http1ResponseParser::TakeLine(absl::string_view& data) {
  const size_t newline = data.find('\n');
  if (newline == absl::string_view::npos) {
    head_.append(data.data(), data.size());
    data.remove_prefix(data.size());
    return false;
  }
  head_.append(data.data(), newline + 1);
  data.remove_prefix(newline + 1);
  return true;
}

absl::Status Http1ResponseParser::Feed(absl::string_view data) {
  if (!data.empty()) started_ = true;
  while (!data.empty()) {
    switch (phase_) {
      case Phase::kHead: {
        // The blank line may straddle two pieces: search from a little before the new bytes.
        const size_t from = head_.size() < 3 ? 0 : head_.size() - 3;
        head_.append(data.data(), data.size());
        data.remove_prefix(data.size());
        const size_t end = head_.find("\r\n\r\n", from);
        if (end == std::string::npos) {
          if (head_.size() > kMaxHeadBytes) return Malformed("headers larger than 64 KiB");
          break;
        }
        // What follows the head is the body, or the next response after an interim one.
        std::string rest = head_.substr(end + 4);
        head_.resize(end);
        const std::string head = std::move(head_);
        head_.clear();
        if (absl::Status parsed = ParseHead(head); !parsed.ok()) return parsed;
        if (!rest.empty()) return Feed(rest);
        break;
      }
      case Phase::kFixedBody:
      case Phase::kChunkData: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size()));
        if (absl::Status appended = AppendBody(data.substr(0, take)); !appended.ok()) {
          return appended;
        }
        data.remove_prefix(take);
        remaining_ -= take;
        if (remaining_ == 0) phase_ = phase_ == Phase::kFixedBody ? Phase::kDone : Phase::kChunkEnd;
        break;
      }
      case Phase::kChunkSize: {
        if (!TakeLine(data)) {
          if (head_.size() > kMaxHeadBytes) return Malformed("chunk-size line too long");
          break;
        }
        absl::string_view line = absl::StripAsciiWhitespace(head_);
        line = line.substr(0, line.find(';'));  // chunk extensions are ignored
        uint64_t size = 0;
        if (line.empty() || line.size() > 15 || !absl::SimpleHexAtoi(line, &size)) {
          return Malformed("bad chunk size");
        }
        head_.clear();
        if (size > max_body_bytes_ - std::min(max_body_bytes_, body_.size())) {
          return absl::ResourceExhaustedError(
              absl::StrCat("response larger than ", max_body_bytes_, " bytes"));
        }
        remaining_ = size;
        phase_ = size == 0 ? Phase::kTrailers : Phase::kChunkData;
        break;
      }
      case Phase::kChunkEnd: {
        // The CRLF after a chunk's data, possibly split across pieces: head_ holds what of it
        // arrived.
        constexpr absl::string_view kCrlf = "\r\n";
        if (data[0] != kCrlf[head_.size()]) return Malformed("chunk not followed by CRLF");
        head_.push_back(data[0]);
        data.remove_prefix(1);
        if (head_.size() == kCrlf.size()) {
          head_.clear();
          phase_ = Phase::kChunkSize;
        }
        break;
      }
      case Phase::kTrailers: {
        if (!TakeLine(data)) {
          if (head_.size() > kMaxHeadBytes) return Malformed("trailers larger than 64 KiB");
          break;
        }
        const bool last = head_ == "\r\n";
        head_.clear();
        if (last) phase_ = Phase::kDone;
        break;
      }
      case Phase::kUntilEof:
        if (absl::Status appended = AppendBody(data); !appended.ok()) return appended;
        data.remove_prefix(data.size());
        break;
      case Phase::kDone:
        // Bytes after a complete response: nothing was asked for them, so the connection's
        // framing cannot be trusted any more.
        keep_alive_ = false;
        data.remove_prefix(data.size());
        break;
    }
  }
  return absl::OkStatus();
}

absl::Status Http1ResponseParser::FinishAtEof() {
  keep_alive_ = false;
  if (phase_ == Phase::kUntilEof) phase_ = Phase::kDone;
  if (phase_ == Phase::kDone) return absl::OkStatus();
  return absl::UnavailableError(started_ ? "the connection closed in the middle of the response"
                                         : "the connection closed before any response");
}

absl::Status Http1ResponseParser::ParseHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  // Status line: HTTP/1.x SP 3DIGIT [SP reason]
  const absl::string_view status_line = lines[0];
  if (status_line.size() < 12 || !absl::StartsWith(status_line, "HTTP/1.") ||
      status_line[8] != ' ' || !absl::SimpleAtoi(status_line.substr(9, 3), &status_) ||
      status_ < 100 || status_ > 999 || (status_line.size() > 12 && status_line[12] != ' ')) {
    return Malformed("bad status line");
  }
  const bool http10 = status_line[7] == '0';
  bool chunked = false;
  bool close = http10;
  bool has_length = false;
  uint64_t length = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos || colon == 0) return Malformed("bad header line");
    const absl::string_view name = lines[i].substr(0, colon);
    const absl::string_view value = absl::StripAsciiWhitespace(lines[i].substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "content-length")) {
      uint64_t parsed = 0;
      if (!absl::SimpleAtoi(value, &parsed) || (has_length && parsed != length)) {
        return Malformed("bad Content-Length");
      }
      has_length = true;
      length = parsed;
    } else if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      chunked = ListsToken(value, "chunked");
      if (!chunked) return Malformed("unsupported Transfer-Encoding");
    } else if (absl::EqualsIgnoreCase(name, "connection")) {
      if (ListsToken(value, "close")) close = true;
      if (http10 && ListsToken(value, "keep-alive")) close = false;
    }
  }
  if (status_ < 200 && status_ != 101) {
    // Interim response (100 Continue, 103 Early Hints): the real one follows.
    status_ = 0;
    return absl::OkStatus();
  }
  keep_alive_ = !close;
  if (no_body_ || status_ == 204 || status_ == 304 || status_ == 101) {
    phase_ = Phase::kDone;
  } else if (chunked) {
    phase_ = Phase::kChunkSize;
  } else if (has_length) {
    if (length > max_body_bytes_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("response larger than ", max_body_bytes_, " bytes"));
    }
    body_.reserve(static_cast<size_t>(length));
    remaining_ = length;
    phase_ = length == 0 ? Phase::kDone : Phase::kFixedBody;
  } else {
    keep_alive_ = false;
    phase_ = Phase::kUntilEof;
  }
  return absl::OkStatus();
}

absl::Status Http1ResponseParser::AppendBody(absl::string_view data) {
  if (body_.size() + data.size() > max_body_bytes_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("response larger than ", max_body_bytes_, " bytes"));
  }
  body_.append(data.data(), data.size());
  return absl::OkStatus();
}

}  // namespace exosphere::sidecar
