// Fuzzes the devserver's decoders of its own persisted records (devserver/record_codec.h,
// devserver/secret_cipher.h): the SQLite file survives restarts and may come from another version
// or be damaged, so its documents are read as untrusted. The input is one stored JSON document,
// read as every record type; the raw bytes are also read as a stored (encrypted) secret.
//
// Invariants: no crash or exception; errors are kDataLoss (records, secrets that do not
// authenticate) or kInvalidArgument (secrets that are not base64 of nonce, ciphertext and tag)
// with a message; whatever decodes encodes to a document that decodes again to the same
// encoding; a secret decrypts to what was encrypted.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "devserver/json.h"
#include "devserver/record_codec.h"
#include "devserver/secret_cipher.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using exosphere::devserver::Json;

template <typename Decode, typename Encode>
void CheckRecord(const Json& document, Decode decode, Encode encode) {
  auto decoded = decode(document);
  if (!decoded.ok()) {
    exosphere::fuzz::CheckError(decoded.status());
    FUZZ_CHECK(decoded.status().code() == absl::StatusCode::kDataLoss, decoded.status().ToString());
    return;
  }
  const Json encoded = encode(*decoded);
  auto again = decode(encoded);
  FUZZ_CHECK(again.ok(), again.status().ToString());
  FUZZ_CHECK(
      exosphere::devserver::DumpJson(encode(*again)) == exosphere::devserver::DumpJson(encoded),
      exosphere::devserver::DumpJson(encoded));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ds = exosphere::devserver;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  // A fixed key: the fuzzer explores the stored values, not the key.
  static const ds::SecretCipher cipher =
      *ds::SecretCipher::FromKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  absl::StatusOr<std::string> secret = cipher.Decrypt(text);
  if (!secret.ok()) {
    exosphere::fuzz::CheckError(secret.status());
    FUZZ_CHECK(secret.status().code() == absl::StatusCode::kInvalidArgument ||
                   secret.status().code() == absl::StatusCode::kDataLoss,
               secret.status().ToString());
  }
  absl::StatusOr<std::string> encrypted = cipher.Encrypt(text);
  FUZZ_CHECK(encrypted.ok(), encrypted.status().ToString());
  absl::StatusOr<std::string> round_trip = cipher.Decrypt(*encrypted);
  FUZZ_CHECK(round_trip.ok() && *round_trip == text, round_trip.status().ToString());

  const Json document = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return 0;
  CheckRecord(document, ds::DecodeRegisteredNode, ds::EncodeRegisteredNode);
  CheckRecord(document, ds::DecodeGraphTemplate, ds::EncodeGraphTemplate);
  CheckRecord(document, ds::DecodeState, ds::EncodeState);
  CheckRecord(document, ds::DecodeRun, ds::EncodeRun);
  CheckRecord(document, ds::DecodeCronRecord, ds::EncodeCronRecord);
  return 0;
}
