#ifndef EXOSPHERE_DEVSERVER_PYTHON_JSON_DECODER_H_
#define EXOSPHERE_DEVSERVER_PYTHON_JSON_DECODER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

#include "devserver/json.h"

namespace exosphere::devserver {

// The outcome of decoding a request body the way FastAPI does (`json.loads(body_bytes)`).
struct PythonJsonResult {
  enum class Outcome {
    kOk,
    // json.JSONDecodeError: FastAPI answers 422 `json_invalid` with `message` as ctx.error and
    // `position` (a character offset) in `loc`.
    kDecodeError,
    // Any other failure (invalid UTF-8, nesting deeper than Python's recursion limit, an integer
    // of more than 4300 digits): FastAPI answers 400 "There was an error parsing the body".
    kOtherError,
  };
  Outcome outcome = Outcome::kOk;
  Json value;
  std::string message;
  int64_t position = 0;
};

// Decodes `body` with the grammar and error texts of CPython's json module (C scanner): NaN,
// Infinity and -Infinity are accepted, duplicate keys keep the last value at the first key's
// position, lone surrogate escapes are kept (as WTF-8). A UTF-8 byte order mark is skipped.
// Never throws; bounded recursion. Thread-safe.
PythonJsonResult DecodePythonJson(absl::string_view body);

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_PYTHON_JSON_DECODER_H_
