#ifndef EXOSPHERE_DEVSERVER_JSON_H_
#define EXOSPHERE_DEVSERVER_JSON_H_

#include <string>

#include "nlohmann/json.hpp"

namespace exosphere::devserver {

// Insertion-ordered JSON. The state manager is a Python service whose dicts keep insertion order,
// and some of those orders carry meaning (the last entry of a state's `parents` is its direct
// parent), so every document the devserver stores or returns keeps its keys in order.
using Json = nlohmann::ordered_json;

// Compact serialization (as Starlette's JSONResponse writes it). Never throws: invalid UTF-8 is
// replaced by U+FFFD and non-finite numbers become null.
std::string DumpJson(const Json& value);

// Returns the member `key` of `object`, or nullptr when `object` is not an object or lacks it.
const Json* FindMember(const Json& object, const std::string& key);

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_JSON_H_
