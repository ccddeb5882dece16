// Fuzzes the sidecar's journal replay on restart (sidecar/operations/journal.h): after a crash the
// file may end in a torn line, or hold garbage. The input becomes the journal file and
// Journal::Open reads it. If the first byte is odd, every line of the rest gets a valid checksum
// prefix first, so the fuzzer also reaches the record decoding behind the checksum (a file written
// by another version, or damage the checksum cannot see); otherwise the rest is the file as it is.
//
// Invariants: no crash or exception; Open succeeds whatever the file holds (a bad journal must
// not keep the sidecar from starting); recovered entries have distinct ids and their reports
// belong to them; opening the compacted journal again recovers exactly the same entries.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

#include "sidecar/operations/journal.h"
#include "sidecar/transport/json_util.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using exosphere::sidecar::Journal;

// The journal's line checksum (FNV-1a 64 of the JSON text), as sidecar/operations/journal.cc writes
// it.
uint64_t Checksum(absl::string_view text) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

// One directory for the whole run, removed at exit. A RAM-backed file system when there is one:
// Open() syncs the file and the directory, which costs milliseconds on a disk.
class Scratch {
 public:
  Scratch() {
    std::error_code error;
    std::filesystem::path base = "/dev/shm";
    if (!std::filesystem::is_directory(base, error) || ::access(base.c_str(), W_OK) != 0) {
      base = std::filesystem::temp_directory_path();
    }
    dir_ = base / absl::StrCat("exosphere-journal-fuzz-", ::getpid());
    std::filesystem::create_directories(dir_);
  }
  ~Scratch() {
    std::error_code error;
    std::filesystem::remove_all(dir_, error);
  }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

struct Recovered {
  std::string ns;
  std::string state_id;
  std::string report;  // endpoint and body, or empty

  bool operator==(const Recovered& other) const {
    return ns == other.ns && state_id == other.state_id && report == other.report;
  }
};

std::vector<Recovered> OpenAndRecover(const Scratch& scratch,
                                      exosphere::testing::FakeClock& clock) {
  exosphere::sidecar::JournalOptions options;
  options.dir = scratch.dir().string();
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(options, clock);
  FUZZ_CHECK(journal.ok(), journal.status().ToString());
  std::vector<Recovered> recovered;
  absl::flat_hash_set<std::string> ids;
  for (Journal::Entry& entry : (*journal)->TakeRecovered()) {
    FUZZ_CHECK(ids.insert(entry.state_id).second, absl::StrCat("twice: ", entry.state_id));
    std::string report;
    if (entry.report.has_value()) {
      FUZZ_CHECK(entry.report->state_id == entry.state_id, entry.report->state_id);
      report =
          absl::StrCat(entry.report->Endpoint(), " ", exosphere::json::Dump(entry.report->Body()));
    }
    recovered.push_back({entry.ns, entry.state_id, report});
  }
  return recovered;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  exosphere::fuzz::SilenceLogs();
  static const Scratch scratch;
  if (size == 0) return 0;
  const bool add_checksums = (data[0] & 1) != 0;
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string contents;
  if (add_checksums) {
    for (absl::string_view line : absl::StrSplit(rest, '\n')) {
      absl::StrAppend(&contents, absl::StrFormat("%016x", Checksum(line)), " ", line, "\n");
    }
  } else {
    contents = std::string(rest);
  }
  {
    std::ofstream file(scratch.dir() / "journal.log", std::ios::binary | std::ios::trunc);
    file << contents;
    FUZZ_CHECK(file.good(), "cannot write the journal file");
  }

  exosphere::testing::FakeClock clock;
  const std::vector<Recovered> first = OpenAndRecover(scratch, clock);
  const std::vector<Recovered> second = OpenAndRecover(scratch, clock);
  FUZZ_CHECK(first == second, absl::StrCat(first.size(), " entries, then ", second.size()));
  return 0;
}
