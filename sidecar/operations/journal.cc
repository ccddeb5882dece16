#include "sidecar/operations/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

#include "common/log.h"
#include "common/status_macros.h"
#include <sys/file.h>
#include <sys/stat.h>

namespace exosphere::sidecar {
namespace {

constexpr char kFileName[] = "journal.log";
constexpr char kLockName[] = "journal.lock";

// FNV-1a: enough to recognise a torn or garbled line; the journal has no adversary.
uint64_t Checksum(absl::string_view text) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string Line(const json::Json& record) {
  const std::string text = json::Dump(record);
  return absl::StrCat(absl::StrFormat("%016x", Checksum(text)), " ", text, "\n");
}

std::string ClaimedLine(absl::string_view ns, absl::string_view state_id) {
  return Line({{"t", "claimed"}, {"ns", std::string(ns)}, {"id", std::string(state_id)}});
}

std::string ResultLine(absl::string_view ns, const Report& report) {
  return Line({{"t", "result"},
               {"ns", std::string(ns)},
               {"id", report.state_id},
               {"endpoint", std::string(report.Endpoint())},
               {"body", report.Body()}});
}

// The string member `key` of a record, or nullopt when it is missing or not a string. A line
// with a valid checksum can still hold other types (written by another version, or damaged in a
// way the checksum misses), and json::value() would throw on those.
std::optional<std::string> StringMember(const json::Json& record, const char* key) {
  const auto it = record.find(key);
  if (it == record.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

absl::Status SystemError(absl::string_view what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return SystemError("cannot write", path);
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Renaming a file is durable only once its directory is synced.
void SyncDirectory(const std::string& dir) {
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::string();
    return SystemError("cannot open", path);
  }
  std::string contents;
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return SystemError("cannot read", path);
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return contents;
}

}  // namespace

class Journal::File {
 public:
  explicit File(int fd) : fd_(fd) {}
  ~File() { ::close(fd_); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  int fd() const { return fd_; }

 private:
  const int fd_;
};

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(JournalOptions options, Clock& clock) {
  if (::mkdir(options.dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return SystemError("cannot create the journal directory", options.dir);
  }
  const std::string lock_path = absl::StrCat(options.dir, "/", kLockName);
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return SystemError("cannot open", lock_path);
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd);
    return absl::FailedPreconditionError(
        absl::StrCat("the journal directory ", options.dir,
                     " is in use by another sidecar; give each sidecar its own directory"));
  }
  auto journal = std::unique_ptr<Journal>(new Journal(std::move(options), clock, lock_fd));
  EXO_ASSIGN_OR_RETURN(std::string contents, ReadFile(journal->path_));
  {
    absl::MutexLock lock(&journal->mu_);
    EXO_RETURN_IF_ERROR(journal->ReplayLocked(contents));
  }
  // Start from a file that holds exactly the live entries.
  EXO_RETURN_IF_ERROR(journal->Compact());
  journal->thread_ = std::thread([raw = journal.get()] { raw->Run(); });
  return journal;
}

Journal::Journal(JournalOptions options, Clock& clock, int lock_fd)
    : options_(std::move(options)),
      clock_(clock),
      path_(absl::StrCat(options_.dir, "/", kFileName)),
      lock_fd_(lock_fd) {}

Journal::~Journal() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  if (file_ != nullptr) ::fdatasync(file_->fd());
  file_.reset();
  ::close(lock_fd_);
}

absl::Status Journal::ReplayLocked(const std::string& contents) {
  int skipped = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n', absl::SkipEmpty())) {
    const size_t space = line.find(' ');
    uint64_t checksum = 0;
    if (space != 16 || !absl::SimpleHexAtoi(line.substr(0, 16), &checksum) ||
        checksum != Checksum(line.substr(17))) {
      ++skipped;  // a torn write at the end, or damage: the rest of the file is still usable
      continue;
    }
    const json::Json record = json::Json::parse(line.substr(17), nullptr, false);
    if (record.is_discarded() || !record.is_object()) {
      ++skipped;
      continue;
    }
    const std::optional<std::string> type = StringMember(record, "t");
    const std::optional<std::string> id = StringMember(record, "id");
    if (!type.has_value() || !id.has_value()) {
      ++skipped;
      continue;
    }
    if (*type == "done") {
      live_.erase(*id);
    } else if (*type == "claimed") {
      Live& entry = live_[*id];
      entry.ns = StringMember(record, "ns").value_or("");
      entry.order = next_order_++;
    } else if (*type == "result") {
      absl::StatusOr<Report> report = Report::FromBody(
          StringMember(record, "endpoint").value_or(""), *id, record.value("body", json::Json()));
      if (!report.ok()) {
        ++skipped;
        continue;
      }
      auto [it, inserted] = live_.try_emplace(*id);
      if (inserted) it->second.order = next_order_++;
      it->second.ns = StringMember(record, "ns").value_or("");
      it->second.report = *std::move(report);
    } else {
      ++skipped;
    }
  }
  if (skipped > 0) {
    EXO_LOG(kWarning, "journal_lines_skipped", "unreadable journal lines were ignored",
            {{"file", path_}, {"lines", absl::StrCat(skipped)}});
  }
  std::vector<std::pair<uint64_t, Entry>> ordered;
  for (const auto& [id, live] : live_) ordered.push_back({live.order, {live.ns, id, live.report}});
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, entry] : ordered) recovered_.push_back(std::move(entry));
  if (!recovered_.empty()) {
    EXO_LOG(kWarning, "journal_recovered", "a previous run left states unfinished",
            {{"file", path_}, {"states", absl::StrCat(recovered_.size())}});
  }
  return absl::OkStatus();
}

