#include "tests/reliability/http_wire.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "tests/reliability/socket_io.h"
#include <sys/socket.h>

namespace exosphere::reliability {
namespace {

constexpr size_t kReadChunk = 16 * 1024;

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool IsToken(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// The comma-separated, lower-cased tokens of every header named `name`.
std::set<std::string> HeaderTokens(const HttpHeaders& headers, absl::string_view name) {
  std::set<std::string> tokens;
  for (const auto& [key, value] : headers) {
    if (!absl::EqualsIgnoreCase(key, name)) continue;
    for (absl::string_view token : absl::StrSplit(value, ',')) {
      token = absl::StripAsciiWhitespace(token);
      if (!token.empty()) tokens.insert(absl::AsciiStrToLower(token));
    }
  }
  return tokens;
}

bool IsHopByHop(absl::string_view name, const std::set<std::string>& connection_tokens) {
  static const std::set<std::string> kHopByHop = {
      "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
      "trailer",    "upgrade",    "expect",           "content-length"};
  const std::string lower = absl::AsciiStrToLower(name);
  return kHopByHop.count(lower) > 0 || connection_tokens.count(lower) > 0;
}

void AppendEndToEndHeaders(const HttpHeaders& headers, std::string& out) {
  const std::set<std::string> connection_tokens = HeaderTokens(headers, "connection");
  for (const auto& [name, value] : headers) {
    if (IsHopByHop(name, connection_tokens)) continue;
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
}

bool StatusHasBody(int status) { return status >= 200 && status != 204 && status != 304; }

// Splits a head (the text before the blank line) into its start line and header fields.
absl::StatusOr<std::pair<std::string, HttpHeaders>> ParseHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, '\n');
  for (absl::string_view& line : lines) absl::ConsumeSuffix(&line, "\r");
  HttpHeaders headers;
  for (size_t i = 1; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    if (line.empty()) continue;
    if (line[0] == ' ' || line[0] == '\t') {
      return absl::InvalidArgumentError("obsolete header line folding is not accepted");
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || !IsToken(line.substr(0, colon))) {
      return absl::InvalidArgumentError(absl::StrCat("malformed header line '", line, "'"));
    }
    headers.emplace_back(std::string(line.substr(0, colon)),
                         std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return std::make_pair(std::string(lines[0]), std::move(headers));
}

// Content-Length, if present; every occurrence must agree.
absl::StatusOr<std::optional<size_t>> ContentLength(const HttpHeaders& headers) {
  std::optional<size_t> length;
  for (const auto& [name, value] : headers) {
    if (!absl::EqualsIgnoreCase(name, "content-length")) continue;
    size_t parsed = 0;
    if (value.empty() || !std::all_of(value.begin(), value.end(), absl::ascii_isdigit) ||
        !absl::SimpleAtoi(value, &parsed)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid Content-Length '", value, "'"));
    }
    if (length.has_value() && *length != parsed) {
      return absl::InvalidArgumentError("conflicting Content-Length headers");
    }
    length = parsed;
  }
  return length;
}

bool WantsCloseHeaders(absl::string_view version, const HttpHeaders& headers) {
  const std::set<std::string> tokens = HeaderTokens(headers, "connection");
  if (tokens.count("close") > 0) return true;
  return version == "HTTP/1.0" && tokens.count("keep-alive") == 0;
}

}  // namespace

std::optional<std::string> FindHeader(const HttpHeaders& headers, absl::string_view name) {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

bool HttpRequest::WantsClose() const { return WantsCloseHeaders(version, headers); }

std::string SerializeRequest(const HttpRequest& request) {
  std::string out = absl::StrCat(request.method, " ", request.target, " HTTP/1.1\r\n");
  AppendEndToEndHeaders(request.headers, out);
  if (!request.body.empty() || request.has_body_framing) {
    absl::StrAppend(&out, "Content-Length: ", request.body.size(), "\r\n");
  }
  absl::StrAppend(&out, "\r\n", request.body);
  return out;
}

std::string SerializeResponseHead(const HttpResponse& response, size_t content_length, bool close) {
  std::string out = absl::StrCat("HTTP/1.1 ", response.status, " ", response.reason, "\r\n");
  AppendEndToEndHeaders(response.headers, out);
  if (StatusHasBody(response.status)) {
    absl::StrAppend(&out, "Content-Length: ", content_length, "\r\n");
  }
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  return out;
}

std::string SerializeResponse(const HttpResponse& response, bool close) {
  return SerializeResponseHead(response, response.body.size(), close) + response.body;
}

std::string ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

HttpResponse MakeResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.reason = ReasonPhrase(status);
  response.headers = {{"Content-Type", "application/json"}};
  response.body = std::move(body);
  return response;
}

HttpReader::HttpReader(int fd, int wake_fd, Limits limits)
    : fd_(fd), wake_fd_(wake_fd), limits_(limits) {}

absl::Status HttpReader::Fill(absl::Time deadline) {
  char chunk[kReadChunk];
  while (true) {
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      received_any_ = true;
      return absl::OkStatus();
    }
    if (n == 0) return absl::UnavailableError("connection closed by peer");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno)));
    }
    switch (WaitFor(fd_, POLLIN, wake_fd_, deadline)) {
      case WaitResult::kWoken:
        return absl::CancelledError("proxy stopping");
      case WaitResult::kTimedOut:
        return absl::DeadlineExceededError("no data from peer in time");
      case WaitResult::kReady:
        break;
    }
  }
}

