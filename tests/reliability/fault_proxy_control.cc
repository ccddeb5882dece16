#include "tests/reliability/fault_proxy_control.h"

#include <httplib.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "sidecar/transport/json_util.h"
#include "tests/reliability/fault_proxy_json.h"

namespace exosphere::reliability {
namespace {

using json::Json;

void Reply(httplib::Response& response, int status, const Json& body) {
  response.status = status;
  response.set_content(json::Dump(body), "application/json");
}

void ReplyStatus(httplib::Response& response, const absl::Status& status, const Json& ok_body) {
  if (status.ok()) {
    Reply(response, 200, ok_body);
    return;
  }
  const int code = status.code() == absl::StatusCode::kNotFound          ? 404
                   : status.code() == absl::StatusCode::kInvalidArgument ? 400
                                                                         : 500;
  Reply(response, code, Json{{"detail", std::string(status.message())}});
}

}  // namespace

absl::StatusOr<std::unique_ptr<FaultProxyControl>> FaultProxyControl::Start(FaultProxy& proxy,
                                                                            int port) {
  std::unique_ptr<FaultProxyControl> control(
      new FaultProxyControl(proxy, std::make_unique<httplib::Server>()));
  control->RegisterRoutes();
  // Short keep-alive: stopping waits for each open keep-alive connection to time out.
  control->server_->set_keep_alive_timeout(1);
  if (port == 0) {
    control->port_ = control->server_->bind_to_any_port("127.0.0.1");
  } else if (control->server_->bind_to_port("127.0.0.1", port)) {
    control->port_ = port;
  }
  if (control->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("fault proxy control: cannot bind 127.0.0.1:", port));
  }
  control->thread_ =
      std::thread([server = control->server_.get()] { server->listen_after_bind(); });
  // httplib's stop() does nothing before the accept loop runs; a request answered proves it runs
  // (the listening socket queues it until then).
  httplib::Client client("127.0.0.1", control->port_);
  httplib::Result result = client.Get("/health");
  if (!result || result->status != 200) {
    control->Stop();
    return absl::UnavailableError("fault proxy control: the server did not answer");
  }
  return control;
}

FaultProxyControl::FaultProxyControl(FaultProxy& proxy, std::unique_ptr<httplib::Server> server)
    : proxy_(proxy), server_(std::move(server)) {}

FaultProxyControl::~FaultProxyControl() { Stop(); }

void FaultProxyControl::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

void FaultProxyControl::RegisterRoutes() {
  httplib::Server& server = *server_;
  server.Get("/health", [this](const httplib::Request&, httplib::Response& response) {
    Reply(response, 200,
          Json{{"status", "ok"}, {"proxy_port", proxy_.port()}, {"down", proxy_.IsDown()}});
  });
  server.Get("/faults", [this](const httplib::Request&, httplib::Response& response) {
    Reply(response, 200, FaultRulesToJson(proxy_.Rules()));
  });
  server.Put("/faults", [this](const httplib::Request& request, httplib::Response& response) {
    absl::StatusOr<std::vector<FaultRule>> rules = ParseFaultRules(request.body);
    absl::Status status = rules.ok() ? proxy_.SetRules(*std::move(rules)) : rules.status();
    ReplyStatus(response, status, FaultRulesToJson(proxy_.Rules()));
  });
  server.Post("/faults", [this](const httplib::Request& request, httplib::Response& response) {
    absl::StatusOr<Json> body = json::Parse(request.body, "fault rule");
    absl::StatusOr<FaultRule> rule = body.ok() ? FaultRuleFromJson(*body) : body.status();
    absl::Status status = rule.ok() ? proxy_.AddRule(*std::move(rule)) : rule.status();
    ReplyStatus(response, status, FaultRulesToJson(proxy_.Rules()));
  });
  server.Delete("/faults", [this](const httplib::Request&, httplib::Response& response) {
    proxy_.ClearRules();
    Reply(response, 200, FaultRulesToJson(proxy_.Rules()));
  });
  server.Post(R"(/faults/([^/]+)/(enable|disable))",
              [this](const httplib::Request& request, httplib::Response& response) {
                const bool enable = request.matches[2] == "enable";
                // The change first: the reply shows the rules after it.
                const absl::Status status = proxy_.SetRuleEnabled(request.matches[1].str(), enable);
                ReplyStatus(response, status, FaultRulesToJson(proxy_.Rules()));
              });
  server.Delete(R"(/faults/([^/]+))",
                [this](const httplib::Request& request, httplib::Response& response) {
                  const absl::Status status = proxy_.RemoveRule(request.matches[1].str());
                  ReplyStatus(response, status, FaultRulesToJson(proxy_.Rules()));
                });
  server.Post(R"(/(down|up))",
              [this](const httplib::Request& request, httplib::Response& response) {
                const absl::Status status = proxy_.SetDown(request.matches[1] == "down");
                ReplyStatus(response, status, Json{{"down", proxy_.IsDown()}});
              });
  server.Get("/stats", [this](const httplib::Request& request, httplib::Response& response) {
    const bool per_state = request.get_param_value("states") == "1";
    Reply(response, 200, StatsToJson(proxy_.Stats(), per_state));
  });
}

}  // namespace exosphere::reliability
