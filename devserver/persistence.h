#ifndef EXOSPHERE_DEVSERVER_PERSISTENCE_H_
#define EXOSPHERE_DEVSERVER_PERSISTENCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "devserver/models.h"

namespace exosphere::devserver {

// One value of a run's store (3.5).
struct StoreEntry {
  std::string run_id;
  std::string namespace_name;
  std::string graph_name;
  std::string key;
  std::string value;
};

// A state with its insertion sequence number (the natural order of the collection).
struct StateRow {
  State state;
  uint64_t seq = 0;
};

// A run with its insertion sequence number (breaks ties between equal creation times).
struct RunRow {
  Run run;
  uint64_t seq = 0;
};

// Documents written by one transaction (upserts), or everything on load.
struct PersistedDocuments {
  std::vector<RegisteredNode> nodes;
  std::vector<GraphTemplate> graphs;
  std::vector<StateRow> states;
  std::vector<RunRow> runs;
  std::vector<StoreEntry> store_entries;
  std::vector<CronRecord> cron_records;
  std::vector<std::string> deleted_cron_record_ids;

  bool empty() const {
    return nodes.empty() && graphs.empty() && states.empty() && runs.empty() &&
           store_entries.empty() && cron_records.empty() && deleted_cron_record_ids.empty();
  }
};

// Durable storage behind the in-memory store: every committed transaction is written through
// with Apply(); Load() returns everything at startup. Implementations are called with the store's
// lock held, from one thread at a time.
class Persistence {
 public:
  virtual ~Persistence() = default;

  // Everything stored, states and runs ordered by sequence number.
  virtual absl::StatusOr<PersistedDocuments> Load() = 0;
  // Atomically upserts the documents and deletes the listed cron records.
  virtual absl::Status Apply(const PersistedDocuments& changes) = 0;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_PERSISTENCE_H_
