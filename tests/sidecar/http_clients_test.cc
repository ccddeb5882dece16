#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "common/status_macros.h"
#include "sidecar/transport/curl_http_client.h"
#include "sidecar/transport/plain_http_client.h"
#include "tests/support/status_matchers.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// Both clients behind one contract: the same tests run on each.
template <typename Client>
absl::StatusOr<std::unique_ptr<HttpClient>> Make(const HttpClientOptions& options);

template <>
absl::StatusOr<std::unique_ptr<HttpClient>> Make<CurlHttpClient>(const HttpClientOptions& options) {
  CurlHttpClientOptions curl;
  static_cast<HttpClientOptions&>(curl) = options;
  return CurlHttpClient::Create(curl);
}

template <>
absl::StatusOr<std::unique_ptr<HttpClient>> Make<PlainHttpClient>(
    const HttpClientOptions& options) {
  return PlainHttpClient::Create(options);
}

// PlainHttpClient's asynchronous side (its event loop) behind the same contract: Send waits for
// SendAsync, so every test below also runs on the loop.
class PlainHttpClientAsync final : public HttpClient {
 public:
  explicit PlainHttpClientAsync(std::unique_ptr<PlainHttpClient> client)
      : client_(std::move(client)) {}
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    absl::Notification done;
    absl::StatusOr<HttpResponse> result;
    client_->SendAsync(request, [&](absl::StatusOr<HttpResponse> response) {
      result = std::move(response);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  }
  void SendAsync(HttpRequest request, Callback done) override {
    client_->SendAsync(std::move(request), std::move(done));
  }

 private:
  std::unique_ptr<PlainHttpClient> client_;
};

template <>
absl::StatusOr<std::unique_ptr<HttpClient>> Make<PlainHttpClientAsync>(
    const HttpClientOptions& options) {
  absl::StatusOr<std::unique_ptr<PlainHttpClient>> client = PlainHttpClient::Create(options);
  if (!client.ok()) return client.status();
  return std::make_unique<PlainHttpClientAsync>(*std::move(client));
}

// A real HTTP server on a loopback port chosen by the kernel.
template <typename Client>
class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Post("/echo", [this](const httplib::Request& request, httplib::Response& response) {
      {
        absl::MutexLock lock(&mu_);
        ports_.insert(request.remote_port);
      }
      response.status = 201;
      response.set_content(
          absl::StrCat(request.method, " ", request.get_header_value("x-api-key"), " ",
                       request.get_header_value("Content-Type"), " ", request.body),
          "text/plain");
    });
    server_.Get("/slow", [this](const httplib::Request&, httplib::Response& response) {
      release_.WaitForNotificationWithTimeout(absl::Seconds(10));
      response.set_content("late", "text/plain");
    });
    server_.Get("/chunked", [](const httplib::Request&, httplib::Response& response) {
      response.set_chunked_content_provider(
          "text/plain", [](size_t offset, httplib::DataSink& sink) {
            if (offset < 3000) {
              const std::string piece(1000, static_cast<char>('a' + offset / 1000));
              sink.write(piece.data(), piece.size());
            } else {
              sink.done();
            }
            return true;
          });
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(std::string(2 << 20, 'x'), "text/plain");
    });
    server_.set_tcp_nodelay(true);  // else Nagle and delayed ACKs add 40 ms to each exchange
    server_.set_keep_alive_max_count(10000);
    server_.set_keep_alive_timeout(1);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    // The socket listens from bind on; requests queue until the accept loop runs.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // One answered request proves the accept loop runs, so that stop() cannot miss it.
    ASSERT_TRUE(httplib::Client("127.0.0.1", port_).Get("/warm-up"));
    HttpClientOptions options;
    options.request_timeout = absl::Seconds(5);
    options.max_response_bytes = 1 << 20;
    ASSERT_OK_AND_ASSIGN(client_, Make<Client>(options));
  }
  void TearDown() override {
    if (!release_.HasBeenNotified()) release_.Notify();
    client_.reset();  // closes kept-alive connections, which the server would wait out
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  absl::Notification release_;
  absl::Mutex mu_;
  std::set<int> ports_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<HttpClient> client_;
};

using Clients = ::testing::Types<CurlHttpClient, PlainHttpClient, PlainHttpClientAsync>;
TYPED_TEST_SUITE(HttpClientTest, Clients);