std::vector<Journal::Entry> Journal::TakeRecovered() {
  absl::MutexLock lock(&mu_);
  return std::move(recovered_);
}

void Journal::RecordClaimed(absl::string_view ns, const std::vector<ClaimedState>& states) {
  std::string lines;
  for (const ClaimedState& state : states) lines += ClaimedLine(ns, state.state_id);
  std::shared_ptr<File> file;
  {
    absl::MutexLock lock(&mu_);
    for (const ClaimedState& state : states) {
      Live& entry = live_[state.state_id];
      entry.ns = std::string(ns);
      entry.order = next_order_++;
    }
    file = PrepareAppendLocked(lines);
  }
  Write(file, lines);
}

void Journal::RecordResult(absl::string_view ns, const Report& report) {
  const std::string line = ResultLine(ns, report);
  std::shared_ptr<File> file;
  {
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = live_.try_emplace(report.state_id);
    if (inserted) it->second.order = next_order_++;
    it->second.ns = std::string(ns);
    it->second.report = report;
    file = PrepareAppendLocked(line);
  }
  Write(file, line);
}

void Journal::RecordDone(absl::string_view state_id) {
  const std::string line = Line({{"t", "done"}, {"id", std::string(state_id)}});
  std::shared_ptr<File> file;
  {
    absl::MutexLock lock(&mu_);
    live_.erase(state_id);
    file = PrepareAppendLocked(line);
    // The journal's thread compacts; the caller does not wait for it.
    if (file_bytes_ > options_.compact_bytes && !compacting_) compact_wanted_ = true;
  }
  Write(file, line);
}

std::shared_ptr<Journal::File> Journal::PrepareAppendLocked(const std::string& lines) {
  if (compacting_) tail_ += lines;
  file_bytes_ += lines.size();
  return file_;
}

void Journal::Write(const std::shared_ptr<File>& file, const std::string& lines) {
  if (file == nullptr) return;
  // O_APPEND: concurrent writers never overwrite each other's lines. A record is written before
  // its Record* call returns, so a state's later records follow its earlier ones in the file.
  if (absl::Status written = WriteAll(file->fd(), lines, path_); !written.ok()) {
    // Keep serving: the states are still reported, only crash recovery is weakened.
    if (write_errors_++ == 0) {
      EXO_LOG(kError, "journal_write_failed", std::string(written.message()));
    }
    return;
  }
  dirty_ = true;
}

