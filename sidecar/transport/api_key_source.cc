#include "sidecar/transport/api_key_source.h"

#include <utility>

#include "common/log.h"
#include "sidecar/config.h"
#include <sys/stat.h>

namespace exosphere::sidecar {

absl::StatusOr<std::unique_ptr<ApiKeySource>> ApiKeySource::Create(std::string fixed_key,
                                                                   std::string file, Clock& clock,
                                                                   absl::Duration recheck) {
  std::string key = std::move(fixed_key);
  if (!file.empty()) {
    absl::StatusOr<std::string> read = ReadKeyFile(file);
    if (!read.ok()) return read.status();
    key = *std::move(read);
  }
  log::RegisterSensitiveValue(key);
  auto source = std::unique_ptr<ApiKeySource>(
      new ApiKeySource(std::move(key), std::move(file), clock, recheck));
  if (!source->file_.empty()) {
    absl::MutexLock lock(&source->mu_);
    source->ReloadLocked();
  }
  return source;
}

ApiKeySource::ApiKeySource(std::string key, std::string file, Clock& clock, absl::Duration recheck)
    : file_(std::move(file)), clock_(clock), recheck_(recheck), key_(std::move(key)) {}

std::string ApiKeySource::Get() {
  absl::MutexLock lock(&mu_);
  if (!file_.empty() && clock_.Now() >= next_check_) ReloadLocked();
  return key_;
}

void ApiKeySource::ReloadLocked() {
  next_check_ = clock_.Now() + recheck_;
  struct stat info;
  if (stat(file_.c_str(), &info) != 0) {
    if (!unreadable_logged_) {
      EXO_LOG(kWarning, "api_key_file_unreadable", "keeping the last key", {{"file", file_}});
      unreadable_logged_ = true;
    }
    return;
  }
  if (info.st_ino == inode_ && info.st_size == size_ && info.st_mtim.tv_sec == mtime_.tv_sec &&
      info.st_mtim.tv_nsec == mtime_.tv_nsec) {
    return;
  }
  absl::StatusOr<std::string> key = ReadKeyFile(file_);
  if (!key.ok()) {
    if (!unreadable_logged_) {
      EXO_LOG(kWarning, "api_key_file_unreadable", std::string(key.status().message()));
      unreadable_logged_ = true;
    }
    return;
  }
  unreadable_logged_ = false;
  inode_ = info.st_ino;
  size_ = info.st_size;
  mtime_ = info.st_mtim;
  if (*key != key_) {
    log::RegisterSensitiveValue(*key);
    key_ = *std::move(key);
    EXO_LOG(kInfo, "api_key_reloaded", "the API key file changed", {{"file", file_}});
  }
}

}  // namespace exosphere::sidecar
