#include "devserver/http_server.h"

#include <dirent.h>
#include <httplib.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "common/log.h"
#include "devserver/api.h"
#include "devserver/response_json.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace exosphere::devserver {
namespace {

// The listen backlog compiled into Debian's cpp-httplib is 5: a burst of clients connecting at
// once would see dropped SYNs and one-second retransmits. listen() on a listening socket only
// updates its backlog, so the server's socket is re-listened with a realistic one.
constexpr int kListenBacklog = 1024;

HttpRequest ToHttpRequest(const httplib::Request& request, std::string body) {
  HttpRequest converted;
  converted.method = request.method;
  converted.path = request.path;
  const size_t question = request.target.find('?');
  if (question != std::string::npos) converted.query = request.target.substr(question + 1);
  for (const auto& [name, value] : request.headers) converted.headers.emplace_back(name, value);
  converted.body = std::move(body);
  std::string host = request.get_header_value("Host");
  if (host.empty()) host = absl::StrCat(request.local_addr, ":", request.local_port);
  converted.host = std::move(host);
  return converted;
}

void WriteResponse(const HttpResponse& response, httplib::Response& out) {
  out.status = response.status;
  for (const auto& [name, value] : response.headers) out.set_header(name, value);
  if (!response.content_type.empty()) {
    out.set_content(response.body, response.content_type.c_str());
  } else {
    out.body = response.body;
  }
}

HttpResponse TooLarge(size_t limit) {
  return HttpResponse::WithJson(
      413, DetailJson(absl::StrCat("Request body too large: the devserver accepts at most ", limit,
                                   " bytes (--max-body-bytes)")));
}

// Set while a request counted by RequestStarted() is being served on this worker thread.
thread_local bool counted_on_this_thread = false;

// Reason phrases for the errors cpp-httplib raises before a request reaches the dispatcher.
const char* ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 414:
      return "URI Too Long";
    case 416:
      return "Range Not Satisfiable";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    default:
      return "Error";
  }
}

}  // namespace

HttpServer::HttpServer(const Options& options, const RequestDispatcher& dispatcher)
    : options_(options), dispatcher_(dispatcher), server_(std::make_unique<httplib::Server>()) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const Options& options,
                                                              const RequestDispatcher& dispatcher) {
  std::unique_ptr<HttpServer> server(new HttpServer(options, dispatcher));
  server->Install();
  HttpServer* raw_server = server.get();
  // Replaces httplib's default options, which also set SO_REUSEPORT (two devservers could then
  // share a port silently); remembers the listening socket for the backlog fix below.
  server->server_->set_socket_options([raw_server](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    raw_server->listen_fd_ = sock;
  });
  int port = options.port;
  if (port == 0) {
    port = server->server_->bind_to_any_port(options.host);
    if (port < 0) port = 0;
  } else if (!server->server_->bind_to_port(options.host, port)) {
    port = 0;
  }
  if (port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.host, ":", options.port,
                                               " (address in use or invalid)"));
  }
  if (server->listen_fd_ >= 0) listen(server->listen_fd_, kListenBacklog);
  server->port_ = port;
  httplib::Server* raw = server->server_.get();
  server->listener_ = std::thread([raw] { raw->listen_after_bind(); });
  return server;
}

HttpServer::~HttpServer() { Shutdown(); }

void HttpServer::Shutdown() {
  if (!listener_.joinable()) return;
  server_->stop();
  {
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return requests_in_progress_ == 0; };
    mu_.AwaitWithTimeout(absl::Condition(&idle), options_.keep_alive_timeout);
  }
  // httplib's workers only notice the stop between requests, after a keep-alive wait of up to
  // the timeout; embedders and tests would wait that long for every idle client connection.
  CloseAcceptedConnections();
  listener_.join();
}

void HttpServer::RequestStarted() {
  counted_on_this_thread = true;
  absl::MutexLock lock(&mu_);
  ++requests_in_progress_;
}

void HttpServer::ResponseWritten() {
  if (!counted_on_this_thread) return;
  counted_on_this_thread = false;
  absl::MutexLock lock(&mu_);
  --requests_in_progress_;
}