absl::StatusOr<std::string> HttpReader::ReadHead(absl::Time deadline) {
  size_t searched = 0;
  while (true) {
    const size_t end = buffer_.find("\n\r\n", searched > 2 ? searched - 2 : 0);
    const size_t bare_end = buffer_.find("\n\n", searched > 1 ? searched - 1 : 0);
    const size_t found = std::min(end, bare_end);
    if (found != std::string::npos) {
      if (found > limits_.max_head_bytes) {
        return absl::ResourceExhaustedError("message head too large");
      }
      const size_t length = found + (found == end ? 3 : 2);
      std::string head = buffer_.substr(0, found);
      buffer_.erase(0, length);
      return head;
    }
    if (buffer_.size() > limits_.max_head_bytes) {
      return absl::ResourceExhaustedError("message head too large");
    }
    searched = buffer_.size();
    absl::Status filled = Fill(deadline);
    if (!filled.ok()) return filled;
  }
}

absl::StatusOr<std::string> HttpReader::ReadLine(absl::Time deadline) {
  while (true) {
    const size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (buffer_.size() > limits_.max_head_bytes) {
      return absl::ResourceExhaustedError("chunk line too long");
    }
    absl::Status filled = Fill(deadline);
    if (!filled.ok()) return filled;
  }
}

absl::StatusOr<std::string> HttpReader::ReadExactly(size_t count, absl::Time deadline) {
  if (count > limits_.max_body_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("body of ", count, " bytes is too large"));
  }
  while (buffer_.size() < count) {
    absl::Status filled = Fill(deadline);
    if (!filled.ok()) return filled;
  }
  std::string body = buffer_.substr(0, count);
  buffer_.erase(0, count);
  return body;
}

absl::StatusOr<std::string> HttpReader::ReadChunked(absl::Time deadline) {
  std::string body;
  while (true) {
    absl::StatusOr<std::string> line = ReadLine(deadline);
    if (!line.ok()) return line.status();
    const absl::string_view size_text =
        absl::StripAsciiWhitespace(absl::string_view(*line).substr(0, line->find(';')));
    size_t size = 0;
    if (size_text.empty() || !absl::SimpleHexAtoi(size_text, &size)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid chunk size '", size_text, "'"));
    }
    if (size == 0) break;
    if (body.size() + size > limits_.max_body_bytes) {
      return absl::ResourceExhaustedError("chunked body too large");
    }
    absl::StatusOr<std::string> chunk = ReadExactly(size, deadline);
    if (!chunk.ok()) return chunk.status();
    body += *chunk;
    absl::StatusOr<std::string> end = ReadLine(deadline);
    if (!end.ok()) return end.status();
    if (!end->empty()) return absl::InvalidArgumentError("chunk not followed by CRLF");
  }
  // Trailer fields, up to the blank line; they are dropped.
  while (true) {
    absl::StatusOr<std::string> trailer = ReadLine(deadline);
    if (!trailer.ok()) return trailer.status();
    if (trailer->empty()) return body;
  }
}

absl::StatusOr<std::string> HttpReader::ReadUntilClose(absl::Time deadline) {
  while (true) {
    if (buffer_.size() > limits_.max_body_bytes) {
      return absl::ResourceExhaustedError("body too large");
    }
    absl::Status filled = Fill(deadline);
    if (filled.code() == absl::StatusCode::kUnavailable) break;  // the close ends the body
    if (!filled.ok()) return filled;
  }
  std::string body = std::move(buffer_);
  buffer_.clear();
  return body;
}

