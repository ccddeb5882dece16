#include "tests/reliability/http_wire.h"

#include <unistd.h>

#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/reliability/scoped_fd.h"
#include "tests/support/status_matchers.h"
#include <sys/eventfd.h>
#include <sys/socket.h>

namespace exosphere::reliability {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

// A connected pair of non-blocking sockets: the test writes on `peer`, the reader reads `local`.
class HttpWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    local_.Reset(fds[0]);
    peer_.Reset(fds[1]);
    wake_.Reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    ASSERT_TRUE(wake_.valid());
    reader_ = std::make_unique<HttpReader>(local_.get(), wake_.get(), HttpReader::Limits{});
  }

  void Write(const std::string& data) {
    ASSERT_EQ(write(peer_.get(), data.data(), data.size()), static_cast<ssize_t>(data.size()));
  }

  absl::StatusOr<HttpRequest> ReadRequest(std::function<absl::Status()> send_continue = {}) {
    return reader_->ReadRequest(absl::Now() + absl::Seconds(5), send_continue);
  }
  absl::StatusOr<HttpResponse> ReadResponse(bool head_request = false) {
    return reader_->ReadResponse(absl::Now() + absl::Seconds(5), head_request);
  }

  ScopedFd local_;
  ScopedFd peer_;
  ScopedFd wake_;
  std::unique_ptr<HttpReader> reader_;
};

TEST_F(HttpWireTest, ReadsARequestWithAContentLengthBody) {
  Write(
      "POST /v0/namespace/ns/states/enqueue HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\n"
      "Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"nodes\": []}");
  ASSERT_OK_AND_ASSIGN(HttpRequest request, ReadRequest());
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/v0/namespace/ns/states/enqueue");
  EXPECT_EQ(request.body, "{\"nodes\": []}");
  EXPECT_THAT(FindHeader(request.headers, "X-API-KEY"), Optional(std::string("k")));
  EXPECT_FALSE(request.WantsClose());
}

TEST_F(HttpWireTest, ReadsPipelinedRequestsInTurn) {
  Write(
      "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
      "GET /c HTTP/1.1\r\nConnection: close\r\n\r\n");
  ASSERT_OK_AND_ASSIGN(HttpRequest first, ReadRequest());
  EXPECT_EQ(first.target, "/a");
  EXPECT_FALSE(first.has_body_framing);
  ASSERT_OK_AND_ASSIGN(HttpRequest second, ReadRequest());
  EXPECT_EQ(second.target, "/b");
  EXPECT_EQ(second.body, "hi");
  ASSERT_OK_AND_ASSIGN(HttpRequest third, ReadRequest());
  EXPECT_EQ(third.target, "/c");
  EXPECT_TRUE(third.WantsClose());
}

