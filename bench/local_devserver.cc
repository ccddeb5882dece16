#include "bench/local_devserver.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace exosphere::bench {

absl::StatusOr<std::unique_ptr<harness::ChildProcess>> LaunchWithApiKey(
    std::vector<std::string> argv, std::string label, const std::string& api_key, bool echo) {
  harness::ChildProcess::Options options;
  options.argv = std::move(argv);
  options.label = std::move(label);
  options.env = {{"EXOSPHERE_API_KEY", api_key}};
  options.echo_stderr = echo;
  return harness::ChildProcess::Start(std::move(options));
}

absl::StatusOr<LocalDevserver> StartLocalDevserver(const std::string& api_key,
                                                   const std::vector<std::string>& extra_args,
                                                   const std::string& user_agent,
                                                   absl::Duration timeout) {
  std::vector<std::string> argv = {harness::BinaryPath("exosphere-devserver"),
                                   "--listen=127.0.0.1:0", absl::StrCat("--api_key=", api_key),
                                   "--log_level=warn"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  LocalDevserver devserver;
  absl::StatusOr<std::unique_ptr<harness::ChildProcess>> process =
      LaunchWithApiKey(std::move(argv), "devserver", api_key, /*echo=*/false);
  if (!process.ok()) return process.status();
  devserver.process = *std::move(process);
  absl::StatusOr<std::string> url =
      devserver.process->WaitForStdoutPrefix("listening on ", timeout);
  if (!url.ok()) return url.status();
  devserver.url = *url;
  if (!absl::SimpleAtoi(url->substr(url->rfind(':') + 1), &devserver.port)) {
    return absl::InternalError(absl::StrCat("devserver address '", *url, "'"));
  }
  sidecar::CurlHttpClientOptions http_options;
  http_options.max_connections = 2;
  http_options.user_agent = user_agent;
  absl::StatusOr<std::unique_ptr<sidecar::CurlHttpClient>> http =
      sidecar::CurlHttpClient::Create(http_options);
  if (!http.ok()) return http.status();
  devserver.http = *std::move(http);
  sidecar::RestClientOptions rest_options;
  rest_options.base_url = devserver.url;
  rest_options.api_key = [api_key] { return api_key; };
  devserver.graphs = std::make_unique<sidecar::RestGraphApiClient>(*devserver.http, rest_options);
  return devserver;
}

}  // namespace exosphere::bench
