#ifndef EXOSPHERE_SIDECAR_OPERATIONS_JOURNAL_H_
#define EXOSPHERE_SIDECAR_OPERATIONS_JOURNAL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "common/clock.h"
#include "sidecar/core/component_stats.h"
#include "sidecar/transport/report.h"
#include "sidecar/transport/states_client.h"

namespace exosphere::sidecar {

struct JournalOptions {
  // Directory of the journal file (meant for a Kubernetes emptyDir). Created if missing.
  std::string dir;
  // The file is rewritten with only the live entries once it grows past this size.
  size_t compact_bytes = 4 << 20;
  // Dirty data is flushed to disk (fdatasync) at this interval.
  absl::Duration sync_interval = absl::Milliseconds(50);
  // Tests only: runs on the journal's thread when a compaction has taken its snapshot, before
  // it writes the new file (to hold a compaction while records keep coming).
  std::function<void()> compaction_hook;
};

// Makes claimed states survive a crash of the sidecar. Every claimed state is recorded when its
// claim arrives, its report when it is decided, and "done" when the report is settled; on the
// next start the entries that were not done come back: states with a report are reported again,
// the others are handed back to the state manager.
//
// Records are appended with one write(2) each (O_APPEND, outside the journal's lock), so a killed
// process loses nothing it recorded; the journal's own thread fdatasyncs every `sync_interval`,
// so a machine crash loses at most that much. A torn last line (a crash mid-write) is detected
// by its checksum and ignored.
//
// The same thread compacts the file once it grows past `compact_bytes`, without stalling the
// callers: it snapshots the live entries, writes and syncs them to a new file with no lock held
// while the records that keep coming go to the old file and to a memory tail, catches the new
// file up with that tail, and renames it over the old one (the only system call made under the
// lock). A crash at any point leaves either file complete. A lock file keeps two sidecars from
// sharing a directory. Thread-safe.
class Journal {
 public:
  struct Entry {
    std::string ns;
    std::string state_id;
    std::optional<Report> report;  // absent: claimed, no result yet
  };

  // Opens (creating) the journal in `options.dir` and reads what a previous run left. Errors:
  // kFailedPrecondition when another process holds the directory, kUnavailable when it cannot
  // be created, read or written (the message has the path and the system error).
  static absl::StatusOr<std::unique_ptr<Journal>> Open(JournalOptions options, Clock& clock);
  // Stops the journal's thread after a final sync.
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Entries a previous run left unfinished, in the order they were first recorded. They stay in
  // the journal until done; call once.
  std::vector<Entry> TakeRecovered();

  void RecordClaimed(absl::string_view ns, const std::vector<ClaimedState>& states)
      ABSL_LOCKS_EXCLUDED(mu_);
  void RecordResult(absl::string_view ns, const Report& report) ABSL_LOCKS_EXCLUDED(mu_);
  void RecordDone(absl::string_view state_id) ABSL_LOCKS_EXCLUDED(mu_);

  JournalStats Stats() const ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until no compaction is wanted or running, or `deadline` (of the clock) passes.
  bool AwaitCompacted(absl::Time deadline) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Live {
    std::string ns;
    std::optional<Report> report;
    uint64_t order = 0;
  };

  // An open journal file; closed when the last writer lets go of it.
  class File;

  Journal(JournalOptions options, Clock& clock, int lock_fd);
  // Rebuilds the live entries from a journal file's contents.
  absl::Status ReplayLocked(const std::string& contents) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Accounts for `lines` about to be appended (and keeps them for a running compaction);
  // returns the file to write them to, outside the lock.
  std::shared_ptr<File> PrepareAppendLocked(const std::string& lines)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Write(const std::shared_ptr<File>& file, const std::string& lines) ABSL_LOCKS_EXCLUDED(mu_);
  // Writes the live entries to a fresh file and swaps it in (see the class comment).
  absl::Status Compact() ABSL_LOCKS_EXCLUDED(mu_);
  // The journal's thread: syncs and compacts.
  void Run() ABSL_LOCKS_EXCLUDED(mu_);

  const JournalOptions options_;
  Clock& clock_;
  const std::string path_;
  const int lock_fd_;

  // Set after each write (so that a write that lands after a sync is synced next time).
  std::atomic<bool> dirty_{false};
  std::atomic<uint64_t> write_errors_{0};

  mutable absl::Mutex mu_;
  std::shared_ptr<File> file_ ABSL_GUARDED_BY(mu_);
  uint64_t file_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool compact_wanted_ ABSL_GUARDED_BY(mu_) = false;
  // While a compaction runs: the lines appended since its snapshot, for the new file.
  bool compacting_ ABSL_GUARDED_BY(mu_) = false;
  std::string tail_ ABSL_GUARDED_BY(mu_);
  uint64_t next_order_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t compactions_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, Live> live_ ABSL_GUARDED_BY(mu_);
  std::vector<Entry> recovered_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_OPERATIONS_JOURNAL_H_
