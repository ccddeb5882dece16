#ifndef EXOSPHERE_SIDECAR_TRANSPORT_CURL_HTTP_CLIENT_H_
#define EXOSPHERE_SIDECAR_TRANSPORT_CURL_HTTP_CLIENT_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include <curl/curl.h>

#include "common/thread_pool.h"
#include "sidecar/transport/http_client.h"

namespace exosphere::sidecar {

struct CurlHttpClientOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(30);
  // Threads, and so keep-alive connections, serving SendAsync: at most this many asynchronous
  // requests run at once and the rest wait in order.
  int max_connections = 8;
  // Responses larger than this fail with kResourceExhausted instead of growing memory.
  size_t max_response_bytes = 64 << 20;
  // TLS: a CA bundle instead of the system store, and an optional client certificate.
  std::string ca_file;
  std::string client_cert_file;
  std::string client_key_file;
  std::string user_agent = "exosphere-sidecar";
  // A kept-alive connection idle longer than this is closed instead of reused. A server closes
  // an idle connection after its own keep-alive timeout (uvicorn: 5 s; gunicorn with uvicorn
  // workers: 2 s); a request sent as it does so dies with the connection before any answer, and
  // libcurl re-sends it on a new one, so a claim can be applied twice and strand the states of
  // the first (RELIABILITY.md, "Limits"). Keep it below the server's timeout, with a margin for
  // the round trip. absl::InfiniteDuration() leaves libcurl's own limit (118 s).
  absl::Duration max_idle = absl::Milliseconds(1500);
};

// HttpClient on libcurl's easy interface. Send runs on the calling thread; SendAsync runs on one
// of `max_connections` threads. Easy handles are pooled, each keeping its keep-alive connection,
// so every thread that sends reuses an open connection (unless it sat idle longer than
// `max_idle`: then the handle and its connection are dropped); DNS and TLS session caches are
// shared.
//
// Why blocking transfers on threads and not one curl_multi event loop: the sidecar has a handful
// of concurrent requests, and sidecar-bench measured a multi loop at 66-79 us of sidecar CPU per
// state against 51-57 us for this design (bench/README.md), for no gain at this concurrency.
// Thread-safe; owns the threads and the handles.
class CurlHttpClient final : public HttpClient {
 public:
  // Fails with kInternal when libcurl cannot be initialised.
  static absl::StatusOr<std::unique_ptr<CurlHttpClient>> Create(CurlHttpClientOptions options);
  // Aborts the requests in flight and fails those still queued, both with kCancelled, then joins.
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;
  void SendAsync(HttpRequest request, Callback done) override;

 private:
  CurlHttpClient(CurlHttpClientOptions options, CURLSH* share);
  CURL* AcquireHandle() ABSL_LOCKS_EXCLUDED(pool_mu_);
  CURL* NewHandle();
  void ReleaseHandle(CURL* handle) ABSL_LOCKS_EXCLUDED(pool_mu_);
  // libcurl locks and unlocks through two separate callbacks, which the thread-safety analysis
  // cannot pair; they only wrap share_mu_[data].
  static void LockShared(CURL* handle, curl_lock_data data, curl_lock_access access,
                         void* self) ABSL_NO_THREAD_SAFETY_ANALYSIS;
  static void UnlockShared(CURL* handle, curl_lock_data data,
                           void* self) ABSL_NO_THREAD_SAFETY_ANALYSIS;
  // libcurl's progress callback: aborts a transfer once the client shuts down.
  static int AbortWhenStopping(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t);

  const CurlHttpClientOptions options_;
  // options_.max_idle; nanoseconds::max() when infinite.
  const std::chrono::nanoseconds max_idle_;
  CURLSH* const share_;
  // One mutex per curl_lock_data kind, as libcurl's share interface requires.
  absl::Mutex share_mu_[CURL_LOCK_DATA_LAST];
  std::atomic<bool> stopping_{false};

  absl::Mutex pool_mu_;
  struct IdleHandle {
    CURL* handle;
    std::chrono::steady_clock::time_point since;
  };
  // In the order they were released (a stack: the most recent at the back), so the handles idle
  // longer than max_idle are a prefix.
  std::vector<IdleHandle> idle_handles_ ABSL_GUARDED_BY(pool_mu_);

  // Runs SendAsync; reset first thing in the destructor.
  std::unique_ptr<ThreadPool> async_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_TRANSPORT_CURL_HTTP_CLIENT_H_
