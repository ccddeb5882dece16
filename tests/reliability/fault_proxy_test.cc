#include "tests/reliability/fault_proxy.h"

#include <httplib.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "tests/reliability/proxy_test_peers.h"
#include "tests/reliability/socket_io.h"
#include "tests/support/status_matchers.h"

namespace exosphere::reliability {
namespace {

using ::exosphere::testing::IsOk;
using ::exosphere::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kStateId[] = "0123456789abcdef01234567";
constexpr absl::Duration kWait = absl::Seconds(10);

std::string ExecutedPath(const std::string& state_id = kStateId) {
  return absl::StrCat("/v0/namespace/ns/state/", state_id, "/executed");
}

std::string RawPost(const std::string& path, const std::string& body = "{\"outputs\":[]}") {
  return absl::StrCat("POST ", path,
                      " HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n",
                      "Content-Length: ", body.size(), "\r\n\r\n", body);
}

FaultRule Rule(FaultKind kind, FaultPhase phase = FaultPhase::kBeforeForward) {
  FaultRule rule;
  rule.kind = kind;
  rule.phase = phase;
  return rule;
}

class FaultProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(upstream_, TestUpstream::Start());
    FaultProxyOptions options;
    options.upstream_port = upstream_->port();
    options.seed = 42;
    ASSERT_OK_AND_ASSIGN(proxy_, FaultProxy::Start(options));
  }

  void TearDown() override {
    // Clients are gone (they live in the tests); the proxy closes its upstream connections, so
    // the upstream server stops without waiting for keep-alives.
    proxy_->Stop();
    proxy_.reset();
    upstream_.reset();
  }

  std::unique_ptr<httplib::Client> Client(absl::Duration read_timeout = absl::Seconds(10)) {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", proxy_->port());
    client->set_keep_alive(true);
    client->set_connection_timeout(2);
    client->set_read_timeout(absl::ToChronoSeconds(read_timeout));
    return client;
  }

  httplib::Result PostExecuted(httplib::Client& client, const std::string& state_id = kStateId) {
    return client.Post(ExecutedPath(state_id).c_str(), "{\"outputs\":[]}", "application/json");
  }

  std::unique_ptr<RawClient> Raw() {
    absl::StatusOr<std::unique_ptr<RawClient>> raw = RawClient::Connect(proxy_->port());
    EXPECT_TRUE(raw.ok()) << raw.status();
    return raw.ok() ? *std::move(raw) : nullptr;
  }

  std::unique_ptr<TestUpstream> upstream_;
  std::unique_ptr<FaultProxy> proxy_;
};

TEST_F(FaultProxyTest, ForwardsRequestsAndCountsThem) {
  auto client = Client();
  httplib::Result echoed =
      client->Post("/v0/namespace/ns/graph/g/trigger", httplib::Headers{{"x-api-key", "k"}},
                   R"({"inputs":{"a":"b"}})", "application/json");
  ASSERT_TRUE(echoed);
  EXPECT_EQ(echoed->status, 200);
  const nlohmann::json body = nlohmann::json::parse(echoed->body);
  EXPECT_EQ(body["path"], "/v0/namespace/ns/graph/g/trigger");
  EXPECT_EQ(body["body"], R"({"inputs":{"a":"b"}})");
  httplib::Result health = client->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  const FaultProxyStats stats = proxy_->Stats();
  EXPECT_EQ(stats.Requests("POST", EndpointKind::kTrigger), 1);
  EXPECT_EQ(stats.Requests("GET", EndpointKind::kHealth), 1);
  EXPECT_EQ(stats.upstream_statuses.at(200), 2);
  EXPECT_EQ(stats.TotalFaults(), 0);
  EXPECT_EQ(upstream_->seen_count(), 2u);
}

TEST_F(FaultProxyTest, ReusesTheClientAndUpstreamConnections) {
  auto client = Client();
  for (int i = 0; i < 5; ++i) {
    httplib::Result result = client->Get(absl::StrCat("/echo/", i).c_str());
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
  }
  EXPECT_EQ(proxy_->Stats().connections_accepted, 1);
  const std::vector<TestUpstream::Seen> seen = upstream_->seen();
  ASSERT_EQ(seen.size(), 5u);
  for (const TestUpstream::Seen& request : seen)
    EXPECT_EQ(request.remote_port, seen[0].remote_port);
}

