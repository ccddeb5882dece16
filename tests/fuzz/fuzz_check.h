#ifndef EXOSPHERE_TESTS_FUZZ_FUZZ_CHECK_H_
#define EXOSPHERE_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

#include "common/log.h"

// Invariant checks for fuzz targets: a failed check prints the condition and aborts, which both
// libFuzzer and the replay driver report as a crash with the input that caused it.
#define FUZZ_CHECK(condition, detail)                                                            \
  do {                                                                                           \
    if (!(condition)) {                                                                          \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", __FILE__, __LINE__, #condition, \
                   std::string(detail).c_str());                                                 \
      std::abort();                                                                              \
    }                                                                                            \
  } while (false)

namespace exosphere::fuzz {

// The API key every target hands to the code under test; it must never show up in a message.
inline constexpr absl::string_view kApiKey = "fuzz-api-key-7f3a9c2e";

// A parser's error: not OK and with a message that says something.
inline void CheckError(const absl::Status& status) {
  FUZZ_CHECK(!status.ok(), "expected an error");
  FUZZ_CHECK(!status.message().empty(), status.ToString());
}

// The same for code that was given kApiKey: the key may appear in the message only if the input
// itself holds it (quoting a server's text can be legitimate; leaking the key is not).
inline void CheckError(const absl::Status& status, absl::string_view input) {
  CheckError(status);
  FUZZ_CHECK(status.message().find(kApiKey) == absl::string_view::npos ||
                 input.find(kApiKey) != absl::string_view::npos,
             status.ToString());
}

// Log lines for every rejected input would dominate the run time and the output.
inline void SilenceLogs() {
  static const bool silenced = [] {
    log::SetSink([](absl::string_view) {});
    return true;
  }();
  (void)silenced;
}

}  // namespace exosphere::fuzz

#endif  // EXOSPHERE_TESTS_FUZZ_FUZZ_CHECK_H_
