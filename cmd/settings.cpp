#include "settings.h"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <deque>

#include "config_file.h"
#include "duration.h"
#include "migrator/dsn.h"
#include "migrator/error.h"
#include "migrator/lint.h"
#include "migrator/suggest.h"

namespace app {

namespace {

using std::chrono::milliseconds;

[[noreturn]] void fail(const std::string& message) {
  // Values are echoed in messages: hide anything that looks like a password.
  throw migrator::error(migrator::error_code::config, migrator::redact_secrets(message, ""));
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// ---- value readers: each names the value's origin in its error ---------------

milliseconds duration_value(const raw_value& v) {
  if (auto d = parse_duration(v.text)) return *d;
  bool digits_only =
      !v.text.empty() && std::all_of(v.text.begin(), v.text.end(), [](unsigned char c) { return std::isdigit(c); });
  if (digits_only) fail(v.origin + ": bad duration '" + v.text + "': add a unit (ms, s, m or h), e.g. " + v.text + "s");
  fail(v.origin + ": bad duration '" + v.text + "': use e.g. 500ms, 30s, 5m, 1h or 1m30s (at most 596h)");
}

std::optional<milliseconds> optional_duration_value(const raw_value& v) {
  if (lowercase(v.text) == "none") return std::nullopt;
  milliseconds d = duration_value(v);
  if (d.count() == 0) return std::nullopt;
  return d;
}

bool bool_value(const raw_value& v) {
  std::string t = lowercase(v.text);
  if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
  if (t == "false" || t == "no" || t == "off" || t == "0") return false;
  fail(v.origin + ": expected true or false, got '" + v.text + "'");
}

std::string choice_value(const raw_value& v, const std::vector<std::string>& choices) {
  std::string t = lowercase(v.text);
  if (std::find(choices.begin(), choices.end(), t) != choices.end()) return t;
  std::string list;
  for (const std::string& c : choices) list += (list.empty() ? "" : "|") + c;
  std::string hint;
  if (auto best = migrator::closest_match(t, choices)) hint = " (did you mean '" + *best + "'?)";
  fail(v.origin + ": '" + v.text + "' is not one of " + list + hint);
}

// The value of `v` in an enum's table of spellings (settings.h).
template <typename E, std::size_t N>
E enum_value(const raw_value& v, const spelling<E> (&table)[N]) {
  std::vector<std::string> texts;
  for (const auto& s : table) texts.emplace_back(s.text);
  const std::string chosen = choice_value(v, texts);
  for (const auto& s : table)
    if (s.text == chosen) return s.value;
  fail(v.origin + ": '" + v.text + "' is not a known value");  // choice_value refused it already
}

bool is_identifier(const std::string& s) {
  if (s.empty() || s.size() > 63 || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

std::string table_value(const raw_value& v) {
  std::size_t dot = v.text.find('.');
  bool ok = dot == std::string::npos ? is_identifier(v.text)
                                     : is_identifier(v.text.substr(0, dot)) && is_identifier(v.text.substr(dot + 1));
  if (!ok)
    fail(v.origin + ": bad table name '" + v.text +
         "': expected NAME or SCHEMA.NAME (letters, digits and _, not starting with a digit, at most 63 each)");
  return v.text;
}

std::optional<std::string> role_value(const raw_value& v) {
  if (v.text.empty()) return std::nullopt;
  bool ok = v.text.size() <= 63 &&
            std::none_of(v.text.begin(), v.text.end(), [](unsigned char c) { return std::iscntrl(c); });
  if (!ok) fail(v.origin + ": bad role name: at most 63 bytes, no control characters");
  return v.text;
}

std::size_t jobs_value(const raw_value& v) {
  const bool digits = !v.text.empty() && v.text.size() <= 4 &&
                      std::all_of(v.text.begin(), v.text.end(), [](unsigned char c) { return std::isdigit(c); });
  const int n = digits ? std::stoi(v.text) : 0;
  if (n < 1 || n > 256) fail(v.origin + ": bad job count '" + v.text + "': expected a number from 1 to 256");
  return static_cast<std::size_t>(n);
}

int retries_value(const raw_value& v) {
  const bool digits = !v.text.empty() && v.text.size() <= 4 &&
                      std::all_of(v.text.begin(), v.text.end(), [](unsigned char c) { return std::isdigit(c); });
  const int n = digits ? std::stoi(v.text) : -1;
  if (n < 0 || n > 1000) fail(v.origin + ": bad retry count '" + v.text + "': expected a number from 0 to 1000");
  return n;
}

// A positive bigint, as goose's table locker requires of its lock ids.
std::int64_t lock_id_value(const raw_value& v) {
  std::int64_t id = 0;
  const char* end = v.text.data() + v.text.size();
  auto [stop, problem] = std::from_chars(v.text.data(), end, id);
  if (v.text.empty() || problem != std::errc() || stop != end || id <= 0)
    fail(v.origin + ": bad lock id '" + v.text + "': expected a whole number from 1 to 9223372036854775807");
  return id;
}

// Below a second the heartbeat (a third of the lease) would renew faster than a
// busy server answers, and a lost beat would hand the lease to another runner.
milliseconds lease_value(const raw_value& v) {
  const milliseconds d = duration_value(v);
  if (d < std::chrono::seconds(1) || d > std::chrono::hours(1))
    fail(v.origin + ": bad lease '" + v.text + "': expected a duration from 1s to 1h");
  return d;
}

std::string show(const std::optional<std::string>& s) { return s ? *s : "none"; }
std::string show(const std::optional<milliseconds>& d) { return d ? format_duration(*d) : "none"; }
std::string show(bool b) { return b ? "true" : "false"; }

// One file-only row per lint rule: `lint.<rule id>: off|warn|error`.
void add_lint_rules(std::vector<setting_spec>& table) {
  static std::deque<std::string> texts;  // the rows' string_views point here
  for (const migrator::lint_rule& rule : migrator::lint_rules()) {
    const std::string id = rule.id;
    const std::string& key = texts.emplace_back("lint." + id);
    const std::string& help = texts.emplace_back(std::string("severity of the lint rule ") + rule.id + " (" +
                                                 rule.summary + "): off, warn or error");
    const std::string fallback(spelling_of(rule.default_severity, lint_severity_spellings));
    table.push_back({key, "", "LEVEL", "", "", help,
                     [id, fallback](const settings& s) {
                       auto it = s.lint.find(id);
                       return it == s.lint.end() ? fallback : std::string(spelling_of(it->second, lint_severity_spellings));
                     },
                     [id](settings& s, const raw_value& v) { s.lint[id] = enum_value(v, lint_severity_spellings); }});
  }
}

std::vector<setting_spec> make_table() {
  std::vector<setting_spec> table = {
      {"database.url", "dsn", "DSN", "", "MIGRATE_DSN, DATABASE_URL",
       "PostgreSQL connection string: a URI (postgresql://user@host/db; postgresql+asyncpg://, pgx5://... are "
       "accepted) or keyword/value (\"host=... dbname=...\"); sqlite:PATH or sqlite::memory: selects SQLite "
       "(docs/sqlite.md)",
       [](const settings&) {
         std::string chain;
         for (const dsn_source_spec& source : dsn_sources())
           if (!source.help.empty()) chain += (chain.empty() ? "" : ", else ") + std::string(source.help);
         return chain;
       },
       {}},
      {"database.table", "table", "NAME", "", "APP_TABLE",
       "the version table, NAME or SCHEMA.NAME (letters, digits, _; at most 63 each)",
       [](const settings& s) { return s.table; }, [](settings& s, const raw_value& v) { s.table = table_value(v); }},
      {"database.app_role", "app-role", "ROLE", "", "APP_ROLE",
       "SET ROLE for the application's own connection (migrations run as the connecting user); \"\" = none",
       [](const settings& s) { return show(s.app_role); },
       [](settings& s, const raw_value& v) { s.app_role = role_value(v); }},
      {"migrations.on_start", "no-migrate", "", "false", "APP_MIGRATE_ON_START",
       "migrate when the application starts (--no-migrate sets false)",
       [](const settings& s) { return show(s.migrate_on_start); },
       [](settings& s, const raw_value& v) { s.migrate_on_start = bool_value(v); }},
      {"migrations.modules_dir", "modules-dir", "DIR", "", "APP_MODULES_DIR",
       "read DIR/modules.yaml and DIR/<name>/migrations/*.sql instead of the modules compiled in (the embedded "
       "set); \"\" = embedded. Relative to the current directory",
       [](const settings& s) { return show(s.modules_dir); },
       [](settings& s, const raw_value& v) {
         s.modules_dir = v.text.empty() ? std::nullopt : std::optional<std::string>(v.text);
       }},
      {"migrations.digest_cache", "digest-cache", "DIR", "", "APP_DIGEST_CACHE",
       "where status and up keep the checksums of --modules-dir's files between runs, so that an unchanged "
       "file is not read again (a changed one has a new ctime and is), and each migrations/ folder's file names, so that "
       "a folder is not listed again while its mtime and ctime are unchanged (adding, removing or renaming a file sets "
       "them, as POSIX requires; on a file system that does not, say \"off\"); \"off\" = list and read every file "
       "every time",
       [](const settings& s) { return s.digest_cache ? *s.digest_cache : std::string("$XDG_CACHE_HOME/migrator"); },
       [](settings& s, const raw_value& v) {
         s.digest_cache = v.text.empty() ? std::nullopt : std::optional<std::string>(v.text);
       }},
      {"migrations.lock_timeout", "lock-timeout", "DURATION", "", "APP_LOCK_TIMEOUT",
       "how long to wait for the migration lock held by another runner, e.g. 30s, 5m, 1h30m; 0 = try once",
       [](const settings& s) { return format_duration(s.lock_timeout); },
       [](settings& s, const raw_value& v) { s.lock_timeout = duration_value(v); }},
      {"migrations.lock_lease", "lock-lease", "DURATION", "", "APP_LOCK_LEASE",
       "the table lease's length (--lock table): a runner that dies holding it is taken over this long after its "
       "last renewal; renewed every third of it (at most every 5s); 1s to 1h",
       [](const settings& s) { return format_duration(s.lock_lease); },
       [](settings& s, const raw_value& v) { s.lock_lease = lease_value(v); }},
      {"migrations.lock", "lock", "KIND", "", "APP_LOCK",
       "the migration lock: advisory (goose's session advisory lock), table (goose's lease row in goose_lock, "
       "renewed by a heartbeat; holds through a transaction pooler) or auto (advisory, or table when the "
       "connection goes through a transaction pooler)",
       [](const settings& s) { return std::string(spelling_of(s.lock, lock_mode_spellings)); },
       [](settings& s, const raw_value& v) { s.lock = enum_value(v, lock_mode_spellings); }},
      {"migrations.lock_id", "lock-id", "ID", "", "APP_LOCK_ID",
       "the id of the migration lock: the advisory lock's key and the lock_id of the goose_lock row; goose v3.26+ "
       "uses 4097083626 for both its locks, goose before v3.26 5887940537704921958 for its advisory lock",
       [](const settings& s) { return std::to_string(s.lock_id); },
       [](settings& s, const raw_value& v) { s.lock_id = lock_id_value(v); }},
      {"migrations.statement_timeout", "statement-timeout", "DURATION", "", "APP_STATEMENT_TIMEOUT",
       "PostgreSQL statement_timeout of migration sessions; 0 or none = none (the server's setting)",
       [](const settings& s) { return show(s.statement_timeout); },
       [](settings& s, const raw_value& v) { s.statement_timeout = optional_duration_value(v); }},
      {"migrations.db_lock_timeout", "db-lock-timeout", "DURATION", "", "APP_DB_LOCK_TIMEOUT",
       "PostgreSQL lock_timeout of migration sessions (how long one statement waits for a table lock); 0 or none = "
       "none",
       [](const settings& s) { return show(s.db_lock_timeout); },
       [](settings& s, const raw_value& v) { s.db_lock_timeout = optional_duration_value(v); }},
      {"migrations.db_lock_retries", "db-lock-retries", "N", "", "APP_DB_LOCK_RETRIES",
       "with --db-lock-timeout: how many times a migration that failed on a lock timeout (SQLSTATE 55P03) is tried "
       "again, after an exponential backoff with jitter, logging the sessions that held locks (0 to 1000); 0 = "
       "fail at once",
       [](const settings& s) { return std::to_string(s.db_lock_retries); },
       [](settings& s, const raw_value& v) { s.db_lock_retries = retries_value(v); }},
      {"migrations.db_lock_retry_for", "db-lock-retry-for", "DURATION", "", "APP_DB_LOCK_RETRY_FOR",
       "with --db-lock-timeout: no retry of a migration starts later than this after its first lock timeout",
       [](const settings& s) { return format_duration(s.db_lock_retry_for); },
       [](settings& s, const raw_value& v) { s.db_lock_retry_for = duration_value(v); }},
      {"migrations.single_transaction", "single-transaction", "", "true", "APP_SINGLE_TRANSACTION",
       "up, up-by-one, up-to: run every migration of the run in one transaction with its history rows, so a failure "
       "leaves nothing of the run; refused up front when a pending migration runs without a transaction "
       "(--single-transaction sets true)",
       [](const settings& s) { return show(s.single_transaction); },
       [](settings& s, const raw_value& v) { s.single_transaction = bool_value(v); }},
      {"migrations.allow_drift", "allow-drift", "", "true", "APP_ALLOW_DRIFT",
       "proceed although applied migrations differ from their files (--allow-drift sets true)",
       [](const settings& s) { return show(s.allow_drift); },
       [](settings& s, const raw_value& v) { s.allow_drift = bool_value(v); }},
      {"migrations.on_unknown", "on-unknown", "POLICY", "", "APP_ON_UNKNOWN",
       "at application start, versions in the database that this build does not know (applied by a newer "
       "build during a rolling deploy): warn = start when every known migration is applied and unmodified, "
       "with one warning naming them; refuse = do not start (exit 6)",
       [](const settings& s) { return std::string(spelling_of(s.on_unknown, unknown_versions_spellings)); },
       [](settings& s, const raw_value& v) { s.on_unknown = enum_value(v, unknown_versions_spellings); }},
      {"migrations.wait_for_builds", "wait-for-builds", "DURATION", "", "APP_WAIT_FOR_BUILDS",
       "up: when a contract migration waits for older builds that still run (docs/rolling-deploys.md), wait up "
       "to this long for them to stop, then apply it; 0 = defer it at once (for a post-deploy job: e.g. 30m)",
       [](const settings& s) { return format_duration(s.wait_for_builds); },
       [](settings& s, const raw_value& v) { s.wait_for_builds = duration_value(v); }},
      {"startup.build_lease", "build-lease", "DURATION", "", "APP_BUILD_LEASE",
       "at application start, how long this build's entry in the build registry outlives its last heartbeat: "
       "contract migrations wait this long for a build that was killed; renewed every third of it; 1s to 1h",
       [](const settings& s) { return format_duration(s.build_lease); },
       [](settings& s, const raw_value& v) { s.build_lease = lease_value(v); }},
      {"startup.wait_timeout", "wait-timeout", "DURATION", "", "APP_WAIT_TIMEOUT",
       "at application start, how long to wait for the database to accept connections",
       [](const settings& s) { return format_duration(s.wait_timeout); },
       [](settings& s, const raw_value& v) { s.wait_timeout = duration_value(v); }},
      {"log.level", "log-level", "LEVEL", "", "APP_LOG_LEVEL", "trace, debug, info, warn (or warning), error, off",
       [](const settings& s) { return std::string(spelling_of(s.log_level, log_level_spellings)); },
       [](settings& s, const raw_value& v) {
         raw_value level = v;
         if (lowercase(level.text) == "warning") level.text = "warn";  // spdlog's name for it
         s.log_level = enum_value(level, log_level_spellings);
       }},
      {"log.format", "log-format", "FORMAT", "", "APP_LOG_FORMAT",
       "text (human-readable) or json (one object per line)",
       [](const settings& s) { return std::string(spelling_of(s.log_format, log_format_spellings)); },
       [](settings& s, const raw_value& v) { s.log_format = enum_value(v, log_format_spellings); }},
      {"fleet.targets", "targets", "FILE", "", "APP_TARGETS",
       "run over the databases of the fleet file FILE (docs/fleet.md) instead of one DSN; \"\" = none",
       [](const settings& s) { return show(s.targets); },
       [](settings& s, const raw_value& v) {
         s.targets = v.text.empty() ? std::nullopt : std::optional<std::string>(v.text);
       }},
      {"fleet.jobs", "jobs", "N", "", "APP_JOBS",
       "fleet: how many targets run at the same time (1 to 256); 1 = one at a time in file order",
       [](const settings& s) { return std::to_string(s.jobs); },
       [](settings& s, const raw_value& v) { s.jobs = jobs_value(v); }},
      {"fleet.connect_timeout", "connect-timeout", "DURATION", "", "APP_CONNECT_TIMEOUT",
       "fleet: libpq connect_timeout of each target that sets none, so a server that is down fails its targets "
       "quickly (at least 1s)",
       [](const settings& s) { return format_duration(s.connect_timeout); },
       [](settings& s, const raw_value& v) {
         s.connect_timeout = duration_value(v);
         if (s.connect_timeout.count() < 1000)
           fail(v.origin + ": the connect timeout must be at least 1s (libpq counts whole seconds)");
       }},
      {"", "config", "FILE", "", "APP_CONFIG", "the configuration file",
       [](const settings&) { return std::string(default_config_file) + " when it exists"; }, {}},
  };
  add_lint_rules(table);
  return table;
}

config_schema schema_of(const std::vector<setting_spec>& table) {
  config_schema schema;
  for (const setting_spec& spec : table) {
    if (spec.file_key.empty()) continue;
    const std::size_t dot = spec.file_key.find('.');
    const std::string section(spec.file_key.substr(0, dot)), key(spec.file_key.substr(dot + 1));
    auto it = std::find_if(schema.sections.begin(), schema.sections.end(),
                           [&](const auto& s) { return s.first == section; });
    if (it == schema.sections.end()) it = schema.sections.insert(schema.sections.end(), {section, {}});
    it->second.push_back(key);
  }
  return schema;
}

// VAR= counts as unset, as in scripts/run.
std::optional<std::string> env_value(const migrator::env_lookup& env, const std::string& name) {
  std::optional<std::string> v = env(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

std::optional<raw_value> file_value(const config_file& file, const std::string& key) {
  auto it = file.values.find(key);
  if (it == file.values.end()) return std::nullopt;
  return raw_value{it->second.text, where(file.path, it->second.line) + ": " + key};
}

std::optional<config_file> load_config_file(const settings_flags& flags, const migrator::env_lookup& env,
                                            const file_lookup& read_file) {
  std::string path = default_config_file, origin;
  if (auto it = flags.find("config"); it != flags.end()) {
    path = it->second, origin = "--config";
  } else if (auto v = env_value(env, "APP_CONFIG")) {
    path = *v, origin = "APP_CONFIG";
  }
  if (path.empty()) fail(origin + ": empty file name");
  std::optional<std::string> text = read_file(path);
  if (!text) {
    if (origin.empty()) return std::nullopt;  // the default file is optional
    fail(origin + ": " + path + ": no such file");
  }
  return parse_config_file(*text, path, schema_of(setting_table()));
}

std::vector<dsn_source_spec> make_dsn_sources() {
  return {
      {"--dsn", false, "", "`--dsn`",
       [](const dsn_inputs& in) -> std::optional<raw_value> {
         auto it = in.flags.find("dsn");
         if (it == in.flags.end()) return std::nullopt;
         return raw_value{it->second, "--dsn"};
       }},
      {"MIGRATE_DSN", false, "$MIGRATE_DSN", "`MIGRATE_DSN` (a DSN for migrations only, e.g. a more privileged user)",
       [](const dsn_inputs& in) -> std::optional<raw_value> {
         auto v = env_value(in.env, "MIGRATE_DSN");
         if (!v) return std::nullopt;
         return raw_value{*v, "MIGRATE_DSN"};
       }},
      {"DATABASE_URL", false, "$DATABASE_URL", "`DATABASE_URL`",
       [](const dsn_inputs& in) -> std::optional<raw_value> {
         auto v = env_value(in.env, "DATABASE_URL");
         if (!v) return std::nullopt;
         return raw_value{*v, "DATABASE_URL"};
       }},
      {"database.url", true, "database.url of the config file", "`database.url` in the configuration file",
       [](const dsn_inputs& in) -> std::optional<raw_value> {
         std::optional<raw_value> v = in.file ? file_value(*in.file, "database.url") : std::nullopt;
         if (!v || v->text.empty()) return std::nullopt;
         return v;
       }},
      {"local development database (.local/db)", false, "the local development database .local/db",
       "the local development database that `scripts/run` starts: the file\n"
       "`.local/db/dsn` relative to the current directory, when it exists",
       [](const dsn_inputs& in) -> std::optional<raw_value> {
         std::optional<std::string> text = in.read_file(local_database_dsn_file);
         if (!text || text->find_first_not_of(" \t\r\n") == std::string::npos) return std::nullopt;
         return raw_value{*text, local_database_dsn_file};
       }},
      {"libpq defaults (PG* variables)", false, "libpq's PG* variables",
       "nothing: libpq's defaults, i.e. the `PG*` environment variables\n"
       "(`PGHOST`, `PGUSER`, `PGPASSWORD`, `PGSERVICE`, ...), `~/.pg_service.conf`\n"
       "and `~/.pgpass`. Nothing is injected, so these keep working.",
       {}},
  };
}

void resolve_dsn(settings& s, const dsn_inputs& in) {
  for (const dsn_source_spec& source : dsn_sources()) {
    std::optional<raw_value> chosen = source.read ? source.read(in) : std::nullopt;
    if (source.read && !chosen) continue;
    s.dsn_source = source.in_config_file ? *s.config_file + ": " + std::string(source.name) : std::string(source.name);
    if (!chosen) {  // libpq's defaults: no DSN at all
      s.dsn.clear();
      return;
    }
    try {
      s.dsn = migrator::normalize_dsn(chosen->text);
      migrator::check_dsn(s.dsn);
    } catch (const migrator::error& e) {
      fail(chosen->origin + ": " + e.what());
    }
    return;
  }
}

// "`A`, then `B`" from "A, B".
std::string markdown_env(std::string_view env) {
  if (env.empty()) return "—";
  std::string out;
  std::size_t start = 0;
  while (start <= env.size()) {
    std::size_t comma = env.find(", ", start);
    std::string_view name = env.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    out += (out.empty() ? "`" : ", then `") + std::string(name) + "`";
    if (comma == std::string_view::npos) break;
    start = comma + 2;
  }
  return out;
}

}  // namespace

const std::vector<setting_spec>& setting_table() {
  static const std::vector<setting_spec> table = make_table();
  return table;
}

const std::vector<dsn_source_spec>& dsn_sources() {
  static const std::vector<dsn_source_spec> sources = make_dsn_sources();
  return sources;
}

settings resolve_settings(const settings_flags& flags, const migrator::env_lookup& env, const file_lookup& read_file) {
  const std::optional<config_file> file = load_config_file(flags, env, read_file);
  settings s;
  if (file) s.config_file = file->path;
  resolve_dsn(s, dsn_inputs{flags, env, file ? &*file : nullptr, read_file});
  for (const setting_spec& spec : setting_table()) {
    if (!spec.read) continue;
    const std::string flag(spec.flag);
    std::optional<raw_value> chosen;  // flag > environment > file
    if (auto it = flag.empty() ? flags.end() : flags.find(flag); it != flags.end())
      chosen = raw_value{spec.value_name.empty() ? std::string(spec.switch_sets) : it->second, "--" + flag};
    else if (auto v = spec.env.empty() ? std::nullopt : env_value(env, std::string(spec.env)))
      chosen = raw_value{*v, std::string(spec.env)};
    else if (file && !spec.file_key.empty())
      chosen = file_value(*file, std::string(spec.file_key));
    if (chosen) spec.read(s, *chosen);
  }
  return s;
}

std::string settings_markdown_table() {
  std::string out = "| File key | Flag | Environment | Default | Meaning |\n|---|---|---|---|---|\n";
  const settings defaults;
  for (const setting_spec& spec : setting_table()) {
    const std::string key = spec.file_key.empty() ? "—" : "`" + std::string(spec.file_key) + "`";
    std::string flag = spec.flag.empty() ? "—"
                       : "`--" + std::string(spec.flag) +
                             (spec.value_name.empty() ? "`" : " " + std::string(spec.value_name) + "`");
    if (spec.value_name.empty()) flag += " (sets " + std::string(spec.switch_sets) + ")";
    const std::string shown = spec.show(defaults);
    const std::string fallback = spec.flag == "dsn" ? "see [The DSN](#the-dsn)"
                                 : shown == "none" || shown.find(' ') != std::string::npos ? shown
                                                                                           : "`" + shown + "`";
    out += "| " + key + " | " + flag + " | " + markdown_env(spec.env) + " | " + fallback + " | " +
           std::string(spec.help) + " |\n";
  }
  return out;
}

std::string dsn_sources_markdown_list() {
  std::string out;
  int number = 0;
  for (const dsn_source_spec& source : dsn_sources()) {
    std::string item = std::to_string(++number) + ". ";
    for (char c : source.doc) item += c == '\n' ? std::string("\n   ") : std::string(1, c);
    out += item + "\n";
  }
  return out;
}

}  // namespace app