TEST_F(FaultProxyTest, CountsReportsTheUpstreamAppliedPerStateAndFindsDuplicates) {
  auto client = Client();
  ASSERT_TRUE(PostExecuted(*client));
  ASSERT_TRUE(PostExecuted(*client, "aaaaaaaaaaaaaaaaaaaaaaaa"));
  ASSERT_TRUE(PostExecuted(*client));  // the same state a second time
  httplib::Result rejected = PostExecuted(*client, "rejected");
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, 400);
  ASSERT_TRUE(client->Post("/v0/namespace/ns/state/bbbbbbbbbbbbbbbbbbbbbbbb/errored", "{}",
                           "application/json"));

  const FaultProxyStats stats = proxy_->Stats();
  EXPECT_EQ(stats.AppliedFor(kStateId).executed, 2);
  EXPECT_EQ(stats.AppliedFor("aaaaaaaaaaaaaaaaaaaaaaaa").executed, 1);
  EXPECT_EQ(stats.AppliedFor("rejected").executed, 0);
  EXPECT_EQ(stats.AppliedFor("bbbbbbbbbbbbbbbbbbbbbbbb").errored, 1);
  EXPECT_EQ(stats.TotalApplied(EndpointKind::kExecuted), 3);
  EXPECT_THAT(stats.StatesWithDuplicateExecuted(), ElementsAre(kStateId));
  EXPECT_THAT(stats.StatesWithMultipleFinishingReports(), ElementsAre(kStateId));
  EXPECT_EQ(stats.Requests("POST", EndpointKind::kExecuted), 4);
}

TEST_F(FaultProxyTest, RecordsClaimsAndWhetherTheirReplyReachedTheClient) {
  auto client = Client();
  ASSERT_TRUE(client->Post("/v0/namespace/ns/states/enqueue", "{}", "application/json"));
  FaultProxyStats stats = proxy_->Stats();
  EXPECT_EQ(stats.claims.at("claim-1").claimed, 1);
  EXPECT_EQ(stats.claims.at("claim-1").delivered, 1);
  EXPECT_THAT(stats.StatesWithUndeliveredClaims(), IsEmpty());

  // The state manager claimed them again, but the reply is lost on its way.
  ASSERT_OK(proxy_->SetRules({Rule(FaultKind::kDrop, FaultPhase::kAfterForward)}));
  EXPECT_FALSE(client->Post("/v0/namespace/ns/states/enqueue", "{}", "application/json"));
  stats = proxy_->Stats();
  EXPECT_EQ(stats.claims.at("claim-2").claimed, 2);
  EXPECT_EQ(stats.claims.at("claim-2").delivered, 1);
  EXPECT_THAT(stats.StatesWithUndeliveredClaims(), ElementsAre("claim-1", "claim-2"));
}

TEST_F(FaultProxyTest, DelayHoldsTheRequestBeforeItIsForwarded) {
  FaultRule delay = Rule(FaultKind::kDelay);
  delay.delay = absl::Milliseconds(300);
  ASSERT_OK(proxy_->SetRules({delay}));
  auto client = Client();
  const absl::Time start = absl::Now();
  httplib::Result result = client->Get("/slow");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  EXPECT_EQ(proxy_->Stats().Faults(FaultKind::kDelay), 1);
}