TYPED_TEST(HttpClientTest, SendsMethodHeadersAndBodyAndReturnsAnyStatus) {
  HttpRequest request{"POST",
                      this->Url("/echo"),
                      {{"x-api-key", "k"}, {"Content-Type", "application/json"}},
                      "{\"a\":1}"};
  ASSERT_OK_AND_ASSIGN(HttpResponse response, this->client_->Send(request));
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "POST k application/json {\"a\":1}");
  ASSERT_OK_AND_ASSIGN(HttpResponse missing,
                       this->client_->Send({"GET", this->Url("/nothing"), {}, ""}));
  EXPECT_EQ(missing.status, 404);
}

TYPED_TEST(HttpClientTest, SequentialAndConcurrentRequestsReuseKeepAliveConnections) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK(this->client_->Send({"POST", this->Url("/echo"), {}, "x"}).status());
  }
  {
    absl::MutexLock lock(&this->mu_);
    EXPECT_EQ(this->ports_.size(), 1u);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this] {
      for (int i = 0; i < 25; ++i)
        EXPECT_OK(this->client_->Send({"POST", this->Url("/echo"), {}, "x"}).status());
    });
  }
  for (std::thread& thread : threads) thread.join();
  absl::MutexLock lock(&this->mu_);
  EXPECT_LE(this->ports_.size(), 5u);  // one connection per concurrent caller at most
}

// Reads one request (head and Content-Length body) from `fd`; false when the peer closed first.
bool ReadRequest(int fd, std::string* head) {
  std::string data;
  char buffer[4096];
  size_t end = std::string::npos;
  while ((end = data.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
    if (got <= 0) return false;
    data.append(buffer, static_cast<size_t>(got));
  }
  *head = data.substr(0, end);
  size_t length = 0;
  const size_t at = data.find("Content-Length: ");
  if (at != std::string::npos && at < end) length = std::stoul(data.substr(at + 16));
  while (data.size() < end + 4 + length) {
    const ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
    if (got <= 0) return false;
    data.append(buffer, static_cast<size_t>(got));
  }
  return true;
}

void SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t wrote = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (wrote <= 0) return;
    sent += static_cast<size_t>(wrote);
  }
}

// A socket listening on a loopback port the kernel picks, with the port in `port`; -1 on failure.
int ListenOnLoopback(int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      listen(fd, 4) != 0 || getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  *port = ntohs(address.sin_port);
  return fd;
}

TYPED_TEST(HttpClientTest, ARequestResentOnAFreshConnectionCountsItsSends) {
  // A server that answers the first request, reads the second on the same (kept-alive)
  // connection and closes it without an answer, then answers on a new connection: the client
  // re-sends the second request there on its own.
  int port = 0;
  const int listener = ListenOnLoopback(&port);
  ASSERT_GE(listener, 0);
  std::vector<std::string> heads;
  std::thread server([&] {
    std::string head;
    const int first = accept(listener, nullptr, nullptr);
    if (ReadRequest(first, &head)) {
      heads.push_back(head);
      SendAll(first, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
    if (ReadRequest(first, &head)) heads.push_back(head);
    close(first);  // the second request is lost with its connection, unanswered
    const int second = accept(listener, nullptr, nullptr);
    if (ReadRequest(second, &head)) {
      heads.push_back(head);
      SendAll(second, "HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\nno");
    }
    close(second);
  });
  HttpClientOptions options;
  options.request_timeout = absl::Seconds(5);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpClient> client, Make<TypeParam>(options));
  const std::string base = absl::StrCat("http://127.0.0.1:", port);
  HttpRequest request{"POST", base + "/one", {}, "{}"};
  ASSERT_OK_AND_ASSIGN(HttpResponse first, client->Send(request));
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.sends, 1);
  request.url = base + "/two";
  ASSERT_OK_AND_ASSIGN(HttpResponse second, client->Send(request));
  EXPECT_EQ(second.status, 400);
  EXPECT_EQ(second.sends, 2);
  client.reset();
  server.join();
  close(listener);
  ASSERT_EQ(heads.size(), 3u);
  EXPECT_THAT(heads[1], HasSubstr("POST /two"));
  EXPECT_THAT(heads[2], HasSubstr("POST /two"));
}

