#ifndef EXOSPHERE_COMMON_IDS_H_
#define EXOSPHERE_COMMON_IDS_H_

#include <string>

#include "absl/strings/string_view.h"

// Identifier formats of the state manager: Mongo ObjectIds (24 lowercase hex characters) for
// states and UUID4 strings for runs and fan-outs. Thread-safe.
namespace exosphere::ids {

// A new ObjectId: 4-byte big-endian seconds since the epoch, 5 random bytes fixed per process,
// and a 3-byte counter, so ids made later sort later (as Mongo's do).
std::string NewObjectId();
bool IsObjectId(absl::string_view text);

// A random RFC 4122 version-4 UUID in canonical lowercase form.
std::string NewUuid4();
// Any canonical 8-4-4-4-12 hex UUID (either case).
bool IsUuid(absl::string_view text);

}  // namespace exosphere::ids

#endif  // EXOSPHERE_COMMON_IDS_H_
