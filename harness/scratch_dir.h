#ifndef EXOSPHERE_HARNESS_SCRATCH_DIR_H_
#define EXOSPHERE_HARNESS_SCRATCH_DIR_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace exosphere::harness {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction. Its path
// is short enough for unix socket paths (108 bytes). Not thread-safe.
class ScratchDir {
 public:
  // kInternal when the directory cannot be created.
  static absl::StatusOr<std::unique_ptr<ScratchDir>> Create();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}

  const std::string path_;
};

}  // namespace exosphere::harness

#endif  // EXOSPHERE_HARNESS_SCRATCH_DIR_H_
