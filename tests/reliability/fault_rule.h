#ifndef EXOSPHERE_TESTS_RELIABILITY_FAULT_RULE_H_
#define EXOSPHERE_TESTS_RELIABILITY_FAULT_RULE_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "tests/reliability/endpoint_kind.h"

namespace exosphere::reliability {

// What the proxy does to a request a rule picks.
enum class FaultKind {
  kDelay,      // waits `delay` (or a uniform draw in [delay, max_delay]), then goes on
  kDrop,       // closes the client connection without a response (FIN)
  kReset,      // resets the client connection (RST, via SO_LINGER 0)
  kStatus,     // answers `status` (500, 502, 503, 429, ...) with a JSON error body
  kTruncate,   // sends the upstream response with half its body, then closes (after forwarding)
  kMalformed,  // answers 200 with a body that is not JSON
  kBlackhole,  // never answers; holds the connection until the client or the proxy closes it
};

// When the fault happens: before the request reaches the upstream (the server never sees it) or
// after the upstream answered (the server applied it; the client does not learn so).
enum class FaultPhase { kBeforeForward, kAfterForward };

// One fault and the requests it applies to. A request matches when its method is in `methods`,
// its endpoint kind in `endpoints` and its path matches `path_glob` (an empty set or glob
// matches everything). A match fires with `probability`, at most `max_injections` times (0: no
// limit), while `enabled`.
struct FaultRule {
  // Unique within a rule set; counters are kept per name. Empty: the kind's name.
  std::string name = {};
  FaultKind kind = FaultKind::kDelay;
  FaultPhase phase = FaultPhase::kBeforeForward;
  double probability = 1.0;
  bool enabled = true;
  int64_t max_injections = 0;

  std::set<std::string> methods = {};
  std::set<EndpointKind> endpoints = {};
  // '*' matches any run of characters (including '/'), every other character itself; matched
  // against the path without its query string.
  std::string path_glob = {};

  // kDelay: a fixed delay, or a uniform draw in [delay, max_delay] when max_delay > delay.
  absl::Duration delay = absl::ZeroDuration();
  absl::Duration max_delay = absl::ZeroDuration();
  // kStatus: the status code answered (400..599).
  int status = 503;

  // Whether the rule applies to the request (ignores `enabled`, probability and the limit).
  bool Matches(absl::string_view method, absl::string_view path, EndpointKind kind) const;
};

// kInvalidArgument naming the rule and the problem: a probability outside [0, 1], a negative
// limit or delay, max_delay below delay, a status outside 400..599, a truncation before
// forwarding (there is no response to truncate yet), a method that is not upper case.
absl::Status ValidateFaultRule(const FaultRule& rule);

// Stable snake_case names: "delay", "drop", "reset", "status", "truncate", "malformed",
// "blackhole"; phases "before_forward" and "after_forward".
std::string FaultKindName(FaultKind kind);
std::optional<FaultKind> ParseFaultKind(absl::string_view name);
std::string FaultPhaseName(FaultPhase phase);
std::optional<FaultPhase> ParseFaultPhase(absl::string_view name);

// The glob matcher used by FaultRule::Matches ('*' only).
bool GlobMatches(absl::string_view glob, absl::string_view text);

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_FAULT_RULE_H_
