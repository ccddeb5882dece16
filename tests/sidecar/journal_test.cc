#include "sidecar/operations/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/fakes/fake_clock.h"
#include "tests/support/status_matchers.h"
#include <sys/stat.h>

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::FakeClock;
using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;

ClaimedState Claimed(const std::string& id) {
  ClaimedState state;
  state.state_id = id;
  return state;
}

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/journal_test_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    options_.dir = dir_;
  }
  void TearDown() override {
    std::remove(absl::StrCat(dir_, "/journal.log").c_str());
    std::remove(absl::StrCat(dir_, "/journal.lock").c_str());
    ::rmdir(dir_.c_str());
  }
  std::unique_ptr<Journal> Open() {
    absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(options_, clock_);
    EXPECT_TRUE(journal.ok()) << journal.status();
    return journal.ok() ? *std::move(journal) : nullptr;
  }
  off_t FileSize() {
    struct stat info;
    return ::stat(absl::StrCat(dir_, "/journal.log").c_str(), &info) == 0 ? info.st_size : -1;
  }

  std::string dir_;
  JournalOptions options_;
  FakeClock clock_;
};

TEST_F(JournalTest, UnfinishedStatesComeBackInOrderWithTheirReports) {
  {
    std::unique_ptr<Journal> journal = Open();
    EXPECT_TRUE(journal->TakeRecovered().empty());
    journal->RecordClaimed("ns", {Claimed("a"), Claimed("b"), Claimed("c")});
    journal->RecordResult("ns", Report::Executed("a", {{{"out", "1"}}}));
    journal->RecordResult("ns", Report::Errored("b", "boom"));
    journal->RecordDone("b");
    journal->RecordClaimed("other", {Claimed("d")});
    journal->RecordResult("other", Report::Pruned("d", {{"why", "x"}}));
    EXPECT_EQ(journal->Stats().live_entries, 3u);
  }  // as if the process died here
  std::unique_ptr<Journal> journal = Open();
  std::vector<Journal::Entry> recovered = journal->TakeRecovered();
  ASSERT_EQ(recovered.size(), 3u);
  EXPECT_EQ(recovered[0].state_id, "a");
  ASSERT_TRUE(recovered[0].report.has_value());
  EXPECT_EQ(recovered[0].report->Body(), Report::Executed("a", {{{"out", "1"}}}).Body());
  EXPECT_EQ(recovered[1].state_id, "c");
  EXPECT_FALSE(recovered[1].report.has_value());
  EXPECT_EQ(recovered[1].ns, "ns");
  EXPECT_EQ(recovered[2].ns, "other");
  EXPECT_EQ(recovered[2].report->Endpoint(), "prune");
  // Recovered entries stay until done.
  journal->RecordDone("a");
  journal->RecordDone("c");
  journal->RecordDone("d");
  EXPECT_EQ(journal->Stats().live_entries, 0u);
}

TEST_F(JournalTest, ATornOrDamagedLineIsSkippedAndTheRestRecovered) {
  {
    std::unique_ptr<Journal> journal = Open();
    journal->RecordClaimed("ns", {Claimed("a"), Claimed("b")});
  }
  {
    std::ofstream file(absl::StrCat(dir_, "/journal.log"), std::ios::app);
    file << "0123456789abcdef {\"t\":\"claimed\",\"ns\":\"ns\",\"id\":\"forged\"}\n";
    file << "fedcba98765";  // a write cut short by a crash
  }
  std::unique_ptr<Journal> journal = Open();
  std::vector<Journal::Entry> recovered = journal->TakeRecovered();
  ASSERT_EQ(recovered.size(), 2u);
  EXPECT_EQ(recovered[0].state_id, "a");
  EXPECT_EQ(recovered[1].state_id, "b");
}

// Found by tests/fuzz/journal_fuzzer: json::value() threw on a member of another type, so such a
// line (from another version, or damage the checksum misses) crashed every restart.
TEST_F(JournalTest, ALineWithAValidChecksumButMembersOfOtherTypesIsSkipped) {
  auto line = [](const std::string& text) {
    uint64_t hash = 14695981039346656037ULL;  // FNV-1a, as journal.cc checks lines
    for (unsigned char c : text) {
      hash ^= c;
      hash *= 1099511628211ULL;
    }
    return absl::StrCat(absl::StrFormat("%016x", hash), " ", text, "\n");
  };
  {
    ::mkdir(dir_.c_str(), 0700);
    std::ofstream file(absl::StrCat(dir_, "/journal.log"));
    file << line(R"({"t":5,"id":"a"})") << line(R"({"t":"claimed","ns":"ns","id":["b"]})")
         << line(R"({"t":"result","ns":"ns","id":"c","endpoint":9,"body":{}})")
         << line(R"({"t":"claimed","ns":7,"id":"d"})");
  }
  std::unique_ptr<Journal> journal = Open();
  ASSERT_NE(journal, nullptr);
  std::vector<Journal::Entry> recovered = journal->TakeRecovered();
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].state_id, "d");
  EXPECT_EQ(recovered[0].ns, "");
}