// A server that handles one connection at a time and, like a server whose keep-alive timer fires
// just as a request arrives, closes a connection without answering when the request comes after
// the connection sat idle longer than `idle_close`. Deterministic stand-in for that race.
class IdleClosingServer {
 public:
  explicit IdleClosingServer(std::chrono::milliseconds idle_close) : idle_close_(idle_close) {
    listener_ = ListenOnLoopback(&port_);
    if (listener_ < 0) return;
    thread_ = std::thread([this] { Serve(); });
  }
  ~IdleClosingServer() {
    shutdown(listener_, SHUT_RDWR);  // ends a blocking accept
    if (thread_.joinable()) thread_.join();
    close(listener_);
  }
  int port() const { return port_; }
  int connections() {
    absl::MutexLock lock(&mu_);
    return connections_;
  }
  int answered() {
    absl::MutexLock lock(&mu_);
    return answered_;
  }
  int lost() {
    absl::MutexLock lock(&mu_);
    return lost_;
  }

 private:
  void Serve() {
    for (;;) {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      {
        absl::MutexLock lock(&mu_);
        ++connections_;
      }
      auto last_answer = std::chrono::steady_clock::now();
      std::string head;
      while (ReadRequest(fd, &head)) {
        absl::MutexLock lock(&mu_);
        if (std::chrono::steady_clock::now() - last_answer > idle_close_) {
          ++lost_;
          break;
        }
        ++answered_;
        // Taken before the answer goes out, so the server never counts less idle time than the
        // client, which starts counting once it has the answer.
        last_answer = std::chrono::steady_clock::now();
        SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      }
      close(fd);
    }
  }

  const std::chrono::milliseconds idle_close_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  int connections_ ABSL_GUARDED_BY(mu_) = 0;
  int answered_ ABSL_GUARDED_BY(mu_) = 0;
  int lost_ ABSL_GUARDED_BY(mu_) = 0;
};

TYPED_TEST(HttpClientTest, AConnectionIdleLongerThanMaxIdleIsNotReused) {
  IdleClosingServer server(std::chrono::milliseconds(300));
  ASSERT_GT(server.port(), 0);
  HttpClientOptions options;
  options.request_timeout = absl::Seconds(5);
  options.max_idle = absl::Milliseconds(200);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpClient> client, Make<TypeParam>(options));
  const HttpRequest request{
      "POST", absl::StrCat("http://127.0.0.1:", server.port(), "/claim"), {}, "{}"};
  ASSERT_OK_AND_ASSIGN(HttpResponse first, client->Send(request));
  EXPECT_EQ(first.sends, 1);
  absl::SleepFor(absl::Milliseconds(400));  // past max_idle and past the server's idle close
  ASSERT_OK_AND_ASSIGN(HttpResponse second, client->Send(request));
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.sends, 1);  // went out once, on a new connection
  client.reset();
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.answered(), 2);
  EXPECT_EQ(server.lost(), 0);
}

TYPED_TEST(HttpClientTest, WithoutMaxIdleARequestOnAConnectionTheServerClosesIsSentTwice) {
  // What happened before max_idle (libcurl alone reuses connections idle up to 118 s): the
  // server got the request, dropped it with the connection, and libcurl sent it again.
  IdleClosingServer server(std::chrono::milliseconds(100));
  ASSERT_GT(server.port(), 0);
  HttpClientOptions options;
  options.request_timeout = absl::Seconds(5);
  options.max_idle = absl::InfiniteDuration();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpClient> client, Make<TypeParam>(options));
  const HttpRequest request{
      "POST", absl::StrCat("http://127.0.0.1:", server.port(), "/claim"), {}, "{}"};
  ASSERT_OK(client->Send(request).status());
  absl::SleepFor(absl::Milliseconds(200));
  ASSERT_OK_AND_ASSIGN(HttpResponse second, client->Send(request));
  EXPECT_EQ(second.sends, 2);
  client.reset();
  EXPECT_EQ(server.lost(), 1);
  EXPECT_EQ(server.answered(), 2);
}

