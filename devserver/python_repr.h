#ifndef EXOSPHERE_DEVSERVER_PYTHON_REPR_H_
#define EXOSPHERE_DEVSERVER_PYTHON_REPR_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

#include "devserver/json.h"

// Python's repr()/str() of JSON-decoded values. The state manager builds many of its error texts
// with f-strings over Python objects (`Input {value} is not a string`, `Missing store keys:
// {set}`), and Pydantic prints `input_value=<repr>`; these helpers reproduce those renderings. Pure
// functions, thread-safe.
namespace exosphere::devserver {

// repr(str): single quotes unless the text contains ' and no ", with Python's escapes.
std::string PythonStringRepr(absl::string_view text);
// repr(value): None, True, False, ints, floats (shortest round-trip form), 'strings', [lists],
// {'dicts': ...}.
std::string PythonRepr(const Json& value);
// str(value): the text itself for strings, repr() for everything else.
std::string PythonStr(const Json& value);
// repr() of a set of strings, e.g. {'a', 'b'}; `set()` when empty. Python's set order depends on
// per-process hash seeds, so callers pass the order they want (the devserver sorts).
std::string PythonSetRepr(const std::vector<std::string>& items);
// Pydantic's shortening of long `input_value` reprs: more than 50 characters keep the first 25
// and the last 24 around "...".
std::string TruncateForPydantic(const std::string& repr);
// Python's type name of a JSON-decoded value: str, int, float, bool, NoneType, list, dict.
absl::string_view PythonTypeName(const Json& value);

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_PYTHON_REPR_H_
