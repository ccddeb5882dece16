#include "sidecar/sidecar.h"

#include <netdb.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"

#include "common/log.h"
#include "common/status_macros.h"
#include "sidecar/services/protobuf_errors.h"
#include "sidecar/transport/curl_http_client.h"
#include "sidecar/transport/plain_http_client.h"
#include "sidecar/transport/rest_graph_api_client.h"
#include "sidecar/transport/rest_states_client.h"
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

namespace exosphere::sidecar {
namespace {

// Time allowed, after the drain, for the reports of the last tasks to reach the state manager.
constexpr absl::Duration kReportFlushTimeout = absl::Seconds(10);

absl::Status PrepareSocketPath(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::UnavailableError(
        absl::StrCat("cannot remove the old socket ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// Why a unix socket could not be created at `path`, and what to do about it.
std::string UnixListenFailure(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  struct stat dir_stat {};
  if (stat(dir.c_str(), &dir_stat) != 0) {
    const int error = errno;
    return absl::StrCat(
        "the directory ", dir, ": ", std::strerror(error),
        error == ENOENT ? absl::StrCat(" (create it first: mkdir -p ", dir, ")") : "");
  }
  if (!S_ISDIR(dir_stat.st_mode)) return absl::StrCat(dir, " is not a directory");
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    return absl::StrCat("cannot create a socket in ", dir, ": ", std::strerror(errno),
                        " (run as a user who may write there, or choose another directory)");
  }
  constexpr size_t kMaxPath = sizeof(sockaddr_un::sun_path) - 1;
  if (path.size() > kMaxPath) {
    return absl::StrCat("the socket path is ", path.size(), " bytes long; the limit is ", kMaxPath);
  }
  return absl::StrCat(path, " could not be created (in use, or not permitted)");
}

// Why `host:port` could not be listened on: binds a probe socket there to learn the error.
std::string TcpListenFailure(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = listen.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* addresses = nullptr;
  const int resolved =
      getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &addresses);
  if (resolved != 0) {
    return absl::StrCat("cannot resolve ", host, ": ", gai_strerror(resolved));
  }
  int error = 0;
  for (addrinfo* address = addresses; address != nullptr && error == 0;
       address = address->ai_next) {
    const int probe = socket(address->ai_family, address->ai_socktype, address->ai_protocol);
    if (probe < 0) continue;
    if (bind(probe, address->ai_addr, address->ai_addrlen) != 0) error = errno;
    close(probe);
  }
  freeaddrinfo(addresses);
  switch (error) {
    case EADDRINUSE:
      return absl::StrCat("port ", port,
                          " is in use (stop what listens there, or choose another port)");
    case EACCES:
      return absl::StrCat("port ", port, ": ", std::strerror(error),
                          " (ports below 1024 need privileges; choose another port)");
    case EADDRNOTAVAIL:
      return absl::StrCat(host, " is not an address of this machine (", std::strerror(error), ")");
    case 0:
      return "in use, or not permitted";
    default:
      return std::strerror(error);
  }
}

}  // namespace

Sidecar::Sidecar(SidecarConfig config) : config_(std::move(config)) {}

absl::StatusOr<std::unique_ptr<Sidecar>> Sidecar::Start(SidecarConfig config,
                                                        SidecarDependencies dependencies) {
  EXO_RETURN_IF_ERROR(ValidateConfig(config));
  auto sidecar = std::unique_ptr<Sidecar>(new Sidecar(std::move(config)));
  EXO_RETURN_IF_ERROR(sidecar->Build(dependencies));
  return sidecar;
}

absl::Status Sidecar::Build(SidecarDependencies dependencies) {
  clock_ = dependencies.clock != nullptr ? dependencies.clock : &RealClock::Get();
  RouteProtobufLogs();
  // Whatever client is used, neither may leave the process in a log line, status or metric.
  if (!config_.worker_token.empty()) log::RegisterSensitiveValue(config_.worker_token);
  if (!config_.api_key.empty()) log::RegisterSensitiveValue(config_.api_key);
  states_ = dependencies.states;
  graph_api_ = dependencies.graph_api;
  if (states_ == nullptr || graph_api_ == nullptr) {
    EXO_ASSIGN_OR_RETURN(api_key_,
                         ApiKeySource::Create(config_.api_key, config_.api_key_file, *clock_));
    CurlHttpClientOptions http_options;
    http_options.connect_timeout = config_.http_connect_timeout;
    http_options.request_timeout = config_.http_timeout;
    http_options.ca_file = config_.ca_file;
    http_options.client_cert_file = config_.client_cert_file;
    http_options.client_key_file = config_.client_key_file;
    http_options.user_agent = absl::StrCat("exosphere-sidecar/", EXOSPHERE_VERSION);
    http_options.max_connections = config_.http_connections;
    if (config_.http_client == "auto" &&
        absl::StartsWithIgnoreCase(config_.state_manager_uri, "http://")) {
      // TLS options only matter to libcurl; the rest is shared.
      EXO_ASSIGN_OR_RETURN(
          http_, PlainHttpClient::Create(static_cast<const HttpClientOptions&>(http_options)));
    } else {
      EXO_ASSIGN_OR_RETURN(http_, CurlHttpClient::Create(http_options));
    }
    RestClientOptions rest_options;
    rest_options.base_url = config_.state_manager_uri;
    rest_options.api_key = [this] { return api_key_->Get(); };
    rest_options.request_timeout = config_.http_timeout;
    rest_options.on_request = [this](absl::string_view endpoint, int status,
                                     absl::Duration latency) {
      metrics_.StateManagerRequest(endpoint, status, latency);
    };
    if (states_ == nullptr) {
      owned_states_ = std::make_unique<RestStatesClient>(*http_, rest_options);
      states_ = owned_states_.get();
    }
    if (graph_api_ == nullptr) {
      owned_graph_api_ = std::make_unique<RestGraphApiClient>(*http_, rest_options);
      graph_api_ = owned_graph_api_.get();
    }
  }

  if (!config_.journal_dir.empty()) {
    JournalOptions journal_options;
    journal_options.dir = config_.journal_dir;
    EXO_ASSIGN_OR_RETURN(journal_, Journal::Open(journal_options, *clock_));
  }
  scheduler_ = std::make_unique<Scheduler>(*clock_);
  // Registration is one short call per connecting worker, so a small pool; the Graphs API
  // fans run details out over its own (GraphsServiceOptions::max_parallel_detail_fetches).
  registration_pool_ = std::make_unique<ThreadPool>(2);
  graphs_pool_ = std::make_unique<ThreadPool>(4);
  // A delivered executed report usually makes the next states claimable: wake the poller.
  auto on_delivered = [this](const std::string& ns, const Report& report) {
    if (report.kind == Report::Kind::kExecuted) work_signals_.OnLikelyWork(ns);
  };
  ReporterOptions reporter_options;
  reporter_options.hand_back_delay = config_.handback_delay;
  reporter_options.unsent_limit = config_.max_unsent_reports;
  reporter_ = std::make_unique<Reporter>(
      *states_, *scheduler_, reporter_options, on_delivered,
      [this] { work_signals_.OnReportsDrained(); }, journal_.get());
  secrets_ =
      std::make_unique<HttpSecretsFetcher>(*states_, *scheduler_, HttpSecretsFetcherOptions{});
  registrar_ = std::make_unique<Registrar>(
      *states_, *registration_pool_, *scheduler_, RegistrarOptions{},
      [this](const RegistrationOutcome& outcome) { router_->OnRegistration(outcome); });

  TaskRouterOptions router_options;
  router_options.max_worker_losses = config_.max_worker_losses;
  router_options.reconnect_grace = config_.reconnect_grace;
  router_options.handback_delay = config_.handback_delay;
  router_options.max_report_bytes = config_.max_report_bytes;
  router_ = std::make_unique<TaskRouter>(router_options, *scheduler_, *reporter_, *secrets_,
                                         work_signals_, *registrar_, &metrics_);
  PollerOptions poller_options;
  poller_options.poll_interval = config_.poll_interval;
  poller_options.min_poll_delay = std::min(absl::Milliseconds(50), config_.poll_interval);
  poller_options.busy_window = config_.busy_window;
  poller_options.busy_poll_interval = config_.busy_poll_interval;
  poller_options.max_batch = config_.max_batch;
  poller_options.max_unsent_reports = config_.max_unsent_reports;
  pollers_ = std::make_unique<PollerSet>(
      *router_, *states_, *clock_, poller_options, [this] { return reporter_->unsent(); },
      work_signals_, journal_.get());

  NodeHostServiceOptions node_host_options;
  node_host_options.hello_limits.default_namespace = config_.default_namespace;
  node_host_options.hello_limits.default_deadline = config_.default_deadline;
  node_host_options.max_message_bytes = config_.max_message_bytes;
  node_host_options.max_streams = config_.max_streams;
  node_host_options.hello_timeout = config_.hello_timeout;
  node_host_options.worker_token = config_.worker_token;
  node_host_ = std::make_unique<NodeHostService>(*router_, *scheduler_, node_host_options);
  GraphsServiceOptions graphs_options;
  graphs_options.default_namespace = config_.default_namespace;
  graphs_options.worker_token = config_.worker_token;
  graphs_ = std::make_unique<GraphsService>(
      *graph_api_, *graphs_pool_, *scheduler_, graphs_options,
      [this](const std::string& ns) { work_signals_.OnLikelyWork(ns); });

  RecoverFromJournal();

  const std::string socket_path = UnixSocketPath(config_.listen);
  if (!socket_path.empty()) EXO_RETURN_IF_ERROR(PrepareSocketPath(socket_path));
  // grpc.health.v1 and server reflection on the worker port, for grpc_health_probe and grpcurl.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(GrpcListenAddress(config_.listen), grpc::InsecureServerCredentials(),
                           socket_path.empty() ? &port : nullptr);
  builder.RegisterService(node_host_.get());
  builder.RegisterService(graphs_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.max_message_bytes));
  builder.SetMaxSendMessageSize(-1);
  // HTTP/2 keepalive is the heartbeat: a worker that stops answering pings loses its stream and
  // its tasks go elsewhere.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || (socket_path.empty() && port == 0)) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", config_.listen, ": ",
        socket_path.empty() ? TcpListenFailure(config_.listen) : UnixListenFailure(socket_path)));
  }
  if (socket_path.empty()) {
    const size_t colon = config_.listen.rfind(':');
    address_ = absl::StrCat(config_.listen.substr(0, colon), ":", port);
  } else {
    // Owner and group only: anyone who can connect can run code's results into our graphs.
    if (chmod(socket_path.c_str(), 0660) != 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot set the mode of ", socket_path, ": ", std::strerror(errno)));
    }
    address_ = absl::StrCat("unix:", socket_path);
  }
  server_->GetHealthCheckService()->SetServingStatus(true);

  Heartbeat();
  if (!config_.health_listen.empty()) {
    HealthHandlers handlers;
    handlers.live = [this] { return Liveness(); };
    handlers.ready = [this] { return Readiness(); };
    handlers.metrics = [this] { return RenderMetrics(); };
    EXO_ASSIGN_OR_RETURN(health_, HealthServer::Start(config_.health_listen, handlers));
  }
  EXO_LOG(kInfo, "sidecar_started", DescribeConfig(config_),
          {{"address", address_}, {"health_address", health_address()}});
  return absl::OkStatus();
}