// Answers the request on a connection and, once the test has the answer and calls Misbehave(),
// does `after_answer` to that connection (writes bytes nobody asked for) and closes it; the
// next connection is served the same way. So the client holds the connection idle, with nothing
// wrong with it yet, when the server turns on it.
class MisbehavingServer {
 public:
  explicit MisbehavingServer(std::string after_answer) : after_answer_(std::move(after_answer)) {
    listener_ = ListenOnLoopback(&port_);
    if (listener_ < 0) return;
    thread_ = std::thread([this] { Serve(); });
  }
  ~MisbehavingServer() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    shutdown(listener_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    close(listener_);
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/x"); }
  // Lets the server turn on the connection it answered last, and waits until it has (the
  // `count`th time).
  bool Misbehave(int count) {
    absl::MutexLock lock(&mu_);
    go_ = count;
    wanted_ = count;
    return mu_.AwaitWithTimeout(absl::Condition(this, &MisbehavingServer::ReachedLocked),
                                absl::Seconds(10));
  }
  int connections() {
    absl::MutexLock lock(&mu_);
    return connections_;
  }

 private:
  bool ReachedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return misbehaved_ >= wanted_; }
  bool GoLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || go_ > misbehaved_;
  }
  void Serve() {
    for (;;) {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      {
        absl::MutexLock lock(&mu_);
        ++connections_;
      }
      std::string head;
      if (ReadRequest(fd, &head)) {
        SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &MisbehavingServer::GoLocked));
        if (!after_answer_.empty()) SendAll(fd, after_answer_);
        // Returns once the client's kernel has the bytes and the end of the stream: it
        // acknowledged the FIN. From then on a client that looks can tell.
        shutdown(fd, SHUT_WR);
        AwaitFinAcknowledged(fd);
      }
      close(fd);
      absl::MutexLock lock(&mu_);
      ++misbehaved_;
    }
  }

  static void AwaitFinAcknowledged(int fd) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    tcp_info info{};
    socklen_t length = sizeof(info);
    while (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0 &&
           info.tcpi_state == TCP_FIN_WAIT1 && absl::Now() < deadline) {
      std::this_thread::yield();  // the loopback ACK is a matter of microseconds
    }
  }

  const std::string after_answer_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  int connections_ ABSL_GUARDED_BY(mu_) = 0;
  int misbehaved_ ABSL_GUARDED_BY(mu_) = 0;
  int wanted_ ABSL_GUARDED_BY(mu_) = 0;
  int go_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

// One request to `server`, which then misbehaves on the connection that request left idle; the
// answer to a second request.
template <typename Client>
absl::StatusOr<HttpResponse> SecondAnswerAfterMisbehaving(MisbehavingServer& server) {
  HttpClientOptions options;
  options.request_timeout = absl::Seconds(5);
  EXO_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> client, Make<Client>(options));
  EXO_RETURN_IF_ERROR(client->Send({"GET", server.url(), {}, ""}).status());
  if (!server.Misbehave(1)) {
    return absl::DeadlineExceededError("the server did not turn on the idle connection in 10 s");
  }
  return client->Send({"GET", server.url(), {}, ""});
}

TYPED_TEST(HttpClientTest, AnIdleConnectionTheServerClosedIsNotReused) {
  MisbehavingServer server("");
  ASSERT_OK_AND_ASSIGN(HttpResponse second, SecondAnswerAfterMisbehaving<TypeParam>(server));
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.sends, 1);  // not sent into the closed connection first
  EXPECT_EQ(server.connections(), 2);
}

// What PlainHttpClient guarantees beyond the shared contract, on both of its sides. (libcurl,
// in Debian 12's version, sometimes takes the stray response below for the next answer.)
template <typename Client>
class PlainHttpClientSidesTest : public HttpClientTest<Client> {};
using PlainSides = ::testing::Types<PlainHttpClient, PlainHttpClientAsync>;
TYPED_TEST_SUITE(PlainHttpClientSidesTest, PlainSides);

TYPED_TEST(PlainHttpClientSidesTest, AnIdleConnectionWithBytesNobodyAskedForIsNotReused) {
  // Read as the answer to the next request, the stray response would pass for it.
  MisbehavingServer server("HTTP/1.1 204 No Content\r\n\r\n");
  ASSERT_OK_AND_ASSIGN(HttpResponse second, SecondAnswerAfterMisbehaving<TypeParam>(server));
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, "ok");
  EXPECT_EQ(server.connections(), 2);
}

TYPED_TEST(HttpClientTest, ARefusedConnectionIsUnavailable) {
  const std::string url = this->Url("/echo");
  this->server_.stop();
  this->thread_.join();
  this->thread_ = std::thread([] {});
  EXPECT_THAT(this->client_->Send({"POST", url, {{"x-api-key", "sk-hidden"}}, ""}),
              StatusIs(absl::StatusCode::kUnavailable, Not(HasSubstr("sk-hidden"))));
}

TYPED_TEST(HttpClientTest, ATimeoutIsDeadlineExceeded) {
  HttpRequest request{"GET", this->Url("/slow"), {}, ""};
  request.timeout = absl::Milliseconds(200);
  EXPECT_THAT(this->client_->Send(request),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("/slow")));
}

