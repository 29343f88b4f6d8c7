#include "migrator/catalog_fingerprint.h"


#include "migrator/error.h"
#include "migrator/postgres.h"

namespace migrator {

namespace {

// One row per object: (kind and qualified name, definition). Names go through
// quote_ident so "CamelCase" and camelcase stay apart; definitions use the
// server's own deparsers (pg_get_*def), so equal objects print equal.
const char* const fingerprint_query = R"SQL(
WITH ignored_tables AS (
  SELECT to_regclass(n)::oid AS oid FROM unnest($1::text[]) AS n WHERE to_regclass(n) IS NOT NULL
), ignored AS (
  SELECT oid FROM ignored_tables
  UNION
  SELECT d.objid FROM pg_depend d JOIN ignored_tables t ON d.refobjid = t.oid
  WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
  UNION
  SELECT i.indexrelid FROM pg_index i JOIN ignored_tables t ON i.indrelid = t.oid
), ns AS (
  SELECT oid, nspname, nspacl FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema')
    AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%'
), rel AS (
  SELECT c.oid, c.relname, c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity,
         c.reloptions, c.relacl, ns.nspname, quote_ident(ns.nspname) || '.' || quote_ident(c.relname) AS qname
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
  WHERE c.oid NOT IN (SELECT oid FROM ignored)
)
SELECT 'schema ' || quote_ident(nspname), 'acl=' || coalesce(nspacl::text, '') FROM ns
UNION ALL
SELECT CASE relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view ' WHEN 'f' THEN 'foreign table '
                    WHEN 'c' THEN 'type ' ELSE 'table ' END || qname,
       concat_ws(' ', 'relkind=' || relkind::text, 'persistence=' || relpersistence::text, 'rls=' || relrowsecurity,
                 'force_rls=' || relforcerowsecurity, 'options=' || coalesce(reloptions::text, ''),
                 'acl=' || coalesce(relacl::text, ''),
                 CASE WHEN relkind IN ('v', 'm') THEN 'definition=' || pg_get_viewdef(oid) END,
                 CASE WHEN relkind = 'p' THEN 'partition_key=' || pg_get_partkeydef(oid) END)
FROM rel WHERE relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
UNION ALL
SELECT 'column ' || r.qname || '.' || quote_ident(a.attname),
       concat_ws(' ', format_type(a.atttypid, a.atttypmod),
                 CASE WHEN a.attnotnull THEN 'not null' END,
                 'default ' || pg_get_expr(ad.adbin, ad.adrelid),
                 CASE WHEN a.attidentity <> ''::"char" THEN 'identity=' || a.attidentity::text END,
                 CASE WHEN a.attgenerated <> ''::"char" THEN 'generated=' || a.attgenerated::text END,
                 CASE WHEN a.attcollation <> 0 THEN 'collation=' || a.attcollation::regcollation::text END,
                 'acl=' || a.attacl::text)
FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
UNION ALL
SELECT 'constraint ' || quote_ident(ns.nspname) || '.' || quote_ident(coalesce(r.relname, t.typname)) || '.' ||
         quote_ident(co.conname),
       pg_get_constraintdef(co.oid) || CASE WHEN co.convalidated THEN '' ELSE ' (not validated)' END
FROM pg_constraint co JOIN ns ON ns.oid = co.connamespace
LEFT JOIN pg_class r ON r.oid = co.conrelid LEFT JOIN pg_type t ON t.oid = co.contypid
WHERE co.conrelid NOT IN (SELECT oid FROM ignored)
UNION ALL
SELECT 'index ' || r.qname, pg_get_indexdef(r.oid) || CASE WHEN i.indisvalid THEN '' ELSE ' (invalid)' END
FROM rel r JOIN pg_index i ON i.indexrelid = r.oid
UNION ALL
SELECT 'sequence ' || r.qname,
       concat_ws(' ', format_type(s.seqtypid, NULL), 'start=' || s.seqstart, 'increment=' || s.seqincrement,
                 'min=' || s.seqmin, 'max=' || s.seqmax, 'cache=' || s.seqcache, 'cycle=' || s.seqcycle,
                 'acl=' || coalesce(r.relacl::text, ''),
                 'owned_by=' || (SELECT d.refobjid::regclass::text || '.' || d.refobjsubid FROM pg_depend d
                                 WHERE d.objid = r.oid AND d.classid = 'pg_class'::regclass
                                   AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1))
FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
UNION ALL
SELECT 'function ' || quote_ident(ns.nspname) || '.' || quote_ident(p.proname) || '(' ||
         pg_get_function_identity_arguments(p.oid) || ')',
       CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) ELSE 'prokind=' || p.prokind::text END ||
         ' acl=' || coalesce(p.proacl::text, '')
FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
UNION ALL
SELECT 'trigger ' || r.qname || '.' || quote_ident(tg.tgname), pg_get_triggerdef(tg.oid) || ' enabled=' || tg.tgenabled::text
FROM pg_trigger tg JOIN rel r ON r.oid = tg.tgrelid WHERE NOT tg.tgisinternal
UNION ALL
SELECT 'type ' || quote_ident(ns.nspname) || '.' || quote_ident(t.typname),
       concat_ws(' ', 'typtype=' || t.typtype::text,
                 CASE WHEN t.typtype = 'e' THEN 'labels=' || (SELECT string_agg(quote_literal(e.enumlabel), ','
                                                              ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) END,
                 CASE WHEN t.typtype = 'd' THEN 'base=' || format_type(t.typbasetype, t.typtypmod) ||
                   CASE WHEN t.typnotnull THEN ' not null' ELSE '' END || coalesce(' default ' || t.typdefault, '') END,
                 'acl=' || coalesce(t.typacl::text, ''))
FROM pg_type t JOIN ns ON ns.oid = t.typnamespace WHERE t.typtype IN ('e', 'd', 'r')
UNION ALL
SELECT 'policy ' || r.qname || '.' || quote_ident(po.polname),
       concat_ws(' ', 'cmd=' || po.polcmd::text, 'permissive=' || po.polpermissive,
                 'roles=' || (SELECT string_agg(CASE WHEN x = 0 THEN 'public' ELSE pg_get_userbyid(x)::text END, ','
                                                ORDER BY x) FROM unnest(po.polroles) AS x),
                 'using=' || pg_get_expr(po.polqual, po.polrelid), 'check=' || pg_get_expr(po.polwithcheck, po.polrelid))
FROM pg_policy po JOIN rel r ON r.oid = po.polrelid
UNION ALL
SELECT 'default privileges ' || coalesce(quote_ident(n.nspname), '*') || ' ' || pg_get_userbyid(d.defaclrole) || ' ' ||
         d.defaclobjtype::text, d.defaclacl::text
FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
UNION ALL
SELECT 'extension ' || quote_ident(extname), extversion FROM pg_extension
)SQL";

std::string array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += i ? ",\"" : "\"";
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace

std::string catalog_difference::str() const {
  switch (kind) {
    case change::added: return "added " + object + ": " + after;
    case change::removed: return "removed " + object + ": " + before;
    case change::changed: return "changed " + object + ": " + before + " -> " + after;
  }
  return object;
}

std::vector<catalog_difference> diff(const catalog_fingerprint& before, const catalog_fingerprint& after) {
  std::vector<catalog_difference> out;
  auto b = before.objects.begin(), a = after.objects.begin();
  while (b != before.objects.end() || a != after.objects.end()) {
    if (a == after.objects.end() || (b != before.objects.end() && b->first < a->first)) {
      out.push_back({catalog_difference::change::removed, b->first, b->second, ""});
      ++b;
    } else if (b == before.objects.end() || a->first < b->first) {
      out.push_back({catalog_difference::change::added, a->first, "", a->second});
      ++a;
    } else {
      if (a->second != b->second) out.push_back({catalog_difference::change::changed, a->first, b->second, a->second});
      ++a, ++b;
    }
  }
  return out;
}

struct catalog_inspector::impl {
  std::unique_ptr<session> conn;
  std::string ignored;  // a text[] literal
};

catalog_inspector::catalog_inspector(const std::string& dsn, std::vector<std::string> ignored_tables)
    : impl_(std::make_unique<impl>()) {
  try {
    impl_->conn = connect_postgres(dsn);
  } catch (const error&) {
    throw error(error_code::database, "cannot connect to the database to read its catalog");
  }
  impl_->ignored = array_literal(ignored_tables);
}

catalog_inspector::~catalog_inspector() = default;

catalog_fingerprint catalog_inspector::fingerprint() {
  catalog_fingerprint fp;
  try {
    const query_result r = impl_->conn->exec_params(fingerprint_query, {impl_->ignored});
    for (const auto& row : r.rows) fp.objects[row.at(0).value_or("")] = row.at(1).value_or("");
  } catch (const database_error& e) {
    if (e.connection_lost()) throw error(error_code::database, "the connection broke while reading the catalog");
    throw error(error_code::database, std::string("reading the catalog failed: ") + e.what());
  }
  return fp;
}

}  // namespace migrator
