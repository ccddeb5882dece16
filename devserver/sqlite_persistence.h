#ifndef EXOSPHERE_DEVSERVER_SQLITE_PERSISTENCE_H_
#define EXOSPHERE_DEVSERVER_SQLITE_PERSISTENCE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "devserver/persistence.h"

struct sqlite3;

namespace exosphere::devserver {

// Persistence in one SQLite file (WAL journal): one table per collection, each row a JSON
// document (record_codec). Apply() writes one transaction. Owns the connection; not thread-safe
// (the Store serializes calls).
class SqlitePersistence final : public Persistence {
 public:
  // Opens or creates the database at `path` and its schema. kUnavailable when the file cannot be
  // opened, kFailedPrecondition when it belongs to a newer schema.
  static absl::StatusOr<std::unique_ptr<SqlitePersistence>> Open(const std::string& path);
  ~SqlitePersistence() override;
  SqlitePersistence(const SqlitePersistence&) = delete;
  SqlitePersistence& operator=(const SqlitePersistence&) = delete;

  absl::StatusOr<PersistedDocuments> Load() override;
  absl::Status Apply(const PersistedDocuments& changes) override;

 private:
  SqlitePersistence(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  absl::Status Execute(const char* sql);

  sqlite3* const db_;
  const std::string path_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_SQLITE_PERSISTENCE_H_
