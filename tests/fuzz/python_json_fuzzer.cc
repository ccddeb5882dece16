// Fuzzes the devserver's decoder of request bodies (devserver/python_json_decoder.h), which
// mirrors CPython's json module: every request body the devserver receives goes through it.
//
// Invariants: no crash, exception or deep recursion; a decode error has a message and a position
// inside the body; any other error has a message; a decoded value serializes (DumpJson) to text
// that decodes again to the same serialization.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

#include "devserver/json.h"
#include "devserver/python_json_decoder.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using exosphere::devserver::DecodePythonJson;
  using exosphere::devserver::PythonJsonResult;
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  const PythonJsonResult result = DecodePythonJson(body);
  switch (result.outcome) {
    case PythonJsonResult::Outcome::kDecodeError:
      FUZZ_CHECK(!result.message.empty(), "decode error without a message");
      // A character offset: at most the number of bytes.
      FUZZ_CHECK(result.position >= 0 && static_cast<size_t>(result.position) <= size,
                 absl::StrCat(result.message, " at ", result.position));
      return 0;
    case PythonJsonResult::Outcome::kOtherError:
      FUZZ_CHECK(!result.message.empty(), "error without a message");
      return 0;
    case PythonJsonResult::Outcome::kOk:
      break;
  }
  const std::string dumped = exosphere::devserver::DumpJson(result.value);
  const PythonJsonResult again = DecodePythonJson(dumped);
  FUZZ_CHECK(again.outcome == PythonJsonResult::Outcome::kOk, dumped + ": " + again.message);
  const std::string dumped_again = exosphere::devserver::DumpJson(again.value);
  FUZZ_CHECK(dumped_again == dumped, dumped + " became " + dumped_again);
  return 0;
}