void Sidecar::Heartbeat() {
  // Taking the router's lock proves the core is not deadlocked; running at all proves the
  // scheduler thread is.
  router_->Stats();
  last_heartbeat_ms_ = absl::ToUnixMillis(clock_->Now());
  scheduler_->ScheduleAfter(absl::Seconds(1), [this] { Heartbeat(); });
}

ProbeResult Sidecar::Liveness() const {
  const absl::Duration since = clock_->Now() - absl::FromUnixMillis(last_heartbeat_ms_.load());
  // Generous: a loaded machine may delay a tick; a deadlocked sidecar never ticks again.
  const bool ok = since < absl::Seconds(10);
  return {ok,
          json::Dump({{"live", ok}, {"last_heartbeat_ms_ago", absl::ToInt64Milliseconds(since)}})};
}

ProbeResult Sidecar::Readiness() {
  const RouterStats stats = router_->Stats();
  absl::Status state_manager;
  {
    absl::MutexLock lock(&readiness_mu_);
    // One real check every 2 s at most, whatever the probe rate.
    if (clock_->Now() - last_health_check_ >= absl::Seconds(2)) {
      last_health_ = states_->CheckHealth(absl::Seconds(1));
      last_health_check_ = clock_->Now();
    }
    state_manager = last_health_;
  }
  json::Json checks = json::Json::object();
  bool ready = true;
  auto check = [&](const char* name, bool ok, const std::string& detail) {
    checks[name] = ok ? "ok" : detail;
    ready = ready && ok;
  };
  check("draining", !stats.draining, "the sidecar is draining");
  check("state_manager", state_manager.ok(),
        absl::StrCat("unreachable: ", state_manager.message()));
  check(
      "registration", stats.registration_failures == 0,
      absl::StrCat(stats.registration_failures, " worker(s) wait for a registration that failed"));
  if (config_.ready_requires_worker) {
    check("workers", stats.registered_workers > 0,
          stats.workers > 0 ? "no worker is registered yet" : "no worker is connected");
  }
  return {ready, json::Dump({{"ready", ready}, {"checks", checks}})};
}