TEST_F(FaultProxyTest, MaxInFlightQueuesRequestsBehindTheOneBeingServed) {
  FaultProxyOptions options;
  options.upstream_port = upstream_->port();
  options.max_in_flight = 1;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FaultProxy> proxy, FaultProxy::Start(options));
  // The first request is "served" for a minute: it holds the only place.
  FaultRule slow = Rule(FaultKind::kDelay);
  slow.delay = absl::Minutes(1);
  slow.max_injections = 1;
  ASSERT_OK(proxy->SetRules({slow}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RawClient> first, RawClient::Connect(proxy->port()));
  ASSERT_TRUE(first->Send("GET /first HTTP/1.1\r\nHost: proxy\r\n\r\n"));
  ASSERT_TRUE(proxy->AwaitStats(
      [](const FaultProxyStats& stats) { return stats.TotalFaults() == 1; }, kWait));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RawClient> second, RawClient::Connect(proxy->port()));
  ASSERT_TRUE(second->Send("GET /second HTTP/1.1\r\nHost: proxy\r\n\r\n"));
  ASSERT_TRUE(proxy->AwaitStats(
      [](const FaultProxyStats& stats) { return stats.Requests("GET", EndpointKind::kOther) == 2; },
      kWait));
  EXPECT_EQ(proxy->TotalRequests(), 2);

  // Without the limit the second would be answered within a millisecond.
  EXPECT_EQ(second->ReadResponse(absl::Milliseconds(500)), "");
  EXPECT_EQ(upstream_->seen_count(), 0u);
  // The first client gives up: its place goes to the second, which is forwarded and answered.
  first.reset();
  EXPECT_THAT(second->ReadResponse(kWait), HasSubstr("200 OK"));
  const std::vector<TestUpstream::Seen> seen = upstream_->seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, "/second");
  proxy->Stop();
}

TEST_F(FaultProxyTest, DelayRangeDrawsWithinItAfterForwarding) {
  FaultRule delay = Rule(FaultKind::kDelay, FaultPhase::kAfterForward);
  delay.delay = absl::Milliseconds(100);
  delay.max_delay = absl::Milliseconds(200);
  ASSERT_OK(proxy_->SetRules({delay}));
  auto client = Client();
  for (int i = 0; i < 3; ++i) {
    const absl::Time start = absl::Now();
    ASSERT_TRUE(client->Get("/slow"));
    EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));
  }
  EXPECT_EQ(upstream_->seen_count(), 3u);
}

TEST_F(FaultProxyTest, DropBeforeForwardClosesWithoutReachingTheUpstream) {
  ASSERT_OK(proxy_->SetRules({Rule(FaultKind::kDrop)}));
  auto raw = Raw();
  ASSERT_TRUE(raw->Send(RawPost(ExecutedPath())));
  std::string data;
  EXPECT_EQ(raw->ReadUntilClosed(kWait, data), ConnectionEnd::kFin);
  EXPECT_EQ(data, "");
  EXPECT_EQ(upstream_->seen_count(), 0u);
  EXPECT_EQ(proxy_->Stats().Faults(FaultKind::kDrop), 1);
  EXPECT_EQ(proxy_->Stats().AppliedFor(kStateId).executed, 0);
}

TEST_F(FaultProxyTest, DropAfterForwardLosesTheReplyOfAnAppliedReport) {
  ASSERT_OK(proxy_->SetRules({Rule(FaultKind::kDrop, FaultPhase::kAfterForward)}));
  auto client = Client();
  httplib::Result result = PostExecuted(*client);
  EXPECT_FALSE(result);
  EXPECT_EQ(upstream_->seen_count(), 1u);
  const FaultProxyStats stats = proxy_->Stats();
  EXPECT_EQ(stats.AppliedFor(kStateId).executed, 1);
  EXPECT_EQ(stats.Faults(FaultKind::kDrop), 1);
}

TEST_F(FaultProxyTest, ResetSendsRstBeforeOrAfterForwarding) {
  ASSERT_OK(proxy_->SetRules({Rule(FaultKind::kReset)}));
  auto before = Raw();
  ASSERT_TRUE(before->Send(RawPost(ExecutedPath())));
  std::string data;
  EXPECT_EQ(before->ReadUntilClosed(kWait, data), ConnectionEnd::kReset);
  EXPECT_EQ(upstream_->seen_count(), 0u);

  ASSERT_OK(proxy_->SetRules({Rule(FaultKind::kReset, FaultPhase::kAfterForward)}));
  auto after = Raw();
  ASSERT_TRUE(after->Send(RawPost(ExecutedPath())));
  EXPECT_EQ(after->ReadUntilClosed(kWait, data), ConnectionEnd::kReset);
  EXPECT_EQ(upstream_->seen_count(), 1u);
  EXPECT_EQ(proxy_->Stats().Faults(FaultKind::kReset), 2);
}

