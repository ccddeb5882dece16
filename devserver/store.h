#ifndef EXOSPHERE_DEVSERVER_STORE_H_
#define EXOSPHERE_DEVSERVER_STORE_H_

#include <memory>
#include <type_traits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

#include "devserver/persistence.h"
#include "devserver/tables.h"

namespace exosphere::devserver {

// The devserver's database: the in-memory Tables behind one mutex, written through to an
// optional Persistence at the end of every transaction (in the same critical section, so the
// file never sees a half-applied request). Every read-check-write an endpoint does runs inside one
// Transact() call, which is what makes claims and status checks atomic. Thread-safe.
class Store {
 public:
  // Loads everything from `persistence` (nullptr: memory only). Errors come from Load().
  static absl::StatusOr<std::unique_ptr<Store>> Open(std::unique_ptr<Persistence> persistence);
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Runs `fn(Tables&)` under the lock, persists what it changed, and returns its result. `fn`
  // must not call back into the Store. A failed write to the persistence is logged and counted;
  // memory stays authoritative (see persist_failures()).
  template <typename Fn>
  auto Transact(Fn&& fn) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if constexpr (std::is_void_v<std::invoke_result_t<Fn, Tables&>>) {
      std::forward<Fn>(fn)(tables_);
      FlushLocked();
    } else {
      auto result = std::forward<Fn>(fn)(tables_);
      FlushLocked();
      return result;
    }
  }

  int64_t persist_failures() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  explicit Store(std::unique_ptr<Persistence> persistence);
  void FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::unique_ptr<Persistence> persistence_;

  mutable absl::Mutex mu_;
  Tables tables_ ABSL_GUARDED_BY(mu_);
  int64_t persist_failures_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_STORE_H_