TEST_F(JournalTest, CompactionKeepsTheFileBoundedAndTheLiveEntries) {
  options_.compact_bytes = 2048;
  std::unique_ptr<Journal> journal = Open();
  journal->RecordClaimed("ns", {Claimed("keeper")});
  for (int i = 0; i < 500; ++i) {
    const std::string id = absl::StrCat("s", i);
    journal->RecordClaimed("ns", {Claimed(id)});
    journal->RecordResult("ns", Report::Executed(id, {}));
    journal->RecordDone(id);
    // Compactions run on the journal's thread; waiting for each keeps the file's size exact.
    ASSERT_TRUE(journal->AwaitCompacted(absl::InfiniteFuture()));
  }
  EXPECT_LE(FileSize(), 2048 + 512);
  EXPECT_GT(journal->Stats().compactions, 10u);
  journal.reset();
  journal = Open();
  std::vector<Journal::Entry> recovered = journal->TakeRecovered();
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].state_id, "keeper");
}

TEST_F(JournalTest, RecordsNeitherWaitForNorMissARunningCompaction) {
  options_.compact_bytes = 1024;
  absl::Notification compaction_started;
  absl::Notification release_compaction;
  int hook_calls = 0;  // the journal's thread only, after Open
  options_.compaction_hook = [&] {
    if (++hook_calls == 1) return;  // the compaction of Open itself
    if (!compaction_started.HasBeenNotified()) compaction_started.Notify();
    release_compaction.WaitForNotification();
  };
  std::unique_ptr<Journal> journal = Open();
  int next = 0;
  // Grow the file past the threshold: the journal's thread starts compacting and is held.
  while (!compaction_started.HasBeenNotified()) {
    const std::string id = absl::StrCat("s", next++);
    journal->RecordClaimed("ns", {Claimed(id)});
    journal->RecordDone(id);
    ASSERT_LT(next, 100000) << "no compaction started";
  }
  // While the compaction is held, records go on at once (a stalled compaction used to hold the
  // journal's lock, and with it every caller).
  absl::Notification recorded;
  std::thread writer([&] {
    journal->RecordClaimed("ns", {Claimed("during-1"), Claimed("during-2")});
    journal->RecordResult("ns", Report::Executed("during-1", {}));
    journal->RecordDone("during-2");
    recorded.Notify();
  });
  const bool recorded_in_time = recorded.WaitForNotificationWithTimeout(absl::Seconds(30));
  release_compaction.Notify();
  writer.join();
  ASSERT_TRUE(recorded_in_time) << "a record waited for the compaction";
  ASSERT_TRUE(journal->AwaitCompacted(absl::InfiniteFuture()));
  EXPECT_GE(journal->Stats().compactions, 2u);  // the one at Open, and this one
  // The records made during the compaction are in the new file.
  journal.reset();
  journal = Open();
  std::vector<Journal::Entry> recovered = journal->TakeRecovered();
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].state_id, "during-1");
  ASSERT_TRUE(recovered[0].report.has_value());
  EXPECT_EQ(recovered[0].report->kind, Report::Kind::kExecuted);
}

TEST_F(JournalTest, TwoSidecarsCannotShareADirectory) {
  std::unique_ptr<Journal> first = Open();
  EXPECT_THAT(Journal::Open(options_, clock_), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                        HasSubstr("in use by another sidecar")));
}

TEST_F(JournalTest, AnUnusableDirectoryIsAClearError) {
  options_.dir = "/proc/no-journal-here";
  EXPECT_THAT(Journal::Open(options_, clock_),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("/proc/no-journal-here")));
}

TEST(ReportFromBodyTest, EveryKindRoundTrips) {
  const Report reports[] = {Report::Executed("s", {{{"a", "1"}}, {}}), Report::Errored("s", "e"),
                            Report::Pruned("s", {{"k", {1, 2}}}), Report::RequeueAfter("s", 9)};
  for (const Report& report : reports) {
    absl::StatusOr<Report> back = Report::FromBody(report.Endpoint(), "s", report.Body());
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->kind, report.kind);
    EXPECT_EQ(back->Body(), report.Body());
  }
  EXPECT_THAT(Report::FromBody("executed", "s", json::Json{{"outputs", "x"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outputs")));
  EXPECT_THAT(Report::FromBody("teleport", "s", json::Json::object()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown endpoint")));
}

}  // namespace
}  // namespace exosphere::sidecar