std::string Sidecar::RenderMetrics() const {
  SidecarMetrics::Snapshot snapshot;
  snapshot.router = router_->Stats();
  snapshot.reporter = reporter_->Stats();
  snapshot.pollers = pollers_->Stats();
  snapshot.journal = JournalStatistics();
  snapshot.worker_streams = node_host_->active_streams();
  snapshot.draining = snapshot.router.draining;
  // Labels carry names workers chose; a name that happens to be a secret is not shown.
  return log::Redact(metrics_.Render(snapshot));
}

void Sidecar::RecoverFromJournal() {
  if (journal_ == nullptr) return;
  int resent = 0;
  int handed_back = 0;
  for (Journal::Entry& entry : journal_->TakeRecovered()) {
    if (entry.report.has_value()) {
      reporter_->Resubmit(entry.ns, *std::move(entry.report));
      ++resent;
    } else {
      // Its worker's task died with the previous run: let the state manager give it to anyone.
      reporter_->Submit(
          entry.ns,
          Report::RequeueAfter(entry.state_id, absl::ToInt64Milliseconds(config_.handback_delay)));
      ++handed_back;
    }
  }
  if (resent + handed_back > 0) {
    EXO_LOG(kWarning, "journal_recovery", "finishing what the previous run left",
            {{"reports_resent", absl::StrCat(resent)},
             {"states_handed_back", absl::StrCat(handed_back)}});
  }
}

