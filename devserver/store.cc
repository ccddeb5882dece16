#include "devserver/store.h"

#include <string>

#include "absl/strings/str_cat.h"

#include "common/log.h"

namespace exosphere::devserver {

Store::Store(std::unique_ptr<Persistence> persistence)
    : persistence_(std::move(persistence)), tables_(persistence_ != nullptr) {}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(std::unique_ptr<Persistence> persistence) {
  std::unique_ptr<Store> store(new Store(std::move(persistence)));
  if (store->persistence_ != nullptr) {
    absl::StatusOr<PersistedDocuments> documents = store->persistence_->Load();
    if (!documents.ok()) return documents.status();
    absl::MutexLock lock(&store->mu_);
    absl::Status loaded = store->tables_.LoadFrom(*std::move(documents));
    if (!loaded.ok()) return loaded;
  }
  return store;
}

void Store::FlushLocked() {
  if (persistence_ == nullptr) return;
  PersistedDocuments changes = tables_.TakeChanges();
  if (changes.empty()) return;
  absl::Status status = persistence_->Apply(changes);
  if (!status.ok()) {
    ++persist_failures_;
    EXO_LOG(kError, "persist_failed",
            "could not write a change to the database; serving from memory",
            {{"error", status.message()}, {"failures", absl::StrCat(persist_failures_)}});
  }
}

int64_t Store::persist_failures() const {
  absl::MutexLock lock(&mu_);
  return persist_failures_;
}

}  // namespace exosphere::devserver
