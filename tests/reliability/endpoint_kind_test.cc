#include "tests/reliability/endpoint_kind.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace exosphere::reliability {
namespace {

using ::testing::Optional;

TEST(EndpointKindTest, ClassifiesEveryStateManagerEndpoint) {
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/nodes/").kind, EndpointKind::kRegisterNodes);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/graph/g").kind, EndpointKind::kGraph);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/graph/g/trigger").kind, EndpointKind::kTrigger);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/states/enqueue").kind, EndpointKind::kEnqueue);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/state/abc/errored").kind, EndpointKind::kErrored);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/state/abc/prune").kind, EndpointKind::kPrune);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/state/abc/re-enqueue-after").kind,
            EndpointKind::kReEnqueueAfter);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/state/abc/manual-retry").kind,
            EndpointKind::kManualRetry);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/state/abc/secrets").kind, EndpointKind::kSecrets);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/runs/1/10").kind, EndpointKind::kInspection);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/graphs/").kind, EndpointKind::kInspection);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/states/run/r1/graph").kind,
            EndpointKind::kInspection);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/graph/g/run/r/node/n").kind,
            EndpointKind::kInspection);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespaces").kind, EndpointKind::kInspection);
  EXPECT_EQ(ClassifyEndpoint("/health").kind, EndpointKind::kHealth);
}

TEST(EndpointKindTest, ExtractsTheStateIdOfStateEndpointsAndIgnoresTheQuery) {
  const Endpoint endpoint =
      ClassifyEndpoint("/v0/namespace/ns/state/0123456789abcdef01234567/executed?x=1");
  EXPECT_EQ(endpoint.kind, EndpointKind::kExecuted);
  EXPECT_THAT(endpoint.state_id, Optional(std::string("0123456789abcdef01234567")));
  EXPECT_FALSE(ClassifyEndpoint("/v0/namespace/ns/states/enqueue").state_id.has_value());
}

TEST(EndpointKindTest, UnknownPathsAreOther) {
  EXPECT_EQ(ClassifyEndpoint("/").kind, EndpointKind::kOther);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/").kind, EndpointKind::kOther);
  // Without its trailing slash the state manager answers a redirect.
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/nodes").kind, EndpointKind::kOther);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/state/abc/unknown").kind, EndpointKind::kOther);
  EXPECT_EQ(ClassifyEndpoint("/v1/namespace/ns/states/enqueue").kind, EndpointKind::kOther);
  EXPECT_EQ(ClassifyEndpoint("/v0/namespace/ns/state/abc/executed/extra").kind,
            EndpointKind::kOther);
}

TEST(EndpointKindTest, NamesRoundTrip) {
  for (EndpointKind kind :
       {EndpointKind::kRegisterNodes, EndpointKind::kGraph, EndpointKind::kTrigger,
        EndpointKind::kEnqueue, EndpointKind::kExecuted, EndpointKind::kErrored,
        EndpointKind::kPrune, EndpointKind::kReEnqueueAfter, EndpointKind::kManualRetry,
        EndpointKind::kSecrets, EndpointKind::kInspection, EndpointKind::kHealth,
        EndpointKind::kOther}) {
    EXPECT_THAT(ParseEndpointKind(EndpointKindName(kind)), Optional(kind));
  }
  EXPECT_EQ(EndpointKindName(EndpointKind::kReEnqueueAfter), "re_enqueue_after");
  EXPECT_FALSE(ParseEndpointKind("nope").has_value());
}

TEST(EndpointKindTest, ReportsAreTheFourStateFinishingOrHandingBackCalls) {
  EXPECT_TRUE(IsReport(EndpointKind::kExecuted));
  EXPECT_TRUE(IsReport(EndpointKind::kErrored));
  EXPECT_TRUE(IsReport(EndpointKind::kPrune));
  EXPECT_TRUE(IsReport(EndpointKind::kReEnqueueAfter));
  EXPECT_FALSE(IsReport(EndpointKind::kManualRetry));
  EXPECT_FALSE(IsReport(EndpointKind::kEnqueue));
}

}  // namespace
}  // namespace exosphere::reliability
