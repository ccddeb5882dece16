#ifndef EXOSPHERE_CLIENT_STRING_MAP_H_
#define EXOSPHERE_CLIENT_STRING_MAP_H_

#include <map>
#include <string>

namespace exosphere::client {

// Inputs, outputs, secrets and store values are maps of string to string in protocol v1. Ordered,
// so that iterating over one (for printing, for comparing) is deterministic.
using StringMap = std::map<std::string, std::string>;

}  // namespace exosphere::client

#endif  // EXOSPHERE_CLIENT_STRING_MAP_H_
