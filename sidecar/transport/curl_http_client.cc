#include "sidecar/transport/curl_http_client.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace exosphere::sidecar {
namespace {

struct ResponseSink {
  std::string* body;
  size_t limit;
  bool overflowed = false;
};

#if LIBCURL_VERSION_NUM >= 0x075000  // CURLOPT_PREREQFUNCTION, libcurl 7.80
// Called each time the request is about to go out on a connection: once, unless libcurl re-sends
// it on a fresh connection because the reused one died before any answer.
int CountSend(void* user, char* /*primary_ip*/, char* /*local_ip*/, int /*primary_port*/,
              int /*local_port*/) {
  ++*static_cast<int*>(user);
  return CURL_PREREQFUNC_OK;
}
#endif

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<ResponseSink*>(user);
  const size_t bytes = size * count;
  if (sink->body->size() + bytes > sink->limit) {
    sink->overflowed = true;
    return 0;  // makes libcurl abort the transfer with CURLE_WRITE_ERROR
  }
  sink->body->append(data, bytes);
  return bytes;
}

// Maps a libcurl failure to the canonical code the rest of the sidecar reasons with.
absl::Status TransferError(CURLcode code, const HttpRequest& request, const char* detail) {
  const std::string message = absl::StrCat(request.method, " ", request.url, ": ",
                                           detail[0] != '\0' ? detail : curl_easy_strerror(code));
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(message);
    case CURLE_URL_MALFORMAT:
      return absl::InvalidArgumentError(message);
    case CURLE_UNSUPPORTED_PROTOCOL:
      // Also what libcurl says of a reply that is not HTTP ("HTTP/0.9"): then the URL's scheme
      // was fine and the server is at fault.
      if (absl::StartsWithIgnoreCase(request.url, "http://") ||
          absl::StartsWithIgnoreCase(request.url, "https://")) {
        return absl::UnavailableError(message);
      }
      return absl::InvalidArgumentError(message);
    default:
      // Refused or reset connections, DNS failures, TLS failures, truncated replies: the server
      // may be back later.
      return absl::UnavailableError(message);
  }
}

long ToCurlMillis(absl::Duration duration) {
  return static_cast<long>(absl::ToInt64Milliseconds(duration));
}

