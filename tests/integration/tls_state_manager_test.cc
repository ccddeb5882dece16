// TLS to the state manager: a server certificate verified with --ca-file, and a client
// certificate for servers that require one. The "state manager" is a small HTTPS server that
// answers registration, claims and /health, with certificates made by openssl for this test.
#include <httplib.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "exosphere/client/client.h"
#include "harness/child_process.h"
#include "tests/support/status_matchers.h"

namespace exosphere {
namespace {

using ::exosphere::harness::BinaryPath;
using ::exosphere::harness::ChildProcess;
using ::testing::HasSubstr;

// Certificates for one test: a CA, a server certificate for 127.0.0.1 and a client certificate.
class Certificates {
 public:
  explicit Certificates(const std::string& dir) : dir_(dir) {}

  bool Make() {
    const std::string script = absl::StrCat(
        "set -e; cd '", dir_, "'; ",
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca -keyout ca.key "
        "-out ca.pem; ",
        "printf 'subjectAltName=IP:127.0.0.1\\n' > server.ext; ",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key "
        "-out server.csr; ",
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
        "-extfile server.ext -out server.pem; ",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=sidecar -keyout client.key "
        "-out client.csr; ",
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
        "-out client.pem");
    return std::system(absl::StrCat("(", script, ") >/dev/null 2>&1").c_str()) == 0;
  }
  std::string Path(const std::string& name) const { return absl::StrCat(dir_, "/", name); }

 private:
  std::string dir_;
};

// An HTTPS state manager that answers just enough for a worker to be registered.
class FakeTlsStateManager {
 public:
  FakeTlsStateManager(const Certificates& certs, bool require_client_certificate)
      : server_(certs.Path("server.pem").c_str(), certs.Path("server.key").c_str(),
                require_client_certificate ? certs.Path("ca.pem").c_str() : nullptr) {
    server_.set_keep_alive_timeout(1);
    server_.Put(R"(/v0/namespace/(.+)/nodes/)",
                [this](const httplib::Request& request, httplib::Response& response) {
                  {
                    absl::MutexLock lock(&mu_);
                    ++registrations_;
                  }
                  // The server's reply echoes the registration (the sidecar checks that it does).
                  const nlohmann::json body = nlohmann::json::parse(request.body);
                  response.set_content(nlohmann::json{{"runtime_name", body["runtime_name"]},
                                                      {"registered_nodes", body["nodes"]}}
                                           .dump(),
                                       "application/json");
                });
    server_.Post(R"(/v0/namespace/(.+)/states/enqueue)", [](const httplib::Request&,
                                                            httplib::Response& response) {
      response.set_content(R"({"count":0,"namespace":"tls","status":"QUEUED","states":[]})",
                           "application/json");
    });
    server_.Get("/health", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(R"({"message":"OK"})", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeTlsStateManager() {
    while (!server_.is_running()) std::this_thread::yield();
    server_.stop();
    thread_.join();
  }
  bool valid() const { return server_.is_valid() && port_ > 0; }
  std::string url() const { return absl::StrCat("https://127.0.0.1:", port_); }
  int registrations() {
    absl::MutexLock lock(&mu_);
    return registrations_;
  }

 private:
  httplib::SSLServer server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  int registrations_ ABSL_GUARDED_BY(mu_) = 0;
};

class TlsStateManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/tls-test-XXXXXX";
    dir_ = mkdtemp(dir);
    certs_ = std::make_unique<Certificates>(dir_);
    ASSERT_TRUE(certs_->Make()) << "openssl could not make the test certificates";
  }
  void TearDown() override {
    sidecar_.reset();
    std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }

  // Starts a sidecar with `extra` flags against `url` and a worker; returns the outcome of
  // waiting for the worker's registration.
  absl::Status RegisterThroughSidecar(const std::string& url, std::vector<std::string> extra) {
    const std::string address = absl::StrCat("unix:", dir_, "/s", ++sidecars_, ".sock");
    std::vector<std::string> argv = {BinaryPath("exosphere-sidecar"), "--state-manager-uri", url,
                                     "--listen", address};
    argv.insert(argv.end(), extra.begin(), extra.end());
    sidecar_.reset();
    absl::StatusOr<std::unique_ptr<ChildProcess>> started =
        ChildProcess::Start({argv, {{"EXOSPHERE_API_KEY", "tls-key"}}, true, "sidecar"});
    if (!started.ok()) return started.status();
    sidecar_ = *std::move(started);
    absl::Status listening =
        sidecar_
            ->WaitForStdoutLine(
                [](const std::string& line) { return absl::StartsWith(line, "listening"); },
                absl::Seconds(30))
            .status();
    if (!listening.ok()) return listening;
    client::RuntimeOptions options;
    options.sidecar_address = address;
    auto node = client::MakeNode(
        {"tls_node", {}, {}}, [](const client::Task&) { return client::NodeResult::NoOutputs(); });
    absl::StatusOr<std::unique_ptr<client::Runtime>> runtime =
        client::Runtime::Create("tls", "tls-rt", {node}, options);
    if (!runtime.ok()) return runtime.status();
    if (absl::Status status = (*runtime)->Start(); !status.ok()) return status;
    return (*runtime)->WaitUntilRegistered(absl::Seconds(4));
  }

  std::string dir_;
  std::unique_ptr<Certificates> certs_;
  std::unique_ptr<ChildProcess> sidecar_;
  int sidecars_ = 0;
};

TEST_F(TlsStateManagerTest, TheServerCertificateIsVerifiedWithTheGivenCa) {
  FakeTlsStateManager server(*certs_, /*require_client_certificate=*/false);
  ASSERT_TRUE(server.valid());
  absl::Status unverified = RegisterThroughSidecar(server.url(), {});
  EXPECT_FALSE(unverified.ok());
  EXPECT_EQ(server.registrations(), 0);
  ASSERT_OK(sidecar_
                ->WaitForStderrLine(
                    [](const std::string& line) {
                      return absl::StrContains(line, "registration_failed") &&
                             (absl::StrContains(line, "certificate") ||
                              absl::StrContains(line, "SSL"));
                    },
                    absl::Seconds(10))
                .status());
  EXPECT_OK(RegisterThroughSidecar(server.url(), {"--ca-file", certs_->Path("ca.pem")}));
  EXPECT_GE(server.registrations(), 1);
}

TEST_F(TlsStateManagerTest, AClientCertificateIsPresentedWhenTheServerRequiresOne) {
  FakeTlsStateManager server(*certs_, /*require_client_certificate=*/true);
  ASSERT_TRUE(server.valid());
  EXPECT_FALSE(RegisterThroughSidecar(server.url(), {"--ca-file", certs_->Path("ca.pem")}).ok());
  EXPECT_EQ(server.registrations(), 0);
  EXPECT_OK(RegisterThroughSidecar(
      server.url(), {"--ca-file", certs_->Path("ca.pem"), "--client-cert-file",
                     certs_->Path("client.pem"), "--client-key-file", certs_->Path("client.key")}));
  EXPECT_GE(server.registrations(), 1);
}

}  // namespace
}  // namespace exosphere
