#ifndef EXOSPHERE_SIDECAR_TRANSPORT_HTTP1_RESPONSE_PARSER_H_
#define EXOSPHERE_SIDECAR_TRANSPORT_HTTP1_RESPONSE_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace exosphere::sidecar {

// Reads one HTTP/1.x response from bytes fed in pieces of any size, as they arrive (RFC 9112):
// the status line, the headers it needs (Content-Length, Transfer-Encoding, Connection), and the
// body framed by Content-Length, by chunked encoding or by the end of the connection. Interim
// 1xx responses are skipped. Headers other than those three are not kept: the sidecar's callers
// only read the status and the body.
//
// Errors: kUnavailable for bytes that are not a well-formed response (the message says what was
// wrong, quoting nothing of the body), kResourceExhausted for a body above `max_body_bytes`.
class Http1ResponseParser {
 public:
  // `no_body`: the request was HEAD, so whatever the headers say, no body follows.
  Http1ResponseParser(size_t max_body_bytes, bool no_body);

  // Consumes `data`; OK whether or not the response is complete yet (see complete()). After an
  // error, the parser and the connection are unusable.
  absl::Status Feed(absl::string_view data);
  // The peer closed the connection: completes a body read to the end of the connection, and
  // fails for a response cut short.
  absl::Status FinishAtEof();

  bool complete() const { return phase_ == Phase::kDone; }
  // Whether any byte arrived yet.
  bool started() const { return started_; }
  int status() const { return status_; }
  // The connection can carry the next request: the response was framed by its length, neither
  // side asked to close, and no byte followed it.
  bool keep_alive() const { return keep_alive_; }
  std::string TakeBody() { return std::move(body_); }

 private:
  enum class Phase {
    kHead,
    kFixedBody,
    kChunkSize,
    kChunkData,
    kChunkEnd,
    kTrailers,
    kUntilEof,
    kDone
  };
  // Parses head_ (status line and headers, without the blank line); sets the body's framing.
  absl::Status ParseHead(absl::string_view head);
  absl::Status AppendBody(absl::string_view data);
  // Takes a CRLF-terminated line from `data` into line_; true once it is whole.
  bool TakeLine(absl::string_view& data);

  const size_t max_body_bytes_;
  const bool no_body_;
  Phase phase_ = Phase::kHead;
  bool started_ = false;
  int status_ = 0;
  bool keep_alive_ = false;
  uint64_t remaining_ = 0;  // of the fixed body, or of the current chunk
  std::string head_;        // the head so far, or the current chunk-size or trailer line
  std::string body_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_TRANSPORT_HTTP1_RESPONSE_PARSER_H_
