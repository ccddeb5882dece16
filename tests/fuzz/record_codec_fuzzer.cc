// Fuzzes the devserver's decoders of its own persisted records (devserver/record_codec.h,
// devserver/secret_codec.h): the SQLite file survives restarts and may come from another version
// or be damaged, so its documents are read as untrusted. The input is one stored JSON document,
// read as every record type; the raw bytes are also read as a stored secret.
//
// Invariants: no crash or exception; errors are kDataLoss (records) or kInvalidArgument (secrets)
// with a message; whatever decodes encodes to a document that decodes again to the same
// encoding; a secret decodes to what was encoded.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "devserver/json.h"
#include "devserver/record_codec.h"
#include "devserver/secret_codec.h"
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

  absl::StatusOr<std::string> secret = ds::SecretCodec::Decode(text);
  if (!secret.ok()) {
    exosphere::fuzz::CheckError(secret.status());
    FUZZ_CHECK(secret.status().code() == absl::StatusCode::kInvalidArgument,
               secret.status().ToString());
  }
  absl::BitGen bitgen;
  absl::StatusOr<std::string> round_trip =
      ds::SecretCodec::Decode(ds::SecretCodec::Encode(text, bitgen));
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
