#ifndef EXOSPHERE_DEVSERVER_SECRET_CIPHER_H_
#define EXOSPHERE_DEVSERVER_SECRET_CIPHER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace exosphere::devserver {

// Graph secrets at rest, exactly as the state manager keeps them (its SECRETS_ENCRYPTION_KEY):
// AES-256-GCM under a 32-byte key given as URL-safe base64 (44 characters); a stored value is the
// padded URL-safe base64 of a random 12-byte nonce, the ciphertext and the 16-byte tag. A value
// encrypted by the state manager decrypts here under the same key, and the other way round.
// Immutable after construction; thread-safe. Never logs or returns the key or a plaintext in a
// Status.
class SecretCipher {
 public:
  // `key` is URL-safe base64 of 32 bytes (the server's SECRETS_ENCRYPTION_KEY format; unpadded
  // and standard-alphabet forms are accepted too). kInvalidArgument when it is not; the message
  // says what was expected, never the value.
  static absl::StatusOr<SecretCipher> FromKey(absl::string_view key);
  // A fresh random key in the SECRETS_ENCRYPTION_KEY format (44 characters).
  static absl::StatusOr<std::string> GenerateKey();
  // The key stored in the file at `path` (surrounding whitespace ignored); when the file does not
  // exist it is created (mode 0600, exclusively, so two processes agree on one key) with a new
  // key. kInvalidArgument for a malformed stored key, kUnavailable for I/O errors.
  static absl::StatusOr<std::string> LoadOrCreateKeyFile(const std::string& path);

  // kInternal only if the random source or the cipher fails.
  absl::StatusOr<std::string> Encrypt(absl::string_view plaintext) const;
  // kInvalidArgument when `stored` is not base64 of nonce + ciphertext + tag, kDataLoss when it
  // does not authenticate under this key (another key, another scheme, or damaged).
  absl::StatusOr<std::string> Decrypt(absl::string_view stored) const;

 private:
  explicit SecretCipher(std::string raw_key) : raw_key_(std::move(raw_key)) {}

  std::string raw_key_;  // 32 bytes
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_SECRET_CIPHER_H_