TEST_F(FaultProxyTest, StatusAnswersWithoutForwardingAndKeepsTheConnection) {
  FaultRule unavailable = Rule(FaultKind::kStatus);
  unavailable.name = "unavailable";
  unavailable.status = 503;
  unavailable.max_injections = 1;
  FaultRule throttled = Rule(FaultKind::kStatus);
  throttled.name = "throttled";
  throttled.status = 429;
  throttled.max_injections = 1;
  ASSERT_OK(proxy_->SetRules({unavailable, throttled}));
  auto client = Client();
  httplib::Result first = PostExecuted(*client);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 503);
  EXPECT_THAT(first->body, HasSubstr("injected 503"));
  EXPECT_EQ(first->get_header_value("X-Fault-Proxy-Rule"), "unavailable");
  httplib::Result second = PostExecuted(*client);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 429);
  httplib::Result third = PostExecuted(*client);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 200);

  const FaultProxyStats stats = proxy_->Stats();
  EXPECT_EQ(upstream_->seen_count(), 1u);
  EXPECT_EQ(stats.connections_accepted, 1);
  EXPECT_EQ(stats.FaultsOfRule("unavailable"), 1);
  EXPECT_EQ(stats.FaultsOfRule("throttled"), 1);
  EXPECT_EQ(stats.Faults(FaultKind::kStatus), 2);
}

TEST_F(FaultProxyTest, StatusAfterForwardHidesAnAppliedReport) {
  FaultRule bad_gateway = Rule(FaultKind::kStatus, FaultPhase::kAfterForward);
  bad_gateway.status = 502;
  ASSERT_OK(proxy_->SetRules({bad_gateway}));
  auto client = Client();
  httplib::Result result = PostExecuted(*client);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 502);
  EXPECT_EQ(upstream_->seen_count(), 1u);
  EXPECT_EQ(proxy_->Stats().AppliedFor(kStateId).executed, 1);
}

TEST_F(FaultProxyTest, TruncateSendsHalfTheBodyThenCloses) {
  ASSERT_OK(proxy_->SetRules({Rule(FaultKind::kTruncate, FaultPhase::kAfterForward)}));
  auto raw = Raw();
  ASSERT_TRUE(raw->Send("GET /big HTTP/1.1\r\nHost: proxy\r\n\r\n"));
  std::string data;
  EXPECT_EQ(raw->ReadUntilClosed(kWait, data), ConnectionEnd::kFin);
  const size_t head_end = data.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << data;
  EXPECT_THAT(data.substr(0, head_end), HasSubstr("Content-Length: 1000"));
  EXPECT_EQ(data.size() - head_end - 4, 500u);

  auto client = Client();
  EXPECT_FALSE(client->Get("/big"));  // an HTTP client sees a failed read
  EXPECT_EQ(proxy_->Stats().Faults(FaultKind::kTruncate), 2);
}

TEST_F(FaultProxyTest, MalformedAnswers200WithABodyThatIsNotJson) {
  ASSERT_OK(proxy_->SetRules({Rule(FaultKind::kMalformed, FaultPhase::kAfterForward)}));
  auto client = Client();
  httplib::Result result = PostExecuted(*client);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
  EXPECT_FALSE(nlohmann::json::accept(result->body)) << result->body;
  EXPECT_EQ(proxy_->Stats().AppliedFor(kStateId).executed, 1);
  // Before forwarding, the upstream never sees it.
  ASSERT_OK(proxy_->SetRules({Rule(FaultKind::kMalformed)}));
  ASSERT_TRUE(PostExecuted(*client));
  EXPECT_EQ(upstream_->seen_count(), 1u);
}

