#include "tests/reliability/proxy_test_peers.h"

#include <httplib.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include "sidecar/transport/json_util.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace exosphere::reliability {

TestUpstream::TestUpstream() : server_(std::make_unique<httplib::Server>()) {}

absl::StatusOr<std::unique_ptr<TestUpstream>> TestUpstream::Start() {
  std::unique_ptr<TestUpstream> upstream(new TestUpstream());
  TestUpstream* raw = upstream.get();
  const auto handler = [raw](const httplib::Request& request, httplib::Response& response) {
    raw->Record({request.method, request.path, request.body, request.remote_port});
    if (absl::StrContains(request.path, "/state/rejected/")) {
      response.status = 400;
      response.set_content(R"({"detail":"State is not queued"})", "application/json");
    } else if (absl::EndsWith(request.path, "/executed")) {
      response.set_content(R"({"status":"EXECUTED"})", "application/json");
    } else if (absl::EndsWith(request.path, "/states/enqueue")) {
      response.set_content(
          R"({"count":2,"namespace":"ns","status":"QUEUED","states":[)"
          R"({"state_id":"claim-1","node_name":"n","identifier":"i","inputs":{}},)"
          R"({"state_id":"claim-2","node_name":"n","identifier":"i","inputs":{}}]})",
          "application/json");
    } else if (request.path == "/big") {
      response.set_content(json::Dump(json::Json(std::string(998, 'x'))), "application/json");
    } else {
      response.set_content(
          json::Dump(json::Json{
              {"method", request.method}, {"path", request.path}, {"body", request.body}}),
          "application/json");
    }
  };
  upstream->server_->Get(".*", handler);
  upstream->server_->Post(".*", handler);
  upstream->server_->Put(".*", handler);
  // Stopping waits for keep-alive connections to time out; keep that short.
  upstream->server_->set_keep_alive_timeout(1);
  upstream->port_ = upstream->server_->bind_to_any_port("127.0.0.1");
  if (upstream->port_ <= 0) return absl::UnavailableError("test upstream: cannot bind");
  upstream->thread_ = std::thread([raw] { raw->server_->listen_after_bind(); });
  // stop() is a no-op before the accept loop runs; an answered request proves it runs. It is not
  // recorded as seen.
  httplib::Client client("127.0.0.1", upstream->port_);
  if (!client.Get("/ready")) return absl::UnavailableError("test upstream: no answer");
  absl::MutexLock lock(&upstream->mu_);
  upstream->seen_.clear();
  return upstream;
}

TestUpstream::~TestUpstream() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void TestUpstream::Record(Seen seen) {
  absl::MutexLock lock(&mu_);
  seen_.push_back(std::move(seen));
}

std::vector<TestUpstream::Seen> TestUpstream::seen() const {
  absl::MutexLock lock(&mu_);
  return seen_;
}

size_t TestUpstream::seen_count() const {
  absl::MutexLock lock(&mu_);
  return seen_.size();
}

absl::StatusOr<std::unique_ptr<RawClient>> RawClient::Connect(int port) {
  ScopedFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::InternalError("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return absl::UnavailableError(absl::StrCat("connect: ", std::strerror(errno)));
  }
  return std::unique_ptr<RawClient>(new RawClient(std::move(fd)));
}

bool RawClient::Send(const std::string& data) {
  return send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL) ==
         static_cast<ssize_t>(data.size());
}

ConnectionEnd RawClient::ReadUntilClosed(absl::Duration timeout, std::string& data) {
  data = std::move(pending_);
  pending_.clear();
  const absl::Time deadline = absl::Now() + timeout;
  char buffer[4096];
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return ConnectionEnd::kTimedOut;
    pollfd entry{fd_.get(), POLLIN, 0};
    if (poll(&entry, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <= 0) continue;
    const ssize_t n = recv(fd_.get(), buffer, sizeof(buffer), 0);
    if (n > 0) {
      data.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      return ConnectionEnd::kFin;
    } else if (errno == ECONNRESET) {
      return ConnectionEnd::kReset;
    } else if (errno != EINTR) {
      return ConnectionEnd::kReset;
    }
  }
}

std::string RawClient::ReadResponse(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  char buffer[4096];
  while (absl::Now() < deadline) {
    const size_t end = pending_.find("\r\n\r\n");
    if (end != std::string::npos) {
      size_t length = 0;
      const size_t header = pending_.find("Content-Length: ");
      if (header != std::string::npos && header < end) {
        const size_t value = header + 16;
        (void)absl::SimpleAtoi(pending_.substr(value, pending_.find("\r\n", value) - value),
                               &length);
      }
      if (pending_.size() >= end + 4 + length) {
        std::string response = pending_.substr(0, end + 4 + length);
        pending_.erase(0, end + 4 + length);
        return response;
      }
    }
    pollfd entry{fd_.get(), POLLIN, 0};
    const int wait = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now())) + 1;
    if (poll(&entry, 1, wait) <= 0) continue;
    const ssize_t n = recv(fd_.get(), buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    pending_.append(buffer, static_cast<size_t>(n));
  }
  return std::exchange(pending_, "");
}

}  // namespace exosphere::reliability