absl::StatusOr<HttpRequest> HttpReader::ReadRequest(
    absl::Time deadline, const std::function<absl::Status()>& send_continue) {
  received_any_ = !buffer_.empty();
  // Empty lines before a request line are allowed (RFC 9112 2.2).
  while (true) {
    while (!buffer_.empty() && (buffer_[0] == '\r' || buffer_[0] == '\n')) buffer_.erase(0, 1);
    if (!buffer_.empty()) break;
    absl::Status filled = Fill(deadline);
    if (!filled.ok()) return filled;
  }
  absl::StatusOr<std::string> head = ReadHead(deadline);
  if (!head.ok()) return head.status();
  absl::StatusOr<std::pair<std::string, HttpHeaders>> parsed = ParseHead(*head);
  if (!parsed.ok()) return parsed.status();
  std::vector<std::string> parts = absl::StrSplit(parsed->first, ' ');
  if (parts.size() != 3 || !IsToken(parts[0]) || parts[1].empty() ||
      !absl::StartsWith(parts[2], "HTTP/1.")) {
    return absl::InvalidArgumentError(absl::StrCat("malformed request line '", parsed->first, "'"));
  }
  HttpRequest request;
  request.method = parts[0];
  request.target = parts[1];
  request.version = parts[2];
  request.headers = std::move(parsed->second);

  const std::set<std::string> codings = HeaderTokens(request.headers, "transfer-encoding");
  absl::StatusOr<std::optional<size_t>> length = ContentLength(request.headers);
  if (!length.ok()) return length.status();
  request.has_body_framing = !codings.empty() || length->has_value();
  if (!request.has_body_framing) return request;

  const std::set<std::string> expect = HeaderTokens(request.headers, "expect");
  if (expect.count("100-continue") > 0 && send_continue) {
    absl::Status sent = send_continue();
    if (!sent.ok()) return sent;
  }
  absl::StatusOr<std::string> body;
  if (!codings.empty()) {
    if (codings.size() != 1 || codings.count("chunked") == 0) {
      return absl::UnimplementedError("only the chunked transfer coding is supported");
    }
    body = ReadChunked(deadline);
  } else {
    body = ReadExactly(**length, deadline);
  }
  if (!body.ok()) return body.status();
  request.body = *std::move(body);
  return request;
}

absl::StatusOr<HttpResponse> HttpReader::ReadResponse(absl::Time deadline, bool head_request) {
  received_any_ = !buffer_.empty();
  while (true) {
    absl::StatusOr<std::string> head = ReadHead(deadline);
    if (!head.ok()) return head.status();
    absl::StatusOr<std::pair<std::string, HttpHeaders>> parsed = ParseHead(*head);
    if (!parsed.ok()) return parsed.status();
    const std::string& status_line = parsed->first;
    // "HTTP/1.1 200 OK": the reason phrase may be empty or contain spaces.
    const size_t first_space = status_line.find(' ');
    int status = 0;
    if (!absl::StartsWith(status_line, "HTTP/1.") || first_space == std::string::npos ||
        status_line.size() < first_space + 4 ||
        !absl::SimpleAtoi(status_line.substr(first_space + 1, 3), &status) || status < 100 ||
        status > 999) {
      return absl::InvalidArgumentError(absl::StrCat("malformed status line '", status_line, "'"));
    }
    if (status < 200) continue;  // interim response (100 Continue, 103 Early Hints)
    HttpResponse response;
    response.version = status_line.substr(0, first_space);
    response.status = status;
    response.reason = status_line.size() > first_space + 5 ? status_line.substr(first_space + 5)
                                                           : ReasonPhrase(status);
    response.headers = std::move(parsed->second);
    response.reusable = !WantsCloseHeaders(response.version, response.headers);
    if (head_request || !StatusHasBody(status)) return response;

    const std::set<std::string> codings = HeaderTokens(response.headers, "transfer-encoding");
    absl::StatusOr<std::optional<size_t>> length = ContentLength(response.headers);
    if (!length.ok()) return length.status();
    absl::StatusOr<std::string> body;
    if (codings.count("chunked") > 0) {
      body = ReadChunked(deadline);
    } else if (codings.empty() && length->has_value()) {
      body = ReadExactly(**length, deadline);
    } else {
      // No framing: the body ends when the server closes the connection.
      response.reusable = false;
      body = ReadUntilClose(deadline);
    }
    if (!body.ok()) return body.status();
    response.body = *std::move(body);
    return response;
  }
}

}  // namespace exosphere::reliability