absl::Status Journal::Compact() {
  // Copied under the lock, serialized outside it: copying is much cheaper than JSON.
  std::vector<std::pair<uint64_t, Entry>> snapshot;
  {
    absl::MutexLock lock(&mu_);
    compact_wanted_ = false;
    compacting_ = true;
    tail_.clear();
    snapshot.reserve(live_.size());
    for (const auto& [id, live] : live_) {
      snapshot.push_back({live.order, {live.ns, id, live.report}});
    }
  }
  std::sort(snapshot.begin(), snapshot.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string contents;
  for (const auto& [order, entry] : snapshot) {
    contents += entry.report.has_value() ? ResultLine(entry.ns, *entry.report)
                                         : ClaimedLine(entry.ns, entry.state_id);
  }
  snapshot.clear();
  auto abandon = [this](absl::Status status) {
    absl::MutexLock lock(&mu_);
    compacting_ = false;
    tail_.clear();
    return status;
  };
  if (options_.compaction_hook) options_.compaction_hook();

  const std::string temp = path_ + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return abandon(SystemError("cannot create", temp));
  auto file = std::make_shared<File>(fd);
  absl::Status written = WriteAll(fd, contents, temp);
  if (written.ok() && ::fdatasync(fd) != 0) written = SystemError("cannot sync", temp);
  if (!written.ok()) return abandon(written);
  uint64_t file_bytes = contents.size();
  // Catch up with what was appended meanwhile, a round at a time with no lock held, until a
  // look under the lock finds nothing new; then swap the files in that same critical section.
  constexpr int kCatchUpRounds = 8;
  for (int round = 0;; ++round) {
    std::string tail;
    {
      absl::MutexLock lock(&mu_);
      if (tail_.empty() || round == kCatchUpRounds) {
        // Rarely reached with a tail left (a flood of records): those few lines are written
        // here, so that no record misses the new file.
        if (!tail_.empty()) {
          written = WriteAll(fd, tail_, temp);
          file_bytes += tail_.size();
        }
        if (written.ok() && ::rename(temp.c_str(), path_.c_str()) != 0) {
          written = SystemError("cannot rename", temp);
        }
        compacting_ = false;
        tail_.clear();
        if (!written.ok()) return written;
        file_ = std::move(file);
        file_bytes_ = file_bytes;
        ++compactions_;
        break;
      }
      tail.swap(tail_);
    }
    written = WriteAll(fd, tail, temp);
    if (!written.ok()) return abandon(written);
    file_bytes += tail.size();
  }
  dirty_ = true;
  // The rename itself must reach the disk before the old file's data is relied on as gone.
  SyncDirectory(options_.dir);
  return absl::OkStatus();
}

void Journal::Run() {
  while (true) {
    bool compact = false;
    std::shared_ptr<File> file;
    {
      absl::MutexLock lock(&mu_);
      auto woken = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || compact_wanted_; };
      clock_.AwaitWithDeadline(mu_, absl::Condition(&woken), clock_.Now() + options_.sync_interval);
      if (stopping_) return;
      compact = compact_wanted_;
      file = file_;
    }
    if (compact) {
      if (absl::Status compacted = Compact(); !compacted.ok()) {
        ++write_errors_;
        EXO_LOG(kError, "journal_compaction_failed", std::string(compacted.message()));
      }
      continue;
    }
    // Covers every write that completed before the flag was cleared.
    if (file != nullptr && dirty_.exchange(false)) ::fdatasync(file->fd());
  }
}

bool Journal::AwaitCompacted(absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto done = [this]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !compact_wanted_ && !compacting_; };
  return clock_.AwaitWithDeadline(mu_, absl::Condition(&done), deadline);
}

JournalStats Journal::Stats() const {
  absl::MutexLock lock(&mu_);
  return {live_.size(), file_bytes_, compactions_, write_errors_.load()};
}

}  // namespace exosphere::sidecar
