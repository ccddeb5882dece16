#include "devserver/secret_codec.h"

#include <cstdint>

#include "absl/random/distributions.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"

namespace exosphere::devserver {
namespace {

constexpr size_t kNonceBytes = 12;

// SplitMix64 seeded from the nonce: a deterministic keystream, enough to keep values from being
// readable at a glance.
class Keystream {
 public:
  explicit Keystream(absl::string_view nonce) {
    for (char c : nonce) state_ = state_ * 1099511628211ULL + static_cast<unsigned char>(c);
  }
  uint8_t Next() {
    if (available_ == 0) {
      state_ += 0x9e3779b97f4a7c15ULL;
      uint64_t z = state_;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      block_ = z ^ (z >> 31);
      available_ = 8;
    }
    const auto byte = static_cast<uint8_t>(block_);
    block_ >>= 8;
    --available_;
    return byte;
  }

 private:
  uint64_t state_ = 0xcbf29ce484222325ULL;
  uint64_t block_ = 0;
  int available_ = 0;
};

std::string Apply(absl::string_view nonce, absl::string_view data) {
  Keystream keystream(nonce);
  std::string out(data);
  for (char& c : out) c = static_cast<char>(static_cast<uint8_t>(c) ^ keystream.Next());
  return out;
}

}  // namespace

std::string SecretCodec::Encode(absl::string_view plaintext, absl::BitGenRef bitgen) {
  std::string nonce(kNonceBytes, '\0');
  for (char& c : nonce) c = static_cast<char>(absl::Uniform<uint8_t>(bitgen));
  std::string raw = nonce + Apply(nonce, plaintext);
  std::string encoded;
  absl::WebSafeBase64Escape(raw, &encoded);
  // Python's urlsafe_b64encode pads; keep the padding so the value looks the same.
  while (encoded.size() % 4 != 0) encoded.push_back('=');
  return encoded;
}

absl::StatusOr<std::string> SecretCodec::Decode(absl::string_view encoded) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(encoded, &raw) || raw.size() < kNonceBytes) {
    return absl::InvalidArgumentError("stored secret is not in the devserver's encoding");
  }
  const absl::string_view nonce = absl::string_view(raw).substr(0, kNonceBytes);
  return Apply(nonce, absl::string_view(raw).substr(kNonceBytes));
}

}  // namespace exosphere::devserver