void HttpServer::CloseAcceptedConnections() const {
  DIR* directory = opendir("/proc/self/fd");
  if (directory == nullptr) return;
  while (dirent* entry = readdir(directory)) {
    int fd;
    if (!absl::SimpleAtoi(entry->d_name, &fd) || fd == dirfd(directory)) continue;
    sockaddr_storage local{};
    socklen_t local_length = sizeof(local);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0) continue;
    int local_port = -1;
    if (local.ss_family == AF_INET) {
      local_port = ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
    } else if (local.ss_family == AF_INET6) {
      local_port = ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    }
    if (local_port != port_) continue;
    // Only connected sockets have a peer; our listener is already closed.
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof(peer);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0) continue;
    shutdown(fd, SHUT_RDWR);
  }
  closedir(directory);
}

void HttpServer::Install() {
  httplib::Server& server = *server_;
  const int threads = options_.threads;
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(options_.keep_alive_max_requests);
  server.set_keep_alive_timeout(
      static_cast<time_t>(std::max<int64_t>(1, absl::ToInt64Seconds(options_.keep_alive_timeout))));
  server.set_payload_max_length(options_.max_body_bytes);

  const size_t limit = options_.max_body_bytes;
  auto serve = [this](const httplib::Request& request, httplib::Response& response,
                      std::string body) {
    WriteResponse(dispatcher_.Dispatch(ToHttpRequest(request, std::move(body))), response);
  };
  // httplib calls the logger once the response is on the wire, on the worker that served it.
  server.set_logger(
      [this](const httplib::Request&, const httplib::Response&) { ResponseWritten(); });
  auto serve_with_reader = [this, limit, serve](const httplib::Request& request,
                                                httplib::Response& response,
                                                const httplib::ContentReader& reader) {
    RequestStarted();
    std::string body;
    // A request without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3).
    if (request.has_header("Content-Length") || request.has_header("Transfer-Encoding")) {
      bool too_large = false;
      const bool read = reader([&](const char* data, size_t length) {
        if (body.size() + length > limit) {
          too_large = true;
          return false;
        }
        body.append(data, length);
        return true;
      });
      if (!read) {
        const bool over_limit = too_large || response.status == 413;
        HttpResponse failure =
            over_limit
                ? TooLarge(limit)
                : HttpResponse::WithJson(400, DetailJson("There was an error parsing the body"));
        dispatcher_.Decorate(ToHttpRequest(request, ""), failure);
        // The rest of the body is still on the wire: do not reuse the connection.
        failure.SetHeader("Connection", "close");
        WriteResponse(failure, response);
        return;
      }
    }
    serve(request, response, std::move(body));
  };
  auto serve_without_body = [this, serve](const httplib::Request& request,
                                          httplib::Response& response) {
    RequestStarted();
    serve(request, response, request.body);
  };
  server.Get(".*", serve_without_body);
  server.Options(".*", serve_without_body);
  server.Post(".*", serve_with_reader);
  server.Put(".*", serve_with_reader);
  server.Patch(".*", serve_with_reader);
  server.Delete(".*", serve_with_reader);

  // Responses httplib produces itself (a body over the limit on a GET, malformed requests).
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [this, limit](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        HttpResponse failure;
        if (response.status == 413) {
          failure = TooLarge(limit);
        } else if (response.status == 404) {
          failure = HttpResponse::WithJson(404, DetailJson("Not Found"));
        } else {
          failure =
              HttpResponse::WithJson(response.status, DetailJson(ReasonPhrase(response.status)));
        }
        dispatcher_.Decorate(ToHttpRequest(request, ""), failure);
        WriteResponse(failure, response);
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler(
      [](const httplib::Request& request, httplib::Response& response, const std::exception_ptr&) {
        EXO_LOG(kError, "http_handler_threw", "", {{"path", request.path}});
        WriteResponse(Api::InternalErrorResponse(), response);
      });
}

}  // namespace exosphere::devserver
