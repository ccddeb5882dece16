#ifndef EXOSPHERE_DEVSERVER_SECRET_CODEC_H_
#define EXOSPHERE_DEVSERVER_SECRET_CODEC_H_

#include <string>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace exosphere::devserver {

// How the devserver keeps graph secrets "at rest" (in memory, in the SQLite file and in
// GET /graphs/): URL-safe base64 of a random 12-byte nonce followed by the value XORed with a
// keystream derived from the nonce — the same shape as the state manager's AES-GCM ciphertexts,
// so a listing never shows plaintext. This is obfuscation, NOT encryption: anyone with the file
// can decode it. The devserver is a development tool, not a secret store. Thread-safe.
class SecretCodec {
 public:
  static std::string Encode(absl::string_view plaintext, absl::BitGenRef bitgen);
  // kInvalidArgument when `encoded` was not produced by Encode().
  static absl::StatusOr<std::string> Decode(absl::string_view encoded);
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_SECRET_CODEC_H_