TYPED_TEST(HttpClientTest, AResponseAboveTheLimitIsRefusedNotBuffered) {
  EXPECT_THAT(
      this->client_->Send({"GET", this->Url("/big"), {}, ""}),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("larger than 1048576 bytes")));
  EXPECT_OK(this->client_->Send({"POST", this->Url("/echo"), {}, "still works"}).status());
}

TYPED_TEST(HttpClientTest, ASlowRequestDoesNotHoldUpTheOthers) {
  absl::Notification slow_done;
  absl::StatusOr<HttpResponse> slow;
  this->client_->SendAsync({"GET", this->Url("/slow"), {}, ""},
                           [&](absl::StatusOr<HttpResponse> response) {
                             slow = std::move(response);
                             slow_done.Notify();
                           });
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK(this->client_->Send({"POST", this->Url("/echo"), {}, "x"}).status());
  }
  EXPECT_FALSE(slow_done.HasBeenNotified());
  this->release_.Notify();
  slow_done.WaitForNotification();
  ASSERT_OK(slow.status());
  EXPECT_EQ(slow->body, "late");
}

TYPED_TEST(HttpClientTest, ConcurrentRequestsShareAtMostMaxConnections) {
  HttpClientOptions options;
  options.max_connections = 2;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpClient> client, Make<TypeParam>(options));
  constexpr int kRequests = 40;
  absl::Mutex mu;
  int done = 0;
  int ok = 0;
  for (int i = 0; i < kRequests; ++i) {
    client->SendAsync({"POST", this->Url("/echo"), {}, "x"},
                      [&](absl::StatusOr<HttpResponse> response) {
                        absl::MutexLock lock(&mu);
                        ++done;
                        if (response.ok() && response->status == 201) ++ok;
                      });
  }
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* n) { return *n == kRequests; }, &done));
    EXPECT_EQ(ok, kRequests);
  }
  absl::MutexLock lock(&this->mu_);
  EXPECT_LE(this->ports_.size(), 2u);
}

TYPED_TEST(HttpClientTest, DestroyingTheClientCancelsRequestsInFlight) {
  absl::Notification done;
  absl::Status status;
  this->client_->SendAsync({"GET", this->Url("/slow"), {}, ""},
                           [&](absl::StatusOr<HttpResponse> response) {
                             status = response.status();
                             done.Notify();
                           });
  this->client_.reset();
  ASSERT_TRUE(done.HasBeenNotified());
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kCancelled, HasSubstr("shutting down")));
}

TYPED_TEST(HttpClientTest, AChunkedResponseIsReassembledAndTheConnectionReused) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(HttpResponse response,
                         this->client_->Send({"GET", this->Url("/chunked"), {}, ""}));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body,
              std::string(1000, 'a') + std::string(1000, 'b') + std::string(1000, 'c'));
  }
  ASSERT_OK(this->client_->Send({"POST", this->Url("/echo"), {}, "x"}).status());
}

// A server that accepts one connection, reads one request and writes `reply`, then closes.
class OneReplyServer {
 public:
  explicit OneReplyServer(std::string reply) {
    int port = 0;
    listener_ = ListenOnLoopback(&port);
    if (listener_ < 0) return;
    url_ = absl::StrCat("http://127.0.0.1:", port, "/one");
    thread_ = std::thread([this, reply = std::move(reply)] {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      if (ReadRequest(fd, &head_)) SendAll(fd, reply);
      close(fd);
    });
  }
  // The request's head as the server read it; waits for the server to finish.
  const std::string& Head() {
    if (thread_.joinable()) thread_.join();
    return head_;
  }
  ~OneReplyServer() {
    shutdown(listener_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    close(listener_);
  }
  const std::string& url() const { return url_; }

 private:
  int listener_ = -1;
  std::string url_;
  std::string head_;
  std::thread thread_;
};

TYPED_TEST(HttpClientTest, ABodyEndedByTheConnectionIsRead) {
  OneReplyServer server("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpClient> client, Make<TypeParam>(HttpClientOptions{}));
  ASSERT_OK_AND_ASSIGN(HttpResponse response, client->Send({"GET", server.url(), {}, ""}));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "until the end");
}

TYPED_TEST(HttpClientTest, AnInterimResponseIsSkipped) {
  OneReplyServer server(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 4\r\n\r\ndone");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpClient> client, Make<TypeParam>(HttpClientOptions{}));
  ASSERT_OK_AND_ASSIGN(HttpResponse response, client->Send({"POST", server.url(), {}, "{}"}));
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(response.body, "done");
}

TYPED_TEST(HttpClientTest, AReplyThatIsNotHttpIsUnavailable) {
  OneReplyServer server("SSH-2.0-OpenSSH_9.2\r\n\r\n");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpClient> client, Make<TypeParam>(HttpClientOptions{}));
  EXPECT_THAT(client->Send({"GET", server.url(), {{"x-api-key", "sk-hidden"}}, ""}),
              StatusIs(absl::StatusCode::kUnavailable, Not(HasSubstr("sk-hidden"))));
}

TYPED_TEST(HttpClientTest, AResponseCutShortIsUnavailable) {
  OneReplyServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpClient> client, Make<TypeParam>(HttpClientOptions{}));
  EXPECT_THAT(client->Send({"GET", server.url(), {}, ""}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("/one")));
}