absl::Status Cancelled(const HttpRequest& request) {
  return absl::CancelledError(
      absl::StrCat(request.method, " ", request.url, ": the HTTP client is shutting down"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<CurlHttpClient>> CurlHttpClient::Create(
    CurlHttpClientOptions options) {
  static std::once_flag init_once;
  static CURLcode init_result = CURLE_OK;
  std::call_once(init_once, [] { init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (init_result != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("curl_global_init failed: ", curl_easy_strerror(init_result)));
  }
  CURLSH* share = curl_share_init();
  if (share == nullptr) return absl::InternalError("curl_share_init failed");
  auto client = std::unique_ptr<CurlHttpClient>(new CurlHttpClient(std::move(options), share));
  curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &CurlHttpClient::LockShared);
  curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &CurlHttpClient::UnlockShared);
  curl_share_setopt(share, CURLSHOPT_USERDATA, client.get());
  // Connections are not shared: libcurl then caps a shared cache at four connections per easy
  // handle in flight and closes the rest, which turns keep-alive into connect-per-request
  // under concurrency. Each pooled handle keeps its own instead.
  curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  return client;
}

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options, CURLSH* share)
    : options_(std::move(options)),
      max_idle_(absl::ToChronoNanoseconds(std::max(absl::ZeroDuration(), options_.max_idle))),
      share_(share),
      async_(std::make_unique<ThreadPool>(std::max(1, options_.max_connections))) {}

CurlHttpClient::~CurlHttpClient() {
  stopping_ = true;
  // Runs what is queued (each fails at once with kCancelled) and joins, before the handles go.
  async_.reset();
  {
    absl::MutexLock lock(&pool_mu_);
    for (const IdleHandle& idle : idle_handles_) curl_easy_cleanup(idle.handle);
    idle_handles_.clear();
  }
  curl_share_cleanup(share_);
}

// libcurl's share interface calls lock and unlock as separate callbacks, so these are the one
// place where a mutex is locked and unlocked by hand.
void CurlHttpClient::LockShared(CURL*, curl_lock_data data, curl_lock_access, void* self) {
  static_cast<CurlHttpClient*>(self)->share_mu_[data].Lock();
}

void CurlHttpClient::UnlockShared(CURL*, curl_lock_data data, void* self) {
  static_cast<CurlHttpClient*>(self)->share_mu_[data].Unlock();
}

CURL* CurlHttpClient::AcquireHandle() {
  CURL* handle = nullptr;
  std::vector<CURL*> expired;
  {
    absl::MutexLock lock(&pool_mu_);
    const auto now = std::chrono::steady_clock::now();
    const auto fresh =
        std::find_if(idle_handles_.begin(), idle_handles_.end(),
                     [&](const IdleHandle& idle) { return now - idle.since <= max_idle_; });
    for (auto it = idle_handles_.begin(); it != fresh; ++it) expired.push_back(it->handle);
    idle_handles_.erase(idle_handles_.begin(), fresh);
    if (!idle_handles_.empty()) {
      handle = idle_handles_.back().handle;
      idle_handles_.pop_back();
    }
  }
  // Closes their connections: the server may be closing them at this very moment, and a request
  // sent on one of them could be lost and re-sent.
  for (CURL* old : expired) curl_easy_cleanup(old);
  return handle != nullptr ? handle : NewHandle();
}

CURL* CurlHttpClient::NewHandle() {
  CURL* handle = curl_easy_init();
  if (handle == nullptr) return nullptr;
  // Everything that is the same for every request is set once.
  curl_easy_setopt(handle, CURLOPT_SHARE, share_);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(handle, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, ToCurlMillis(options_.connect_timeout));
  curl_easy_setopt(handle, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, &AbortWhenStopping);
  curl_easy_setopt(handle, CURLOPT_XFERINFODATA, this);
  if (options_.max_idle != absl::InfiniteDuration()) {
    // The pool drops handles idle longer than max_idle (AcquireHandle), which bounds the idle
    // time of the connection each one last used. This bounds every connection a handle holds
    // (one per host it talked to), in whole seconds: libcurl reuses a connection while its idle
    // seconds, rounded down, are at most this.
    const int64_t seconds = absl::ToInt64Seconds(absl::Ceil(options_.max_idle, absl::Seconds(1)));
    curl_easy_setopt(handle, CURLOPT_MAXAGE_CONN,
                     static_cast<long>(std::max<int64_t>(0, seconds - 1)));
  }
  if (!options_.ca_file.empty()) curl_easy_setopt(handle, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.client_cert_file.empty()) {
    curl_easy_setopt(handle, CURLOPT_SSLCERT, options_.client_cert_file.c_str());
  }
  if (!options_.client_key_file.empty()) {
    curl_easy_setopt(handle, CURLOPT_SSLKEY, options_.client_key_file.c_str());
  }
  return handle;
}

void CurlHttpClient::ReleaseHandle(CURL* handle) {
  const auto now = std::chrono::steady_clock::now();
  absl::MutexLock lock(&pool_mu_);
  idle_handles_.push_back({handle, now});
}

int CurlHttpClient::AbortWhenStopping(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<CurlHttpClient*>(self)->stopping_.load(std::memory_order_relaxed) ? 1 : 0;
}

void CurlHttpClient::SendAsync(HttpRequest request, Callback done) {
  if (stopping_) {
    done(Cancelled(request));
    return;
  }
  async_->Submit(
      [this, request = std::move(request), done = std::move(done)] { done(Send(request)); });
}

absl::StatusOr<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  if (stopping_) return Cancelled(request);
  CURL* handle = AcquireHandle();
  if (handle == nullptr) return absl::InternalError("curl_easy_init failed");

  HttpResponse response;
  ResponseSink sink{&response.body, options_.max_response_bytes};
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, absl::StrCat(name, ": ", value).c_str());
  }
  // Without this, libcurl sends "Expect: 100-continue" for larger bodies and waits for a reply
  // the state manager never sends.
  headers = curl_slist_append(headers, "Expect:");

  // Only per-request options from here; each of them is set on every request, so nothing of the
  // previous request carries over.
  curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &sink);
  int sends = 0;
#if LIBCURL_VERSION_NUM >= 0x075000
  curl_easy_setopt(handle, CURLOPT_PREREQFUNCTION, &CountSend);
  curl_easy_setopt(handle, CURLOPT_PREREQDATA, &sends);
#endif
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS,
                   ToCurlMillis(request.timeout > absl::ZeroDuration() ? request.timeout
                                                                       : options_.request_timeout));
  if (request.method == "GET") {
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, nullptr);
    curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST,
                     request.method == "POST" ? nullptr : request.method.c_str());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }

  const CURLcode code = curl_easy_perform(handle);
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  // Drop references to request-scoped buffers before the handle goes back to the pool.
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(handle, CURLOPT_POSTFIELDS, nullptr);
#if LIBCURL_VERSION_NUM >= 0x075000
  curl_easy_setopt(handle, CURLOPT_PREREQDATA, nullptr);
#endif
  curl_slist_free_all(headers);
  ReleaseHandle(handle);

  if (sink.overflowed) {
    return absl::ResourceExhaustedError(absl::StrCat(request.method, " ", request.url,
                                                     ": response larger than ",
                                                     options_.max_response_bytes, " bytes"));
  }
  if (code == CURLE_ABORTED_BY_CALLBACK) return Cancelled(request);
  if (code != CURLE_OK) return TransferError(code, request, error_buffer);
  response.status = static_cast<int>(status);
  response.sends = std::max(sends, 1);
  return response;
}

}  // namespace exosphere::sidecar
