#include "common/ids.h"

#include <atomic>
#include <cstdint>
#include <ctime>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace exosphere::ids {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendHex(uint64_t value, int bytes, std::string& out) {
  for (int i = bytes - 1; i >= 0; --i) {
    const auto byte = static_cast<uint8_t>(value >> (8 * i));
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
}

struct Random {
  absl::Mutex mu;
  absl::BitGen gen ABSL_GUARDED_BY(mu);
};

Random& GetRandom() {
  static Random* const random = new Random();
  return *random;
}

uint64_t RandomBits() {
  Random& random = GetRandom();
  absl::MutexLock lock(&random.mu);
  return absl::Uniform<uint64_t>(random.gen);
}

}  // namespace

std::string NewObjectId() {
  static const uint64_t process_unique = RandomBits() & 0xffffffffffULL;
  static std::atomic<uint32_t> counter{static_cast<uint32_t>(RandomBits())};
  std::string id;
  id.reserve(24);
  AppendHex(static_cast<uint64_t>(std::time(nullptr)) & 0xffffffffULL, 4, id);
  AppendHex(process_unique, 5, id);
  AppendHex(counter.fetch_add(1, std::memory_order_relaxed) & 0xffffffu, 3, id);
  return id;
}

bool IsObjectId(absl::string_view text) {
  if (text.size() != 24) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string NewUuid4() {
  uint64_t high = RandomBits();
  uint64_t low = RandomBits();
  high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;    // RFC 4122 variant
  std::string hex;
  hex.reserve(32);
  AppendHex(high, 8, hex);
  AppendHex(low, 8, hex);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

bool IsUuid(absl::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-'
                      : !absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace exosphere::ids