TEST_F(FaultProxyTest, BlackholeNeverAnswersSoTheClientTimesOut) {
  ASSERT_OK(proxy_->SetRules({Rule(FaultKind::kBlackhole)}));
  auto client = Client(absl::Seconds(1));
  const absl::Time start = absl::Now();
  httplib::Result result = PostExecuted(*client);
  EXPECT_FALSE(result);
  EXPECT_EQ(result.error(), httplib::Error::Read);
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(upstream_->seen_count(), 0u);

  ASSERT_OK(proxy_->SetRules({Rule(FaultKind::kBlackhole, FaultPhase::kAfterForward)}));
  auto after = Client(absl::Seconds(1));
  EXPECT_FALSE(PostExecuted(*after));
  EXPECT_EQ(upstream_->seen_count(), 1u);
  EXPECT_EQ(proxy_->Stats().AppliedFor(kStateId).executed, 1);
  // The clients gave up and closed: the held connections end.
  client.reset();
  after.reset();
  EXPECT_TRUE(proxy_->AwaitStats(
      [](const FaultProxyStats& stats) { return stats.connections_open == 0; }, kWait));
}

TEST_F(FaultProxyTest, DelaysAddUpBeforeTheFaultThatEndsTheExchange) {
  FaultRule delay = Rule(FaultKind::kDelay);
  delay.delay = absl::Milliseconds(100);
  FaultRule failure = Rule(FaultKind::kStatus);
  failure.status = 500;
  FaultRule never = Rule(FaultKind::kDrop);  // after the first ending fault: never reached
  ASSERT_OK(proxy_->SetRules({delay, delay, failure, never}));
  auto client = Client();
  const absl::Time start = absl::Now();
  httplib::Result result = client->Get("/x");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 500);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(200));
  const FaultProxyStats stats = proxy_->Stats();
  EXPECT_EQ(stats.Faults(FaultKind::kDelay), 2);
  EXPECT_EQ(stats.FaultsOfRule("delay-2"), 1);
  EXPECT_EQ(stats.Faults(FaultKind::kDrop), 0);
}

TEST_F(FaultProxyTest, FiltersByMethodEndpointAndPath) {
  FaultRule only_executed = Rule(FaultKind::kStatus);
  only_executed.methods = {"POST"};
  only_executed.endpoints = {EndpointKind::kExecuted};
  only_executed.path_glob = "*/state/aaaaaaaaaaaaaaaaaaaaaaaa/*";
  ASSERT_OK(proxy_->SetRules({only_executed}));
  auto client = Client();
  EXPECT_EQ(PostExecuted(*client, "aaaaaaaaaaaaaaaaaaaaaaaa")->status, 503);
  EXPECT_EQ(PostExecuted(*client, "bbbbbbbbbbbbbbbbbbbbbbbb")->status, 200);
  EXPECT_EQ(client->Get(ExecutedPath("aaaaaaaaaaaaaaaaaaaaaaaa").c_str())->status, 200);
  EXPECT_EQ(client
                ->Post("/v0/namespace/ns/state/aaaaaaaaaaaaaaaaaaaaaaaa/errored", "{}",
                       "application/json")
                ->status,
            200);
  EXPECT_EQ(client->Post("/v0/namespace/ns/states/enqueue", "{}", "application/json")->status, 200);
  EXPECT_EQ(proxy_->Stats().TotalFaults(), 1);
  EXPECT_THAT(proxy_->Stats().StatesWithUndeliveredClaims(), IsEmpty());
}

TEST_F(FaultProxyTest, ProbabilityAndInjectionLimitsAreHonoured) {
  FaultRule half = Rule(FaultKind::kStatus);
  half.name = "half";
  half.probability = 0.5;
  FaultRule never = Rule(FaultKind::kDrop);
  never.name = "never";
  never.probability = 0.0;
  ASSERT_OK(proxy_->SetRules({never, half}));
  auto client = Client();
  int failed = 0;
  for (int i = 0; i < 200; ++i) {
    httplib::Result result = client->Get("/p");
    ASSERT_TRUE(result);
    if (result->status == 503) ++failed;
  }
  EXPECT_GT(failed, 50);
  EXPECT_LT(failed, 150);
  EXPECT_EQ(proxy_->Stats().FaultsOfRule("half"), failed);
  EXPECT_EQ(proxy_->Stats().FaultsOfRule("never"), 0);

  FaultRule twice = Rule(FaultKind::kStatus);
  twice.max_injections = 2;
  ASSERT_OK(proxy_->SetRules({twice}));
  std::vector<int> statuses;
  for (int i = 0; i < 4; ++i) statuses.push_back(client->Get("/p")->status);
  EXPECT_THAT(statuses, ElementsAre(503, 503, 200, 200));
}