// SendAsync's event loop, beyond the contract.
using EventLoopTest = HttpClientTest<PlainHttpClient>;

TEST_F(EventLoopTest, RequestsWaitingForAConnectionGoInTheOrderTheyCame) {
  HttpClientOptions options;
  options.max_connections = 1;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpClient> client, Make<PlainHttpClient>(options));
  constexpr int kRequests = 20;
  absl::Mutex mu;
  std::vector<std::string> bodies;
  for (int i = 0; i < kRequests; ++i) {
    client->SendAsync({"POST", Url("/echo"), {}, absl::StrCat(i)},
                      [&](absl::StatusOr<HttpResponse> response) {
                        absl::MutexLock lock(&mu);
                        bodies.push_back(response.ok() ? response->body
                                                       : std::string(response.status().message()));
                      });
  }
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(
        absl::Condition(
            +[](std::vector<std::string>* done) { return done->size() == kRequests; }, &bodies),
        absl::Seconds(10)));
    for (int i = 0; i < kRequests; ++i) EXPECT_EQ(bodies[i], absl::StrCat("POST   ", i));
  }
  absl::MutexLock lock(&mu_);
  EXPECT_EQ(ports_.size(), 1u);
}

TEST_F(EventLoopTest, ACallbackMaySendTheNextRequest) {
  // The reporter sends a report's next attempt from the callback of the last one.
  absl::Notification done;
  absl::StatusOr<HttpResponse> second;
  client_->SendAsync({"POST", Url("/echo"), {}, "first"}, [&](absl::StatusOr<HttpResponse> first) {
    ASSERT_OK(first.status());
    client_->SendAsync({"POST", Url("/echo"), {}, "second"},
                       [&](absl::StatusOr<HttpResponse> response) {
                         second = std::move(response);
                         done.Notify();
                       });
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_OK(second.status());
  EXPECT_EQ(second->body, "POST   second");
}

TEST(PlainHttpClientTest, RefusesWhatItDoesNotSpeakWithoutQuotingHeaderValues) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PlainHttpClient> client,
                       PlainHttpClient::Create(HttpClientOptions{}));
  EXPECT_THAT(client->Send({"GET", "https://127.0.0.1:1/x", {}, ""}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("only http://")));
  EXPECT_THAT(client->Send({"GET", "http://user:pw@127.0.0.1:1/x", {}, ""}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed URL")));
  EXPECT_THAT(client->Send({"GET", "http://127.0.0.1:99999/x", {}, ""}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed URL")));
  EXPECT_THAT(client->Send({"GET", "http://127.0.0.1:1/a b", {}, ""}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed URL")));
  EXPECT_THAT(
      client->Send({"GET", "http://127.0.0.1:1/x", {{"x-api-key", "sk-1\r\nX-Evil: 1"}}, ""}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("malformed header 'x-api-key'"), Not(HasSubstr("sk-1")))));
}

TEST(PlainHttpClientTest, SendsTheRequestLineHostAndContentLength) {
  OneReplyServer server("HTTP/1.1 204 No Content\r\n\r\n");
  HttpClientOptions options;
  options.user_agent = "agent/1";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PlainHttpClient> client, PlainHttpClient::Create(options));
  HttpRequest request{
      "PUT", server.url() + "?a=1#fragment", {{"Accept", "application/json"}}, "{}"};
  ASSERT_OK_AND_ASSIGN(HttpResponse response, client->Send(request));
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(response.body, "");
  const std::string authority = server.url().substr(7, server.url().find("/one") - 7);
  EXPECT_EQ(server.Head(), absl::StrCat("PUT /one?a=1 HTTP/1.1\r\nHost: ", authority,
                                        "\r\nUser-Agent: agent/1\r\nAccept: application/json\r\n"
                                        "Content-Length: 2"));
}

}  // namespace
}  // namespace exosphere::sidecar
