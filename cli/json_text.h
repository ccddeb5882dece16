#ifndef EXOSPHERE_CLI_JSON_TEXT_H_
#define EXOSPHERE_CLI_JSON_TEXT_H_

#include <string>

#include "sidecar/transport/json_util.h"

namespace exosphere::cli {

// A member of a JSON object as text: a string as is, null or missing as "", anything else as
// compact JSON. Never throws.
std::string TextOf(const json::Json& object, const char* key);

// `key=value` pairs of an object, in key order, separated by spaces (for table cells).
std::string Pairs(const json::Json& object);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_JSON_TEXT_H_
