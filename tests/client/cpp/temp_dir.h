#ifndef EXOSPHERE_TESTS_CLIENT_CPP_TEMP_DIR_H_
#define EXOSPHERE_TESTS_CLIENT_CPP_TEMP_DIR_H_

#include <string>

namespace exosphere::client::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction. Short
// enough for unix socket paths (108 bytes). Not thread-safe.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Empty if the directory could not be created.
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace exosphere::client::testing

#endif  // EXOSPHERE_TESTS_CLIENT_CPP_TEMP_DIR_H_