TEST_F(HttpWireTest, DecodesAChunkedRequestAndForwardsItWithContentLength) {
  Write(
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: t\r\n\r\n");
  ASSERT_OK_AND_ASSIGN(HttpRequest request, ReadRequest());
  EXPECT_EQ(request.body, "hello world");
  const std::string wire = SerializeRequest(request);
  EXPECT_THAT(wire, HasSubstr("Content-Length: 11\r\n"));
  EXPECT_THAT(wire, Not(HasSubstr("Transfer-Encoding")));
  EXPECT_THAT(wire, ::testing::EndsWith("\r\n\r\nhello world"));
}

TEST_F(HttpWireTest, AnswersExpectContinueBeforeReadingTheBody) {
  Write("POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  bool continued = false;
  absl::StatusOr<HttpRequest> request = ReadRequest([&] {
    continued = true;
    Write("body");  // a real client sends the body only now
    return absl::OkStatus();
  });
  ASSERT_OK(request.status());
  EXPECT_TRUE(continued);
  EXPECT_EQ(request->body, "body");
  EXPECT_THAT(SerializeRequest(*request), Not(HasSubstr("Expect")));
}

TEST_F(HttpWireTest, RejectsMalformedRequests) {
  Write("GARBAGE\r\n\r\n");
  EXPECT_THAT(ReadRequest(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed request line")));
}

TEST_F(HttpWireTest, RejectsConflictingContentLengths) {
  Write("POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
  EXPECT_THAT(ReadRequest(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("conflicting")));
}

TEST_F(HttpWireTest, RejectsUnsupportedTransferCodings) {
  Write("POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n");
  EXPECT_THAT(ReadRequest(), StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("chunked")));
}

TEST_F(HttpWireTest, RejectsOversizedBodies) {
  reader_ = std::make_unique<HttpReader>(local_.get(), wake_.get(),
                                         HttpReader::Limits{/*max_head_bytes=*/64,
                                                            /*max_body_bytes=*/8});
  Write("POST /x HTTP/1.1\r\nContent-Length: 9\r\n\r\n123456789");
  EXPECT_THAT(ReadRequest(), StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("body")));
}

TEST_F(HttpWireTest, RejectsOversizedHeadsWhetherOrNotTheirEndArrived) {
  reader_ = std::make_unique<HttpReader>(local_.get(), wake_.get(),
                                         HttpReader::Limits{/*max_head_bytes=*/64,
                                                            /*max_body_bytes=*/8});
  Write("GET /x HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n");
  EXPECT_THAT(ReadRequest(), StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("head")));
  reader_ = std::make_unique<HttpReader>(local_.get(), wake_.get(),
                                         HttpReader::Limits{/*max_head_bytes=*/64,
                                                            /*max_body_bytes=*/8});
  Write("GET /x HTTP/1.1\r\nX: " + std::string(100, 'a'));
  EXPECT_THAT(ReadRequest(), StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("head")));
}

TEST_F(HttpWireTest, APeerThatClosesBeforeARequestIsUnavailable) {
  peer_.Reset();
  EXPECT_THAT(ReadRequest(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("closed")));
  EXPECT_FALSE(reader_->received_any());
}

TEST_F(HttpWireTest, APeerThatClosesMidBodyIsUnavailableAfterData) {
  Write("POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  peer_.Reset();
  EXPECT_THAT(ReadRequest(), StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  EXPECT_TRUE(reader_->received_any());
}

TEST_F(HttpWireTest, WaitsEndAtTheDeadlineOrWhenWoken) {
  EXPECT_THAT(reader_->ReadRequest(absl::Now() + absl::Milliseconds(20), {}),
              StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
  const uint64_t one = 1;
  ASSERT_EQ(write(wake_.get(), &one, sizeof(one)), static_cast<ssize_t>(sizeof(one)));
  EXPECT_THAT(ReadRequest(), StatusIs(absl::StatusCode::kCancelled, ::testing::_));
}

TEST_F(HttpWireTest, ReadsAResponseAndSkipsInterimOnes) {
  Write(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
      "Content-Length: 20\r\n\r\n{\"status\":\"QUEUED\"}\n");
  ASSERT_OK_AND_ASSIGN(HttpResponse response, ReadResponse());
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.reason, "OK");
  EXPECT_EQ(response.body, "{\"status\":\"QUEUED\"}\n");
  EXPECT_TRUE(response.reusable);
  EXPECT_FALSE(reader_->has_buffered());
}

TEST_F(HttpWireTest, AResponseWithoutFramingEndsWithTheConnection) {
  Write("HTTP/1.1 200 OK\r\n\r\nuntil the end");
  peer_.Reset();
  ASSERT_OK_AND_ASSIGN(HttpResponse response, ReadResponse());
  EXPECT_EQ(response.body, "until the end");
  EXPECT_FALSE(response.reusable);
}

TEST_F(HttpWireTest, ChunkedAndConnectionCloseResponses) {
  Write(
      "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
      "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  ASSERT_OK_AND_ASSIGN(HttpResponse response, ReadResponse());
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.reason, "Service Unavailable");
  EXPECT_EQ(response.body, "abc");
  EXPECT_FALSE(response.reusable);
}

TEST_F(HttpWireTest, ResponsesToHeadAndNoContentHaveNoBody) {
  Write("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
  ASSERT_OK_AND_ASSIGN(HttpResponse head, ReadResponse(/*head_request=*/true));
  EXPECT_EQ(head.body, "");
  ASSERT_OK_AND_ASSIGN(HttpResponse no_content, ReadResponse());
  EXPECT_EQ(no_content.status, 204);
  EXPECT_FALSE(reader_->has_buffered());
}

TEST_F(HttpWireTest, RejectsMalformedStatusLines) {
  Write("HTTP/1.1 abc OK\r\n\r\n");
  EXPECT_THAT(ReadResponse(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed status line")));
}

TEST(HttpWireSerializeTest, DropsHopByHopHeadersIncludingThoseNamedByConnection) {
  HttpRequest request;
  request.method = "POST";
  request.target = "/x";
  request.headers = {{"Host", "h"},           {"Connection", "keep-alive, X-Private"},
                     {"X-Private", "secret"}, {"Keep-Alive", "timeout=5"},
                     {"Content-Length", "3"}, {"x-api-key", "k"}};
  request.body = "abc";
  EXPECT_EQ(SerializeRequest(request),
            "POST /x HTTP/1.1\r\nHost: h\r\nx-api-key: k\r\nContent-Length: 3\r\n\r\nabc");
}

TEST(HttpWireSerializeTest, KeepsAnEmptyBodyFramedWhenTheRequestWasFramed) {
  HttpRequest request;
  request.method = "POST";
  request.target = "/x";
  request.has_body_framing = true;
  EXPECT_EQ(SerializeRequest(request), "POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
}

TEST(HttpWireSerializeTest, ResponseHeadDeclaresTheGivenLengthAndClose) {
  HttpResponse response = MakeResponse(503, "{}");
  EXPECT_EQ(SerializeResponseHead(response, 10, /*close=*/true),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            "Content-Length: 10\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(SerializeResponse(response, /*close=*/false),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            "Content-Length: 2\r\n\r\n{}");
}

}  // namespace
}  // namespace exosphere::reliability
