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

// HttpClientOptions plus TLS, which only libcurl speaks here.
struct CurlHttpClientOptions : HttpClientOptions {
  // A CA bundle instead of the system store, and an optional client certificate.
  std::string ca_file;
  std::string client_cert_file;
  std::string client_key_file;
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
