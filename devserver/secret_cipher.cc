#include "devserver/secret_cipher.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace exosphere::devserver {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

struct CipherContextDeleter {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter>;

unsigned char* Bytes(std::string& data) { return reinterpret_cast<unsigned char*>(data.data()); }
const unsigned char* Bytes(absl::string_view data) {
  return reinterpret_cast<const unsigned char*>(data.data());
}

// Python's base64.urlsafe_b64encode: URL-safe alphabet, padded to a multiple of 4.
std::string UrlSafeBase64(absl::string_view raw) {
  std::string encoded;
  absl::WebSafeBase64Escape(raw, &encoded);
  while (encoded.size() % 4 != 0) encoded.push_back('=');
  return encoded;
}

// Accepts the URL-safe alphabet (the server's) and, leniently, the standard one.
bool DecodeBase64(absl::string_view text, std::string* raw) {
  return absl::WebSafeBase64Unescape(absl::StrReplaceAll(text, {{"+", "-"}, {"/", "_"}}), raw);
}

absl::Status IoError(absl::string_view operation, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat("cannot ", operation, " the secrets key file ", path, ": ", strerror(errno)));
}

}  // namespace

absl::StatusOr<SecretCipher> SecretCipher::FromKey(absl::string_view key) {
  std::string raw;
  const bool decoded = DecodeBase64(key, &raw);
  if (!decoded || raw.size() != kKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the secrets encryption key (SECRETS_ENCRYPTION_KEY) must be 32 bytes in URL-safe base64, "
        "44 characters (make one with: openssl rand -base64 32 | tr '+/' '-_'); the one given has ",
        key.size(), " characters and ",
        decoded ? absl::StrCat("decodes to ", raw.size(), " bytes") : "is not base64"));
  }
  return SecretCipher(std::move(raw));
}

absl::StatusOr<std::string> SecretCipher::GenerateKey() {
  std::string raw(kKeyBytes, '\0');
  if (RAND_bytes(Bytes(raw), static_cast<int>(raw.size())) != 1) {
    return absl::InternalError("the random source failed while generating a secrets key");
  }
  return UrlSafeBase64(raw);
}

absl::StatusOr<std::string> SecretCipher::LoadOrCreateKeyFile(const std::string& path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::ifstream in(path);
    if (in) {
      std::stringstream contents;
      contents << in.rdbuf();
      std::string key(absl::StripAsciiWhitespace(contents.str()));
      absl::StatusOr<SecretCipher> valid = FromKey(key);
      if (!valid.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("the secrets key file ", path, " is damaged: ", valid.status().message()));
      }
      return key;
    }
    if (errno != ENOENT) return IoError("read", path);
    // Write the whole key under a temporary name, then link it into place: link() fails if the
    // file appeared meanwhile, so a concurrent starter's key wins and is read on the next pass.
    absl::StatusOr<std::string> key = GenerateKey();
    if (!key.ok()) return key.status();
    const std::string temporary = absl::StrCat(path, ".tmp", getpid());
    const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return IoError("create", temporary);
    const std::string line = absl::StrCat(*key, "\n");
    const bool written =
        write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && fsync(fd) == 0;
    close(fd);
    if (!written) {
      unlink(temporary.c_str());
      return IoError("write", temporary);
    }
    const int linked = link(temporary.c_str(), path.c_str());
    const int link_errno = errno;
    unlink(temporary.c_str());
    if (linked == 0) return *key;
    errno = link_errno;
    if (link_errno != EEXIST) return IoError("create", path);
  }
  return absl::UnavailableError(absl::StrCat("cannot read or create the secrets key file ", path));
}

absl::StatusOr<std::string> SecretCipher::Encrypt(absl::string_view plaintext) const {
  std::string raw(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  unsigned char* nonce = Bytes(raw);
  unsigned char* ciphertext = nonce + kNonceBytes;
  unsigned char* tag = ciphertext + plaintext.size();
  if (RAND_bytes(nonce, kNonceBytes) != 1) {
    return absl::InternalError("the random source failed while encrypting a secret");
  }
  CipherContext context(EVP_CIPHER_CTX_new());
  int length = 0;
  // The default GCM IV length is 12 bytes, the nonce length the server uses.
  const bool ok =
      context != nullptr &&
      EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, Bytes(raw_key_), nonce) == 1 &&
      EVP_EncryptUpdate(context.get(), ciphertext, &length, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(context.get(), ciphertext + length, &length) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag) == 1;
  if (!ok) return absl::InternalError("AES-256-GCM encryption of a secret failed");
  return UrlSafeBase64(raw);
}

absl::StatusOr<std::string> SecretCipher::Decrypt(absl::string_view stored) const {
  std::string raw;
  if (!DecodeBase64(stored, &raw) || raw.size() < kNonceBytes + kTagBytes) {
    return absl::InvalidArgumentError(
        "stored secret is not base64 of a 12-byte nonce, a ciphertext and a 16-byte tag");
  }
  const absl::string_view data(raw);
  const absl::string_view nonce = data.substr(0, kNonceBytes);
  const absl::string_view ciphertext =
      data.substr(kNonceBytes, data.size() - kNonceBytes - kTagBytes);
  std::string tag(data.substr(data.size() - kTagBytes));
  std::string plaintext(ciphertext.size(), '\0');
  CipherContext context(EVP_CIPHER_CTX_new());
  int length = 0;
  const bool ok =
      context != nullptr &&
      EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, Bytes(raw_key_),
                         Bytes(nonce)) == 1 &&
      EVP_DecryptUpdate(context.get(), Bytes(plaintext), &length, Bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, Bytes(tag)) == 1 &&
      EVP_DecryptFinal_ex(context.get(), Bytes(plaintext) + length, &length) == 1;
  if (!ok) {
    return absl::DataLossError(
        "stored secret does not decrypt under the configured secrets key (another key, a "
        "devserver older than the AES-GCM encryption, or a damaged value)");
  }
  return plaintext;
}

}  // namespace exosphere::devserver
