#ifndef EXOSPHERE_SIDECAR_CURL_HTTP_CLIENT_H_
#define EXOSPHERE_SIDECAR_CURL_HTTP_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include <curl/curl.h>

#include "sidecar/http_client.h"

namespace exosphere::sidecar {

struct CurlHttpClientOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(30);
  // Responses larger than this fail with kResourceExhausted instead of growing memory.
  size_t max_response_bytes = 64 << 20;
  // TLS: a CA bundle instead of the system store, and an optional client certificate.
  std::string ca_file;
  std::string client_cert_file;
  std::string client_key_file;
  std::string user_agent = "exosphere-sidecar";
};

// HttpClient on libcurl. Easy handles are pooled; each keeps its own keep-alive connection(s), so
// a caller that takes a handle reuses that handle's open connection, and the pool grows to the
// peak number of concurrent callers. DNS and TLS session caches are shared. Options that never
// change are set once per handle. Thread-safe; owns the handles.
class CurlHttpClient final : public HttpClient {
 public:
  // Fails with kInternal when libcurl cannot be initialised.
  static absl::StatusOr<std::unique_ptr<CurlHttpClient>> Create(CurlHttpClientOptions options);
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;

 private:
  CurlHttpClient(CurlHttpClientOptions options, CURLSH* share);
  CURL* AcquireHandle() ABSL_LOCKS_EXCLUDED(pool_mu_);
  CURL* NewHandle();
  void ReleaseHandle(CURL* handle) ABSL_LOCKS_EXCLUDED(pool_mu_);
  static void LockShared(CURL* handle, curl_lock_data data, curl_lock_access access, void* self);
  static void UnlockShared(CURL* handle, curl_lock_data data, void* self);

  const CurlHttpClientOptions options_;
  CURLSH* const share_;
  // One mutex per curl_lock_data kind, as libcurl's share interface requires.
  absl::Mutex share_mu_[CURL_LOCK_DATA_LAST];

  absl::Mutex pool_mu_;
  std::vector<CURL*> idle_handles_ ABSL_GUARDED_BY(pool_mu_);
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CURL_HTTP_CLIENT_H_
