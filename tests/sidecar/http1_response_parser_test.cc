#include "sidecar/transport/http1_response_parser.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;

constexpr size_t kLimit = 1 << 20;

// Feeds `bytes` in pieces of `piece` bytes (every split point gets exercised across the tests).
absl::Status FeedInPieces(Http1ResponseParser& parser, const std::string& bytes, size_t piece) {
  for (size_t at = 0; at < bytes.size(); at += piece) {
    if (absl::Status fed = parser.Feed(absl::string_view(bytes).substr(at, piece)); !fed.ok()) {
      return fed;
    }
  }
  return absl::OkStatus();
}

TEST(Http1ResponseParserTest, ReadsAContentLengthBodyWhateverTheSplit) {
  const std::string reply =
      "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\ncontent-length: 11\r\n\r\n"
      "{\"ok\":true}";
  for (size_t piece = 1; piece <= reply.size(); ++piece) {
    Http1ResponseParser parser(kLimit, /*no_body=*/false);
    ASSERT_OK(FeedInPieces(parser, reply, piece));
    ASSERT_TRUE(parser.complete()) << piece;
    EXPECT_EQ(parser.status(), 201);
    EXPECT_TRUE(parser.keep_alive());
    EXPECT_EQ(parser.TakeBody(), "{\"ok\":true}");
  }
}

TEST(Http1ResponseParserTest, ReadsChunkedBodiesWithExtensionsAndTrailers) {
  const std::string reply =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: 1\r\n\r\n";
  for (size_t piece = 1; piece <= reply.size(); ++piece) {
    Http1ResponseParser parser(kLimit, /*no_body=*/false);
    ASSERT_OK(FeedInPieces(parser, reply, piece));
    ASSERT_TRUE(parser.complete()) << piece;
    EXPECT_EQ(parser.TakeBody(), "hello world");
    EXPECT_TRUE(parser.keep_alive());
  }
}

TEST(Http1ResponseParserTest, IsIncompleteUntilTheLastByte) {
  const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
  Http1ResponseParser parser(kLimit, /*no_body=*/false);
  EXPECT_FALSE(parser.started());
  ASSERT_OK(parser.Feed(absl::string_view(reply).substr(0, reply.size() - 1)));
  EXPECT_TRUE(parser.started());
  EXPECT_FALSE(parser.complete());
  ASSERT_OK(parser.Feed("c"));
  EXPECT_TRUE(parser.complete());
}

TEST(Http1ResponseParserTest, ABodyWithoutLengthEndsWithTheConnection) {
  Http1ResponseParser parser(kLimit, /*no_body=*/false);
  ASSERT_OK(parser.Feed("HTTP/1.0 200 OK\r\n\r\npart one, "));
  ASSERT_OK(parser.Feed("part two"));
  EXPECT_FALSE(parser.complete());
  ASSERT_OK(parser.FinishAtEof());
  EXPECT_TRUE(parser.complete());
  EXPECT_FALSE(parser.keep_alive());
  EXPECT_EQ(parser.TakeBody(), "part one, part two");
}

TEST(Http1ResponseParserTest, ConnectionHeadersDecideKeepAlive) {
  {
    Http1ResponseParser parser(kLimit, false);
    ASSERT_OK(parser.Feed("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n"));
    EXPECT_TRUE(parser.complete());
    EXPECT_FALSE(parser.keep_alive());
  }
  {
    Http1ResponseParser parser(kLimit, false);
    ASSERT_OK(
        parser.Feed("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"));
    EXPECT_TRUE(parser.keep_alive());
  }
  {
    // Bytes nobody asked for after the response: the connection's framing is lost.
    Http1ResponseParser parser(kLimit, false);
    ASSERT_OK(parser.Feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200"));
    EXPECT_TRUE(parser.complete());
    EXPECT_FALSE(parser.keep_alive());
  }
}

TEST(Http1ResponseParserTest, NoBodyForHeadRequestsAnd204And304) {
  {
    Http1ResponseParser parser(kLimit, /*no_body=*/true);
    ASSERT_OK(parser.Feed("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n"));
    EXPECT_TRUE(parser.complete());
    EXPECT_TRUE(parser.keep_alive());
  }
  for (const char* reply :
       {"HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 304 Not Modified\r\n\r\n"}) {
    Http1ResponseParser parser(kLimit, false);
    ASSERT_OK(parser.Feed(reply));
    EXPECT_TRUE(parser.complete()) << reply;
  }
}

TEST(Http1ResponseParserTest, SkipsInterimResponses) {
  Http1ResponseParser parser(kLimit, false);
  ASSERT_OK(
      parser.Feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
                  "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"));
  ASSERT_TRUE(parser.complete());
  EXPECT_EQ(parser.status(), 404);
  EXPECT_EQ(parser.TakeBody(), "no");
}

TEST(Http1ResponseParserTest, RefusesBodiesAboveTheLimitBeforeBufferingThem) {
  {
    Http1ResponseParser parser(10, false);
    EXPECT_THAT(parser.Feed("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"),
                StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("larger than 10 bytes")));
  }
  {
    Http1ResponseParser parser(10, false);
    ASSERT_OK(
        parser.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n"));
    EXPECT_THAT(parser.Feed("8\r\n"),
                StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("larger than 10 bytes")));
  }
  {
    Http1ResponseParser parser(10, false);
    ASSERT_OK(parser.Feed("HTTP/1.1 200 OK\r\n\r\n123456789"));
    EXPECT_THAT(parser.Feed("01"),
                StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("larger than 10 bytes")));
  }
}

TEST(Http1ResponseParserTest, MalformedRepliesAreUnavailableErrors) {
  const char* const replies[] = {
      "SSH-2.0-OpenSSH_9.2\r\n\r\n",
      "HTTP/2 200\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1 abc OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc",
  };
  for (const char* reply : replies) {
    Http1ResponseParser parser(kLimit, false);
    EXPECT_THAT(parser.Feed(reply),
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr("malformed HTTP response")))
        << reply;
  }
  Http1ResponseParser endless(kLimit, false);
  EXPECT_THAT(endless.Feed(std::string(70 << 10, 'x')),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("64 KiB")));
}

TEST(Http1ResponseParserTest, AConnectionClosedEarlySaysWhetherAnythingArrived) {
  Http1ResponseParser nothing(kLimit, false);
  EXPECT_THAT(nothing.FinishAtEof(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("before any response")));
  Http1ResponseParser some(kLimit, false);
  ASSERT_OK(some.Feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"));
  EXPECT_THAT(some.FinishAtEof(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("middle of the response")));
}

}  // namespace
}  // namespace exosphere::sidecar
