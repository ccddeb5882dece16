#include "devserver/sqlite_persistence.h"

#include <functional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "devserver/json.h"
#include "devserver/python_json_decoder.h"
#include "devserver/record_codec.h"
#include <sqlite3.h>

namespace exosphere::devserver {
namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (
  namespace TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (namespace, name));
CREATE TABLE IF NOT EXISTS graphs (
  namespace TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (namespace, name));
CREATE TABLE IF NOT EXISTS states (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stores (
  run_id TEXT NOT NULL, namespace TEXT NOT NULL, graph_name TEXT NOT NULL, key TEXT NOT NULL,
  value TEXT NOT NULL, PRIMARY KEY (run_id, namespace, graph_name, key));
CREATE TABLE IF NOT EXISTS cron_records (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
)sql";

// A prepared statement that is finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr) != SQLITE_OK) statement_ = nullptr;
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return statement_ != nullptr; }
  sqlite3_stmt* get() { return statement_; }

  void BindText(int index, const std::string& text) {
    sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
  }
  void BindInt(int index, int64_t value) { sqlite3_bind_int64(statement_, index, value); }

  // Runs a write statement and resets it for the next bindings.
  absl::Status Run() {
    const int rc = sqlite3_step(statement_);
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
    if (rc != SQLITE_DONE) {
      return absl::UnavailableError(absl::StrCat("sqlite write: ", sqlite3_errmsg(db_)));
    }
    return absl::OkStatus();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_ = nullptr;
};

std::string ColumnText(sqlite3_stmt* statement, int column) {
  const unsigned char* text = sqlite3_column_text(statement, column);
  const int size = sqlite3_column_bytes(statement, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

absl::StatusOr<Json> ParseDocument(const std::string& text) {
  PythonJsonResult parsed = DecodePythonJson(text);
  if (parsed.outcome != PythonJsonResult::Outcome::kOk) {
    return absl::DataLossError(absl::StrCat("stored document is not JSON: ", parsed.message));
  }
  return std::move(parsed.value);
}

// Runs `sql` and calls `row` for each result row.
absl::Status ForEachRow(sqlite3* db, const char* sql,
                        const std::function<absl::Status(sqlite3_stmt*)>& row) {
  Statement statement(db, sql);
  if (!statement.ok()) return absl::UnavailableError(absl::StrCat("sqlite: ", sqlite3_errmsg(db)));
  while (true) {
    const int rc = sqlite3_step(statement.get());
    if (rc == SQLITE_DONE) return absl::OkStatus();
    if (rc != SQLITE_ROW) {
      return absl::UnavailableError(absl::StrCat("sqlite read: ", sqlite3_errmsg(db)));
    }
    absl::Status status = row(statement.get());
    if (!status.ok()) return status;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqlitePersistence>> SqlitePersistence::Open(
    const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::UnavailableError(absl::StrCat("cannot open database '", path, "': ", message));
  }
  std::unique_ptr<SqlitePersistence> persistence(new SqlitePersistence(db, path));
  sqlite3_busy_timeout(db, 5000);
  // WAL keeps a reader (e.g. sqlite3 on the command line) from blocking the devserver; NORMAL
  // sync is durable across process crashes, which is what a development server needs.
  absl::Status status = persistence->Execute("PRAGMA journal_mode=WAL;");
  if (status.ok()) status = persistence->Execute("PRAGMA synchronous=NORMAL;");
  if (status.ok()) status = persistence->Execute(kSchema);
  if (!status.ok()) return status;

  int64_t version = 0;
  status = ForEachRow(db, "SELECT value FROM meta WHERE key = 'schema_version';",
                      [&](sqlite3_stmt* row) {
                        version = std::atoll(ColumnText(row, 0).c_str());
                        return absl::OkStatus();
                      });
  if (!status.ok()) return status;
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat("database '", path, "' has schema version ",
                                                      version, ", newer than this devserver's ",
                                                      kSchemaVersion));
  }
  if (version == 0) {
    status = persistence->Execute(
        absl::StrCat("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '",
                     kSchemaVersion, "');")
            .c_str());
    if (!status.ok()) return status;
  }
  return persistence;
}

SqlitePersistence::~SqlitePersistence() { sqlite3_close(db_); }

absl::Status SqlitePersistence::Execute(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    return absl::UnavailableError(absl::StrCat("sqlite '", path_, "': ", message));
  }
  return absl::OkStatus();
}

absl::StatusOr<PersistedDocuments> SqlitePersistence::Load() {
  PersistedDocuments documents;
  auto decode_into = [](const std::string& text, auto decode, auto& out) -> absl::Status {
    absl::StatusOr<Json> document = ParseDocument(text);
    if (!document.ok()) return document.status();
    auto value = decode(*document);
    if (!value.ok()) return value.status();
    out.push_back(*std::move(value));
    return absl::OkStatus();
  };
  absl::Status status = ForEachRow(db_, "SELECT doc FROM nodes;", [&](sqlite3_stmt* row) {
    return decode_into(ColumnText(row, 0), DecodeRegisteredNode, documents.nodes);
  });
  if (status.ok()) {
    status = ForEachRow(db_, "SELECT doc FROM graphs;", [&](sqlite3_stmt* row) {
      return decode_into(ColumnText(row, 0), DecodeGraphTemplate, documents.graphs);
    });
  }
  if (status.ok()) {
    status = ForEachRow(db_, "SELECT seq, doc FROM states ORDER BY seq;", [&](sqlite3_stmt* row) {
      absl::StatusOr<Json> document = ParseDocument(ColumnText(row, 1));
      if (!document.ok()) return document.status();
      absl::StatusOr<State> state = DecodeState(*document);
      if (!state.ok()) return state.status();
      documents.states.push_back(
          {*std::move(state), static_cast<uint64_t>(sqlite3_column_int64(row, 0))});
      return absl::OkStatus();
    });
  }
  if (status.ok()) {
    status = ForEachRow(db_, "SELECT seq, doc FROM runs ORDER BY seq;", [&](sqlite3_stmt* row) {
      absl::StatusOr<Json> document = ParseDocument(ColumnText(row, 1));
      if (!document.ok()) return document.status();
      absl::StatusOr<Run> run = DecodeRun(*document);
      if (!run.ok()) return run.status();
      documents.runs.push_back(
          {*std::move(run), static_cast<uint64_t>(sqlite3_column_int64(row, 0))});
      return absl::OkStatus();
    });
  }
  if (status.ok()) {
    status = ForEachRow(db_, "SELECT run_id, namespace, graph_name, key, value FROM stores;",
                        [&](sqlite3_stmt* row) {
                          documents.store_entries.push_back({ColumnText(row, 0), ColumnText(row, 1),
                                                             ColumnText(row, 2), ColumnText(row, 3),
                                                             ColumnText(row, 4)});
                          return absl::OkStatus();
                        });
  }
  if (status.ok()) {
    status = ForEachRow(db_, "SELECT doc FROM cron_records;", [&](sqlite3_stmt* row) {
      return decode_into(ColumnText(row, 0), DecodeCronRecord, documents.cron_records);
    });
  }
  if (!status.ok()) return status;
  return documents;
}

absl::Status SqlitePersistence::Apply(const PersistedDocuments& changes) {
  absl::Status status = Execute("BEGIN IMMEDIATE;");
  if (!status.ok()) return status;
  auto write = [&]() -> absl::Status {
    if (!changes.nodes.empty()) {
      Statement statement(db_,
                          "INSERT OR REPLACE INTO nodes (namespace, name, doc) VALUES (?, ?, ?);");
      if (!statement.ok()) return absl::UnavailableError(sqlite3_errmsg(db_));
      for (const RegisteredNode& node : changes.nodes) {
        statement.BindText(1, node.namespace_name);
        statement.BindText(2, node.name);
        statement.BindText(3, DumpJson(EncodeRegisteredNode(node)));
        absl::Status result = statement.Run();
        if (!result.ok()) return result;
      }
    }
    if (!changes.graphs.empty()) {
      Statement statement(db_,
                          "INSERT OR REPLACE INTO graphs (namespace, name, doc) VALUES (?, ?, ?);");
      if (!statement.ok()) return absl::UnavailableError(sqlite3_errmsg(db_));
      for (const GraphTemplate& graph : changes.graphs) {
        statement.BindText(1, graph.namespace_name);
        statement.BindText(2, graph.name);
        statement.BindText(3, DumpJson(EncodeGraphTemplate(graph)));
        absl::Status result = statement.Run();
        if (!result.ok()) return result;
      }
    }
    if (!changes.states.empty()) {
      Statement statement(db_, "INSERT OR REPLACE INTO states (id, seq, doc) VALUES (?, ?, ?);");
      if (!statement.ok()) return absl::UnavailableError(sqlite3_errmsg(db_));
      for (const StateRow& row : changes.states) {
        statement.BindText(1, row.state.id);
        statement.BindInt(2, static_cast<int64_t>(row.seq));
        statement.BindText(3, DumpJson(EncodeState(row.state)));
        absl::Status result = statement.Run();
        if (!result.ok()) return result;
      }
    }
    if (!changes.runs.empty()) {
      Statement statement(db_, "INSERT OR REPLACE INTO runs (run_id, seq, doc) VALUES (?, ?, ?);");
      if (!statement.ok()) return absl::UnavailableError(sqlite3_errmsg(db_));
      for (const RunRow& row : changes.runs) {
        statement.BindText(1, row.run.run_id);
        statement.BindInt(2, static_cast<int64_t>(row.seq));
        statement.BindText(3, DumpJson(EncodeRun(row.run)));
        absl::Status result = statement.Run();
        if (!result.ok()) return result;
      }
    }
    if (!changes.store_entries.empty()) {
      Statement statement(
          db_,
          "INSERT OR REPLACE INTO stores (run_id, namespace, graph_name, key, value) "
          "VALUES (?, ?, ?, ?, ?);");
      if (!statement.ok()) return absl::UnavailableError(sqlite3_errmsg(db_));
      for (const StoreEntry& entry : changes.store_entries) {
        statement.BindText(1, entry.run_id);
        statement.BindText(2, entry.namespace_name);
        statement.BindText(3, entry.graph_name);
        statement.BindText(4, entry.key);
        statement.BindText(5, entry.value);
        absl::Status result = statement.Run();
        if (!result.ok()) return result;
      }
    }
    if (!changes.cron_records.empty()) {
      Statement statement(db_, "INSERT OR REPLACE INTO cron_records (id, doc) VALUES (?, ?);");
      if (!statement.ok()) return absl::UnavailableError(sqlite3_errmsg(db_));
      for (const CronRecord& record : changes.cron_records) {
        statement.BindText(1, record.id);
        statement.BindText(2, DumpJson(EncodeCronRecord(record)));
        absl::Status result = statement.Run();
        if (!result.ok()) return result;
      }
    }
    if (!changes.deleted_cron_record_ids.empty()) {
      Statement statement(db_, "DELETE FROM cron_records WHERE id = ?;");
      if (!statement.ok()) return absl::UnavailableError(sqlite3_errmsg(db_));
      for (const std::string& id : changes.deleted_cron_record_ids) {
        statement.BindText(1, id);
        absl::Status result = statement.Run();
        if (!result.ok()) return result;
      }
    }
    return absl::OkStatus();
  };
  status = write();
  if (!status.ok()) {
    // The transaction is abandoned as a whole; ROLLBACK's own failure adds nothing useful.
    Execute("ROLLBACK;").IgnoreError();
    return status;
  }
  return Execute("COMMIT;");
}

}  // namespace exosphere::devserver
