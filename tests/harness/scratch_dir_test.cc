#include "harness/scratch_dir.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace exosphere::harness {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Sets TMPDIR for one test and restores it afterwards.
class ScopedTmpdir {
 public:
  explicit ScopedTmpdir(const std::string& value) {
    if (const char* old = std::getenv("TMPDIR")) old_ = old;
    setenv("TMPDIR", value.c_str(), 1);
  }
  ~ScopedTmpdir() {
    if (old_.has_value()) {
      setenv("TMPDIR", old_->c_str(), 1);
    } else {
      unsetenv("TMPDIR");
    }
  }
  ScopedTmpdir(const ScopedTmpdir&) = delete;
  ScopedTmpdir& operator=(const ScopedTmpdir&) = delete;

 private:
  std::optional<std::string> old_;
};

TEST(ScratchDirTest, CreatesAFreshEmptyDirectoryShortEnoughForASocket) {
  absl::StatusOr<std::unique_ptr<ScratchDir>> first = ScratchDir::Create();
  absl::StatusOr<std::unique_ptr<ScratchDir>> second = ScratchDir::Create();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE((*first)->path(), (*second)->path());
  EXPECT_TRUE(std::filesystem::is_directory((*first)->path()));
  EXPECT_TRUE(std::filesystem::is_empty((*first)->path()));
  EXPECT_EQ((*first)->File("sidecar.sock"), (*first)->path() + "/sidecar.sock");
  // sockaddr_un::sun_path holds 108 bytes with the terminating NUL.
  EXPECT_LT((*first)->File("sidecar.sock").size(), 108u);
}

TEST(ScratchDirTest, RemovesItselfWithEverythingInside) {
  std::string path;
  {
    absl::StatusOr<std::unique_ptr<ScratchDir>> dir = ScratchDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    path = (*dir)->path();
    std::filesystem::create_directories((*dir)->File("journal/nested"));
    std::ofstream((*dir)->File("journal/nested/journal.log")) << "line\n";
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ScratchDirTest, UsesTmpdirWhenSet) {
  absl::StatusOr<std::unique_ptr<ScratchDir>> parent = ScratchDir::Create();
  ASSERT_TRUE(parent.ok()) << parent.status();
  ScopedTmpdir tmpdir((*parent)->path());
  absl::StatusOr<std::unique_ptr<ScratchDir>> child = ScratchDir::Create();
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_THAT((*child)->path(), StartsWith((*parent)->path() + "/exo-test-"));
}

TEST(ScratchDirTest, ExplainsWhyItCannotCreateTheDirectory) {
  absl::StatusOr<std::unique_ptr<ScratchDir>> parent = ScratchDir::Create();
  ASSERT_TRUE(parent.ok()) << parent.status();
  ScopedTmpdir tmpdir((*parent)->File("missing"));
  absl::StatusOr<std::unique_ptr<ScratchDir>> dir = ScratchDir::Create();
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(dir.status().message(), HasSubstr((*parent)->File("missing")));
  EXPECT_THAT(dir.status().message(), HasSubstr("No such file or directory"));
}

}  // namespace
}  // namespace exosphere::harness