std::shared_ptr<grpc::Channel> Sidecar::InProcessChannel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

void Sidecar::Shutdown() {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  const absl::Time drain_deadline = clock_->Now() + config_.drain_timeout;
  router_->BeginDrain(config_.drain_timeout);
  server_->GetHealthCheckService()->SetServingStatus(false);
  pollers_->StopAll();
  if (!router_->AwaitNoTasks(drain_deadline)) {
    router_->HandBackAll("the drain timeout passed");
  }
  if (!reporter_->AwaitIdle(clock_->Now() + kReportFlushTimeout)) {
    EXO_LOG(kError, "reports_unsent", "reports still undelivered at exit",
            {{"unsent", absl::StrCat(reporter_->unsent())}});
  }
  // Ends the remaining streams; reactors still call into the router while they finish.
  server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  server_->Wait();
  health_.reset();
  reporter_->Stop();
  // No scheduled closure may run once the pool is gone.
  scheduler_->Stop();
  registration_pool_.reset();
  graphs_pool_.reset();
  // Requests still in flight end now with kCancelled (their reports stay in the journal), so
  // that no HTTP callback runs after the reporter and the secrets fetcher are gone.
  if (http_ != nullptr) {
    if (owned_states_ != nullptr) states_ = nullptr;
    if (owned_graph_api_ != nullptr) graph_api_ = nullptr;
    owned_states_.reset();
    owned_graph_api_.reset();
    http_.reset();
  }
  const std::string socket_path = UnixSocketPath(config_.listen);
  if (!socket_path.empty()) unlink(socket_path.c_str());
  const ReporterStats stats = reporter_->Stats();
  EXO_LOG(kInfo, "sidecar_stopped", "",
          {{"reports_delivered", absl::StrCat(stats.delivered)},
           {"reports_unsent", absl::StrCat(stats.unsent)}});
}

void Sidecar::HandBackNow(absl::Duration report_wait) {
  router_->BeginDrain(absl::ZeroDuration());
  router_->HandBackAll("the sidecar was told to stop at once");
  reporter_->AwaitIdle(clock_->Now() + report_wait);
}

Sidecar::~Sidecar() {
  if (server_ != nullptr) Shutdown();
}

}  // namespace exosphere::sidecar
