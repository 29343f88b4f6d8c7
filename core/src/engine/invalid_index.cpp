// Failed concurrent index builds. CREATE INDEX CONCURRENTLY and REINDEX ...
// CONCURRENTLY commit in several transactions; one that fails after the first
// (a lock timeout while it waits for older transactions, a duplicate key)
// leaves an INVALID index that a second run of the same statement trips over
// (CREATE: "already exists", or IF NOT EXISTS keeps the invalid one). Before
// running such a statement again, in a retry or when up resumes a dirty
// version, the engine drops what it left: only indexes the server marks
// invalid (pg_index.indisvalid), only of the names the statement gives them
// (format/concurrent_index.h), only on its table. PostgreSQL only.
#include <algorithm>

#include "engine/engine_state.h"
#include "migrator/log.h"

namespace migrator {

namespace {

// Every index of the statement's relation ($2 'create' or 'table': the table $1;
// 'table' adds its TOAST table, whose indexes REINDEX TABLE rebuilds too; 'index':
// the table of index $1), with whether it is index $1 itself.
constexpr const char* indexes_sql =
    "WITH target AS (SELECT CASE WHEN $2 = 'index' "
    "THEN (SELECT indrelid FROM pg_index WHERE indexrelid = to_regclass($1)) "
    "ELSE to_regclass($1)::oid END AS rel), "
    "rels AS (SELECT rel AS oid FROM target WHERE rel IS NOT NULL "
    "UNION ALL SELECT c.reltoastrelid FROM pg_class c JOIN target t ON c.oid = t.rel "
    "WHERE $2 = 'table' AND c.reltoastrelid <> 0) "
    "SELECT x.indrelid::bigint, i.relnamespace::bigint, i.relname, x.indisvalid, "
    "coalesce(x.indexrelid = to_regclass($1), false), format('%I.%I', n.nspname, i.relname) "
    "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace "
    "WHERE x.indrelid IN (SELECT oid FROM rels)";

struct index_row {
  std::int64_t table = 0;
  std::int64_t schema = 0;
  std::string name;
  bool valid = true;
  bool named_in_statement = false;  // REINDEX INDEX's index
  std::string qualified;            // quoted schema.name
};

std::string quoted(session& db, const parsing::qualified_name& n) {
  return n.schema ? db.quote_name(*n.schema) + "." + db.quote_name(n.name) : db.quote_name(n.name);
}

// Of `rows`, the invalid ones that `s` leaves when it fails.
std::vector<const index_row*> leftovers_of(const parsing::concurrent_index_statement& s,
                                           const std::vector<index_row>& rows) {
  using kind = parsing::concurrent_index_kind;
  std::vector<const index_row*> found;
  for (const auto& r : rows) {
    if (r.valid) continue;
    if (s.kind == kind::create_index) {
      // The new index takes the table's schema: rows are the table's indexes.
      if (r.name == s.index->name) found.push_back(&r);
      continue;
    }
    // REINDEX: "<source>_ccnew[N]" / "<source>_ccold[N]" beside its source index.
    for (const auto& source : rows) {
      if (&source == &r || source.table != r.table || source.schema != r.schema) continue;
      if (s.kind == kind::reindex_index && !source.named_in_statement) continue;
      const auto names = parsing::reindex_leftover_names(source.name);
      if (std::find(names.begin(), names.end(), r.name) != names.end()) {
        found.push_back(&r);
        break;
      }
    }
  }
  return found;
}

}  // namespace

bool engine::impl::cleanable(const parsing::concurrent_index_statement& s) {
  using kind = parsing::concurrent_index_kind;
  return (s.kind == kind::create_index && s.index) || s.kind == kind::reindex_index || s.kind == kind::reindex_table;
}

void engine::impl::drop_invalid_leftovers(const migration& m, int index, const parsing::concurrent_index_statement& s) {
  using kind = parsing::concurrent_index_kind;
  if (server_version == 0 || !cleanable(s)) return;
  const std::string target = quoted(db, s.kind == kind::reindex_index ? *s.index : *s.table);
  const char* mode = s.kind == kind::create_index ? "create" : s.kind == kind::reindex_index ? "index" : "table";
  const auto result = db.exec_params(indexes_sql, {target, std::string(mode)});
  std::vector<index_row> rows;
  for (std::size_t i = 0; i < result.size(); ++i)
    rows.push_back({result.integer(i, 0), result.integer(i, 1), result.text(i, 2), result.boolean(i, 3),
                    result.boolean(i, 4), result.text(i, 5)});
  for (const index_row* r : leftovers_of(s, rows)) {
    // CONCURRENTLY: a plain DROP INDEX would take an ACCESS EXCLUSIVE lock on
    // the table and queue its traffic. It may fail on the lock timeout too:
    // the caller retries the whole (drop, then the statement).
    db.exec("DROP INDEX CONCURRENTLY IF EXISTS " + r->qualified);
    log(log_level::info, detail::invalid_index_dropped(m, index, r->qualified),
        {{"event", "invalid_index_dropped"}, {"module", m.module}, {"version", m.version}, {"index", r->qualified}});
  }
}

std::map<std::int64_t, int> engine::impl::resumable_dirty(const history_snapshot& snap,
                                                          const status_report& status) const {
  std::map<std::int64_t, int> resumable;
  if (server_version == 0) return resumable;
  for (const auto& s : status.migrations) {
    if (s.state != migration_state::dirty || !s.statements_done || !s.statements_total) continue;
    const migration* file = file_of(s.version);
    const auto meta = snap.meta.find(s.version);
    if (!file || meta == snap.meta.end()) continue;
    const migration& m = *file;
    // Changed since it was marked: its statement numbers may mean other statements now.
    if (m.kind == migration_kind::code || meta->second.checksum != m.checksum) continue;
    const auto& body = m.body();
    const int done = *s.statements_done;
    if (body.use_transaction || *s.statements_total != static_cast<int>(body.up.size()) || done < 0 ||
        done >= static_cast<int>(body.up.size()))
      continue;
    const auto build = parsing::concurrent_index_of(body.up[static_cast<std::size_t>(done)].sql);
    if (build && cleanable(*build)) resumable[s.version] = done;
  }
  return resumable;
}

}  // namespace migrator