TEST_F(FaultProxyTest, RulesCanBeSwitchedAtRuntime) {
  FaultRule failing = Rule(FaultKind::kStatus);
  failing.name = "failing";
  failing.enabled = false;
  ASSERT_OK(proxy_->AddRule(failing));
  auto client = Client();
  EXPECT_EQ(client->Get("/x")->status, 200);
  ASSERT_OK(proxy_->SetRuleEnabled("failing", true));
  EXPECT_EQ(client->Get("/x")->status, 503);
  ASSERT_OK(proxy_->SetRuleEnabled("failing", false));
  EXPECT_EQ(client->Get("/x")->status, 200);
  EXPECT_THAT(proxy_->SetRuleEnabled("missing", true),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
  ASSERT_OK(proxy_->RemoveRule("failing"));
  EXPECT_THAT(proxy_->Rules(), IsEmpty());
  ASSERT_OK(proxy_->AddRule(Rule(FaultKind::kStatus)));
  proxy_->ClearRules();
  EXPECT_EQ(client->Get("/x")->status, 200);
}

TEST_F(FaultProxyTest, InvalidRuleSetsChangeNothing) {
  FaultRule kept = Rule(FaultKind::kStatus);
  kept.name = "kept";
  ASSERT_OK(proxy_->SetRules({kept}));
  FaultRule first = Rule(FaultKind::kDrop);
  first.name = "same";
  EXPECT_THAT(proxy_->SetRules({first, first}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'same' is used twice")));
  FaultRule bad = Rule(FaultKind::kTruncate);  // before forwarding: invalid
  EXPECT_THAT(proxy_->AddRule(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncat")));
  ASSERT_EQ(proxy_->Rules().size(), 1u);
  EXPECT_EQ(proxy_->Rules()[0].name, "kept");
  // Unnamed rules are named after their kind.
  ASSERT_OK(proxy_->SetRules({Rule(FaultKind::kDrop), Rule(FaultKind::kDrop)}));
  EXPECT_EQ(proxy_->Rules()[0].name, "drop");
  EXPECT_EQ(proxy_->Rules()[1].name, "drop-2");
}

TEST_F(FaultProxyTest, DownRefusesConnectionsAndComesBackOnTheSamePort) {
  const int port = proxy_->port();
  auto client = Client();
  ASSERT_TRUE(client->Get("/before"));
  auto idle = Raw();
  // Accepted, rather than still queued (a queued connection is reset when the listener stops).
  ASSERT_TRUE(proxy_->AwaitStats(
      [](const FaultProxyStats& stats) { return stats.connections_open == 2; }, kWait));

  ASSERT_OK(proxy_->SetDown(true));
  EXPECT_TRUE(proxy_->IsDown());
  EXPECT_THAT(RawClient::Connect(port).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("refused")));
  std::string data;
  EXPECT_EQ(idle->ReadUntilClosed(kWait, data), ConnectionEnd::kFin);  // open ones are closed
  EXPECT_FALSE(client->Get("/while-down"));

  ASSERT_OK(proxy_->SetDown(false));
  EXPECT_EQ(proxy_->port(), port);
  httplib::Result after = client->Get("/after");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
  EXPECT_OK(proxy_->SetDown(false));  // already up: no change
}

TEST_F(FaultProxyTest, AnUnreachableUpstreamGives502) {
  // A port that was free a moment ago: nothing listens there.
  absl::StatusOr<ScopedFd> listener = ListenLoopback(0);
  ASSERT_OK(listener.status());
  ASSERT_OK_AND_ASSIGN(int dead_port, LocalPort(listener->get()));
  listener->Reset();
  FaultProxyOptions options;
  options.upstream_port = dead_port;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FaultProxy> proxy, FaultProxy::Start(options));
  httplib::Client client("127.0.0.1", proxy->port());
  httplib::Result result = client.Get("/x");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 502);
  EXPECT_THAT(result->body, HasSubstr("upstream"));
  EXPECT_EQ(proxy->Stats().upstream_failures, 1);
}

TEST_F(FaultProxyTest, RejectsAnUpstreamOffThisMachine) {
  FaultProxyOptions options;
  options.upstream_host = "10.0.0.1";
  options.upstream_port = 80;
  EXPECT_THAT(FaultProxy::Start(options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("loopback")));
}

TEST_F(FaultProxyTest, HandlesChunkedRequestsAndExpectContinue) {
  auto raw = Raw();
  ASSERT_TRUE(
      raw->Send("POST /chunked HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                "3\r\nabc\r\n0\r\n\r\n"));
  EXPECT_THAT(raw->ReadResponse(kWait), HasSubstr("\"body\":\"abc\""));

  ASSERT_TRUE(
      raw->Send("POST /expect HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"));
  EXPECT_EQ(raw->ReadResponse(kWait), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(raw->Send("ok"));
  EXPECT_THAT(raw->ReadResponse(kWait), HasSubstr("\"body\":\"ok\""));
}

TEST_F(FaultProxyTest, AnswersMalformedRequestsWith400AndCloses) {
  auto raw = Raw();
  ASSERT_TRUE(raw->Send("NOT HTTP AT ALL\r\n\r\n"));
  std::string data;
  EXPECT_EQ(raw->ReadUntilClosed(kWait, data), ConnectionEnd::kFin);
  EXPECT_THAT(data, ::testing::StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_EQ(upstream_->seen_count(), 0u);
}

TEST_F(FaultProxyTest, ClosedConnectionsAreReleased) {
  for (int i = 0; i < 20; ++i) {
    httplib::Client client("127.0.0.1", proxy_->port());  // one connection per request
    ASSERT_TRUE(client.Get("/x"));
  }
  EXPECT_TRUE(proxy_->AwaitStats(
      [](const FaultProxyStats& stats) {
        return stats.connections_accepted == 20 && stats.connections_open == 0;
      },
      kWait));
}

TEST_F(FaultProxyTest, StopClosesEveryConnectionAndReturnsPromptly) {
  FaultRule blackhole = Rule(FaultKind::kBlackhole);
  blackhole.path_glob = "/hole";
  ASSERT_OK(proxy_->SetRules({blackhole}));
  auto held = Raw();
  ASSERT_TRUE(held->Send("GET /hole HTTP/1.1\r\n\r\n"));
  auto idle = Raw();
  ASSERT_TRUE(idle->Send("GET /fine HTTP/1.1\r\n\r\n"));
  EXPECT_THAT(idle->ReadResponse(kWait), HasSubstr("200 OK"));
  ASSERT_TRUE(proxy_->AwaitStats(
      [](const FaultProxyStats& stats) { return stats.Faults(FaultKind::kBlackhole) == 1; },
      kWait));

  const absl::Time start = absl::Now();
  proxy_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  std::string data;
  EXPECT_EQ(held->ReadUntilClosed(kWait, data), ConnectionEnd::kFin);
  EXPECT_EQ(idle->ReadUntilClosed(kWait, data), ConnectionEnd::kFin);
  EXPECT_THAT(RawClient::Connect(proxy_->port()).status(),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  EXPECT_EQ(proxy_->Stats().connections_open, 0);
  EXPECT_THAT(proxy_->SetDown(true), StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));
}

TEST_F(FaultProxyTest, AwaitStatsTimesOutWhenTheConditionNeverHolds) {
  EXPECT_FALSE(proxy_->AwaitStats(
      [](const FaultProxyStats& stats) { return stats.Requests(EndpointKind::kExecuted) > 0; },
      absl::Milliseconds(50)));
}

}  // namespace
}  // namespace exosphere::reliability
