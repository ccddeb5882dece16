#include "devserver/secret_cipher.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"
#include <sys/stat.h>

namespace exosphere::devserver {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// Bytes 0..31 as the server's SECRETS_ENCRYPTION_KEY.
constexpr char kKey[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
// "s3cr3t-välue" encrypted under kKey with nonce bytes 100..111 by the state manager's own code
// path (Python cryptography's AESGCM, then base64.urlsafe_b64encode(nonce + ciphertext)).
constexpr char kServerCiphertext[] = "ZGVmZ2hpamtsbW5vOyi9FEqde-j9xjOdv0SmgNlJ4yvrhyb3jeCWbBs=";

SecretCipher Cipher(const std::string& key = kKey) {
  absl::StatusOr<SecretCipher> cipher = SecretCipher::FromKey(key);
  EXPECT_TRUE(cipher.ok()) << cipher.status();
  return *std::move(cipher);
}

TEST(SecretCipherTest, DecryptsWhatTheStateManagerEncrypted) {
  absl::StatusOr<std::string> plaintext = Cipher().Decrypt(kServerCiphertext);
  ASSERT_TRUE(plaintext.ok()) << plaintext.status();
  EXPECT_EQ(*plaintext, "s3cr3t-v\xc3\xa4lue");
}

TEST(SecretCipherTest, EncryptsInTheServersFormatAndRoundTrips) {
  const SecretCipher cipher = Cipher();
  for (const std::string& plaintext :
       {std::string(), std::string("s3cr3t-value"), std::string("nul\0byte", 8)}) {
    absl::StatusOr<std::string> stored = cipher.Encrypt(plaintext);
    ASSERT_TRUE(stored.ok()) << stored.status();
    EXPECT_EQ(stored->size() % 4, 0u);  // padded, like urlsafe_b64encode
    EXPECT_EQ(stored->find_first_of("+/"), std::string::npos);
    std::string raw;
    ASSERT_TRUE(absl::WebSafeBase64Unescape(*stored, &raw));
    EXPECT_EQ(raw.size(), 12 + plaintext.size() + 16);
    if (!plaintext.empty()) {
      EXPECT_THAT(raw, Not(HasSubstr(plaintext)));
    }
    absl::StatusOr<std::string> decrypted = cipher.Decrypt(*stored);
    ASSERT_TRUE(decrypted.ok()) << decrypted.status();
    EXPECT_EQ(*decrypted, plaintext);
  }
  // A fresh nonce each time: the same value never encrypts the same way twice.
  EXPECT_NE(*cipher.Encrypt("value"), *cipher.Encrypt("value"));
}

TEST(SecretCipherTest, AnotherKeyOrATamperedValueDoesNotDecrypt) {
  const SecretCipher other = Cipher(*SecretCipher::GenerateKey());
  EXPECT_THAT(other.Decrypt(kServerCiphertext),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not decrypt")));
  std::string tampered = kServerCiphertext;
  tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
  EXPECT_THAT(Cipher().Decrypt(tampered), StatusIs(absl::StatusCode::kDataLoss, ::testing::_));
  EXPECT_THAT(Cipher().Decrypt("%%%"), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  // Shorter than nonce + tag: what the old XOR obfuscation stored for short values.
  EXPECT_THAT(Cipher().Decrypt("c2hvcnQ="),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST(SecretCipherTest, MalformedKeysAreRefusedWithoutEchoingThem) {
  for (const std::string& key : {std::string("not base64!"), std::string("c2hvcnQ="),
                                 absl::StrCat(kKey, "AAAA"), std::string()}) {
    absl::StatusOr<SecretCipher> cipher = SecretCipher::FromKey(key);
    EXPECT_THAT(cipher.status(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("SECRETS_ENCRYPTION_KEY"), HasSubstr("44 characters"))))
        << key;
    if (!key.empty()) {
      EXPECT_THAT(std::string(cipher.status().message()), Not(HasSubstr(key)));
    }
  }
}

TEST(SecretCipherTest, GeneratedKeysAreValidAndDistinct) {
  absl::StatusOr<std::string> first = SecretCipher::GenerateKey();
  absl::StatusOr<std::string> second = SecretCipher::GenerateKey();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->size(), 44u);
  EXPECT_NE(*first, *second);
  EXPECT_TRUE(SecretCipher::FromKey(*first).ok());
}

class SecretKeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(::testing::TempDir(), "/secret-cipher-test-", getpid(), ".key");
    std::remove(path_.c_str());
  }
  void TearDown() override { std::remove(path_.c_str()); }

  std::string path_;
};

TEST_F(SecretKeyFileTest, CreatesAPrivateKeyFileOnceAndReusesIt) {
  absl::StatusOr<std::string> created = SecretCipher::LoadOrCreateKeyFile(path_);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(SecretCipher::FromKey(*created).ok());
  struct stat info {};
  ASSERT_EQ(stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  absl::StatusOr<std::string> reloaded = SecretCipher::LoadOrCreateKeyFile(path_);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_EQ(*reloaded, *created);
}

TEST_F(SecretKeyFileTest, ReadsAKeyWrittenByHandAndRefusesADamagedOne) {
  std::ofstream(path_) << "  " << kKey << "\n\n";
  absl::StatusOr<std::string> key = SecretCipher::LoadOrCreateKeyFile(path_);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, kKey);
  std::ofstream(path_) << "damaged";
  EXPECT_THAT(SecretCipher::LoadOrCreateKeyFile(path_).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(path_), HasSubstr("damaged"), Not(HasSubstr(": damaged")))));
}

}  // namespace
}  // namespace exosphere::devserver
