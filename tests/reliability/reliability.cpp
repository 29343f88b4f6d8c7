#include "reliability.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace reliability {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool long_mode() {
  const char* v = std::getenv("RELIABILITY_LONG");
  return v && *v && std::string(v) != "0";
}

unsigned seed_or(unsigned fixed) {
  const char* v = std::getenv("RELIABILITY_SEED");
  return v && *v ? static_cast<unsigned>(std::stoul(v)) : fixed;
}

int count_from_env(const char* name, int fallback, int minimum) {
  const char* v = std::getenv(name);
  if (!v) return fallback;
  const std::string text(v);
  const bool digits = !text.empty() && text.size() <= 6 &&
                      std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
  const int n = digits ? std::stoi(text) : 0;
  if (n < minimum)
    throw std::invalid_argument(std::string(name) + "='" + text + "': expected a whole number of at least " +
                                std::to_string(minimum));
  return n;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// ---- DSNs -------------------------------------------------------------------

std::string dsn_field(const std::string& dsn, const std::string& key) {
  std::istringstream words(dsn);
  std::string word;
  while (words >> word)
    if (word.rfind(key + "=", 0) == 0) return word.substr(key.size() + 1);
  return "";
}

void ensure_secret_role(const std::string& admin_dsn) {
  static std::set<std::string> done;
  if (done.count(admin_dsn)) return;
  // Roles are per server and tests run in parallel: creating it twice is fine.
  exec(admin_dsn, std::string("DO $$ BEGIN CREATE ROLE ") + secret_role + " LOGIN SUPERUSER PASSWORD '" + secret +
                      "'; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
  done.insert(admin_dsn);
}

std::string secret_dsn(const std::string& plain_dsn, int form) {
  const std::string port = dsn_field(plain_dsn, "port"), db = dsn_field(plain_dsn, "dbname");
  if (form % 2 == 0)
    return "host=127.0.0.1 port=" + port + " user=" + secret_role + " password=" + secret + " dbname=" + db;
  std::string encoded;
  for (char c : std::string(secret)) encoded += c == '@' ? std::string("%40") : std::string(1, c);
  return std::string("postgresql://") + secret_role + ":" + encoded + "@127.0.0.1:" + port + "/" + db;
}

// ---- the CLI ----------------------------------------------------------------

namespace {

cli_stats stats;

// Which test ran (each ctest process runs one) and how much of the tool's
// output it scanned: printed as a figure when the program ends.
class scan_reporter : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo& info) override {
    test_ = std::string(info.test_suite_name()) + "." + info.name();
  }
  void OnTestProgramEnd(const ::testing::UnitTest&) override {
    if (stats.invocations == 0) return;
    report("secrets_scan", {{"test", test_},
                            {"invocations", std::to_string(stats.invocations)},
                            {"with_password", std::to_string(stats.with_password)},
                            {"bytes", std::to_string(stats.bytes)}});
  }
  std::string test_;
};

const bool reporter_installed = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new scan_reporter);
  return true;
}();

}  // namespace

const cli_stats& scanned() { return stats; }

std::string leaked_secret(const std::string& text) {
  // "S3cr3t" covers the raw password and its percent-encoded form; the tail
  // covers a password cut at its first character.
  for (const char* needle : {"S3cr3t", "s3cr3t", "p%40ss", "p@ss"})
    if (text.find(needle) != std::string::npos) return needle;
  return "";
}

std::string sanitizer_report(const std::string& text) {
  for (const char* needle : {"AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer", "runtime error:"})
    if (text.find(needle) != std::string::npos) return needle;
  return "";
}

void scan(const run_result& r, const std::string& what) {
  ++stats.invocations;
  if (!leaked_secret(r.invocation).empty()) ++stats.with_password;
  stats.bytes += r.out.size() + r.err.size();
  for (const auto* stream : {&r.out, &r.err}) {
    if (auto needle = leaked_secret(*stream); !needle.empty())
      ADD_FAILURE() << "the password leaked (" << needle << ") in the output of " << what << ":\n" << *stream;
    if (auto needle = sanitizer_report(*stream); !needle.empty())
      ADD_FAILURE() << "sanitizer report (" << needle << ") in the output of " << what << ":\n" << *stream;
  }
  (void)reporter_installed;
}

run_result cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  auto r = testing_support::run_app_process(args, env);
  std::string what = "app";
  for (const auto& a : args) what += " " + a;
  scan(r, what);
  return r;
}

run_result migrate(const std::string& dsn, const std::string& modules_dir, const std::vector<std::string>& args) {
  std::vector<std::string> full{"migrate"};
  full.insert(full.end(), args.begin(), args.end());
  full.insert(full.end(), {"--dsn", dsn, "--modules-dir", modules_dir});
  return cli(full);
}

run_result cli_unprivileged(const std::vector<std::string>& args) {
  if (geteuid() != 0) return cli(args);
  temp_dir io;
  const std::string out = (io.path() / "out").string(), err = (io.path() / "err").string();
  std::vector<std::string> storage{MIGRATOR_APP_BINARY};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(120);
    if (chdir("/") != 0 || setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(121);
    execv(argv[0], argv.data());
    _exit(122);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  run_result r;
  for (const auto& a : args) r.invocation += (r.invocation.empty() ? "" : " ") + a;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = testing_support::read_file(out);
  r.err = testing_support::read_file(err);
  std::string what = "app (as nobody)";
  for (const auto& a : args) what += " " + a;
  scan(r, what);
  return r;
}

bool logged_applied(const std::string& err, const std::string& module, std::int64_t version) {
  const std::regex line("applied +" + module + " " + std::to_string(version) + " ");
  return std::regex_search(err, line);
}

bool wait_for_applied(const testing_support::app_process& p, const std::string& module, std::int64_t version,
                      std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    if (logged_applied(p.err_so_far(), module, version)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return logged_applied(p.err_so_far(), module, version);
}

run_result wait_at_most(testing_support::app_process& p, std::chrono::milliseconds limit) {
  auto done = std::async(std::launch::async, [&p] { return p.wait(); });
  if (done.wait_for(limit) == std::future_status::ready) return done.get();
  p.signal(SIGKILL);
  auto r = done.get();
  r.code = -1;
  return r;
}

// ---- the database -------------------------------------------------------------

std::vector<std::vector<std::string>> rows(const std::string& dsn, const std::string& sql) {
  pqxx::connection c(dsn);
  pqxx::nontransaction tx(c);
  std::vector<std::vector<std::string>> out;
  for (const auto& row : tx.exec(sql)) {
    std::vector<std::string> r;
    for (const auto& f : row) r.push_back(f.is_null() ? "" : f.c_str());
    out.push_back(std::move(r));
  }
  return out;
}

std::string value(const std::string& dsn, const std::string& sql) {
  auto r = rows(dsn, sql);
  if (r.size() != 1 || r[0].size() != 1) throw std::runtime_error("expected one value from: " + sql);
  return r[0][0];
}

void exec(const std::string& dsn, const std::string& sql) {
  pqxx::connection c(dsn);
  pqxx::nontransaction tx(c);
  tx.exec(sql);
}

std::string schema_dump(const std::string& dsn) {
  const char* bindir = std::getenv("PG_BINDIR");
  std::string command = std::string(bindir ? bindir : "/usr/lib/postgresql/15/bin") +
                        "/pg_dump --schema-only --no-owner --no-privileges -d '" + dsn + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run pg_dump");
  std::string text;
  char buffer[8192];
  std::size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
  if (pclose(pipe) != 0) throw std::runtime_error("pg_dump failed: " + text);
  // pg_dump 15.14+ brackets the dump with \restrict KEY / \unrestrict KEY, a random key per run.
  std::istringstream lines(text);
  std::string line, kept;
  while (std::getline(lines, line))
    if (line.rfind("\\restrict ", 0) != 0 && line.rfind("\\unrestrict ", 0) != 0) kept += line + "\n";
  return kept;
}

std::string first_difference(const std::string& a, const std::string& b) {
  if (a == b) return "";
  std::istringstream x(a), y(b);
  std::string l, r;
  std::vector<std::string> context;
  for (int n = 1;; ++n) {
    const bool more_l = static_cast<bool>(std::getline(x, l)), more_r = static_cast<bool>(std::getline(y, r));
    if (!more_l && !more_r) return "(they differ only in line endings)";
    if (!more_l || !more_r || l != r) {
      std::string out = "first difference at line " + std::to_string(n) + ":\n";
      for (const auto& c : context) out += "    " + c + "\n";
      out += "  - " + (more_l ? l : std::string("<end>")) + "\n  + " + (more_r ? r : std::string("<end>")) + "\n";
      for (int i = 0; i < 3 && std::getline(x, l); ++i) out += "  - " + l + "\n";
      for (int i = 0; i < 3 && std::getline(y, r); ++i) out += "  + " + r + "\n";
      return out;
    }
    context.push_back(l);
    if (context.size() > 4) context.erase(context.begin());
  }
}

std::string history(const std::string& dsn) {
  if (value(dsn, "SELECT to_regclass('goose_db_version') IS NULL") == "t") return "";
  std::string out;
  for (const auto& r : rows(dsn, "SELECT version_id, is_applied FROM goose_db_version ORDER BY version_id, id"))
    out += "goose " + r[0] + " " + r[1] + "\n";
  if (value(dsn, "SELECT to_regclass('goose_db_version_meta') IS NULL") == "t") return out;
  for (const auto& r : rows(dsn,
                            "SELECT version_id, module, name, checksum, state, statements_done, statements_total "
                            "FROM goose_db_version_meta ORDER BY version_id")) {
    out += "meta";
    for (const auto& f : r) out += " " + f;
    out += "\n";
  }
  return out;
}

std::map<std::int64_t, int> applied_counts(const std::string& dsn) {
  std::map<std::int64_t, int> counts;
  if (value(dsn, "SELECT to_regclass('goose_db_version') IS NULL") == "t") return counts;
  for (const auto& r : rows(dsn, "SELECT version_id, count(*) FROM goose_db_version WHERE version_id > 0 AND "
                                 "is_applied GROUP BY version_id"))
    counts[std::stoll(r[0])] = std::stoi(r[1]);
  return counts;
}

bool wait_for_orphans(const std::string& dsn, std::chrono::milliseconds limit) {
  const std::string others =
      "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
      "AND backend_type = 'client backend'";
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    if (value(dsn, "SELECT count(*) " + others) == "0") return true;
    std::this_thread::sleep_for(20ms);
  }
  exec(dsn, "SELECT pg_terminate_backend(pid) " + others);
  return false;
}

std::string create_database(const std::string& admin_dsn, const std::string& name) {
  exec(admin_dsn, "CREATE DATABASE " + name);
  auto pos = admin_dsn.find("dbname=");
  return admin_dsn.substr(0, pos) + "dbname=" + name;
}

// ---- a generated module set -------------------------------------------------

namespace {

std::string padded(std::int64_t version) {
  std::string s = std::to_string(version);
  return std::string(s.size() < 5 ? 5 - s.size() : 0, '0') + s;
}

std::string seconds_text(double s) {
  std::ostringstream o;
  o << s;
  return o.str();
}

}  // namespace

generated_set write_generated_set(const temp_dir& dir, const generated_options& o) {
  generated_set g;
  std::string manifest = "# generated by the reliability suite\nmodules:\n";
  std::string previous_module_first;  // "schema.table" of the previous module's first table
  for (int m = 1; m <= o.modules; ++m) {
    const std::string module = "g" + std::to_string(m);
    manifest += "  - name: " + module + "\n";
    fs::create_directories(dir.path() / module / "migrations");
    std::string previous_table;
    for (int i = 1; i <= o.per_module; ++i) {
      const std::int64_t v = m * 1000 + i;
      const std::string vs = std::to_string(v);
      std::string up, down;
      std::string text;
      g.versions.push_back(v);
      g.schema_of[v] = module;
      if (o.no_transaction_every > 1 && i % o.no_transaction_every == 0) {
        const std::string a = "i" + vs + "_a", b = "i" + vs + "_b";
        g.no_transaction.insert(v);
        g.indexes_of[v] = {a, b};
        text = "-- +goose NO TRANSACTION\n-- +goose Up\n"
               "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + a + " ON " + previous_table + " (note);\n"
               "SELECT pg_sleep(" + seconds_text(o.no_tx_sleep_s) + ") AS v" + vs + "_paused;\n"
               "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + b + " ON " + previous_table + " (id, note);\n"
               "-- +goose Down\n"
               "DROP INDEX CONCURRENTLY IF EXISTS " + module + "." + b + ";\n"
               "DROP INDEX CONCURRENTLY IF EXISTS " + module + "." + a + ";\n";
      } else {
        const std::string table = module + ".t" + vs;
        g.table_of[v] = table;
        if (i == 1) up += "CREATE SCHEMA " + module + ";\n";
        up += "CREATE TABLE " + table + " (id int PRIMARY KEY, prev int);\n"
              "ALTER TABLE " + table + " ADD COLUMN note int NOT NULL DEFAULT " + vs + ";\n";
        // With a deferred trigger the row comes last: a table with pending trigger events cannot be altered.
        std::string insert;
        const bool slow_commit = o.slow_commit_every > 0 && i % o.slow_commit_every == o.slow_commit_every / 2;
        if (slow_commit) {
          g.slow_commit.insert(v);
          insert += "-- +goose StatementBegin\n"
                "CREATE FUNCTION " + module + ".c" + vs + "() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                "BEGIN\n"
                // Shows in pg_locks while this COMMIT sleeps: a test can aim at it even
                // when the migration travels in one request with others.
                "  PERFORM pg_advisory_xact_lock_shared(" + std::to_string(slow_commit_lock_class) + ", " + vs + ");\n"
                "  PERFORM pg_sleep(" + seconds_text(o.slow_commit_s) + ");\n"
                "  RETURN NULL;\n"
                "END;\n"
                "$$;\n"
                "-- +goose StatementEnd\n"
                "CREATE CONSTRAINT TRIGGER c" + vs + " AFTER INSERT ON " + table +
                " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " + module + ".c" + vs + "();\n";
        }
        insert += "INSERT INTO " + table + " (id) VALUES (" + vs + ");\n";
        if (!slow_commit) up += insert, insert.clear();
        const std::string referenced = i == 1 ? previous_module_first : previous_table;
        if (!referenced.empty() && (i == 1 || i % 7 == 3)) {
          g.with_foreign_key.insert(v);
          up += "ALTER TABLE " + table + " ADD CONSTRAINT t" + vs + "_prev FOREIGN KEY (prev) REFERENCES " +
                referenced + " (id);\n";
        }
        if (i % 11 == 5) g.with_function.insert(v);
        if (i % 11 == 5)
          up += "-- +goose StatementBegin\n"
                "CREATE FUNCTION " + module + ".f" + vs + "() RETURNS bigint LANGUAGE plpgsql AS $$\n"
                "BEGIN\n"
                "  RETURN (SELECT count(*) FROM " + table + ");\n"
                "END;\n"
                "$$;\n"
                "-- +goose StatementEnd\n";
        up += insert;
        if (o.sleep_s > 0) up += "SELECT pg_sleep(" + seconds_text(o.sleep_s) + ");\n";
        down = (i % 11 == 5 ? "DROP FUNCTION " + module + ".f" + vs + "();\n" : std::string()) + "DROP TABLE " +
               table + ";\n" + (slow_commit ? "DROP FUNCTION " + module + ".c" + vs + "();\n" : std::string()) +
               (i == 1 ? "DROP SCHEMA " + module + ";\n" : std::string());
        text = "-- +goose Up\n" + up + "-- +goose Down\n" + down;
        previous_table = table;
        if (i == 1) previous_module_first = table;
      }
      dir.write(module + "/migrations/" + padded(v) + "_m" + vs + ".sql", text);
    }
  }
  dir.write("modules.yaml", manifest);
  return g;
}

repair_done repair_like_a_human(const std::string& plain, const std::string& secret, const std::string& dir) {
  repair_done done;
  auto status = migrate(secret, dir, {"status", "--json"});
  EXPECT_EQ(status.code, 0) << status.err;
  if (status.code != 0) return done;
  int statements_done = 0, statements_total = 0;
  const auto parsed = nlohmann::json::parse(status.out);  // range-for over a temporary's member dangles
  for (const auto& m : parsed["migrations"]) {
    if (m["state"] != "dirty") continue;
    EXPECT_FALSE(done.dirty) << "more than one dirty version";
    done.dirty = m["version"].get<std::int64_t>();
    statements_done = m.value("statements_done", 0);
    statements_total = m.value("statements_total", 0);
  }
  if (!done.dirty) return done;
  const std::string v = std::to_string(*done.dirty);
  auto refused = migrate(secret, dir, {"up"});
  // A version dirty at a concurrent index build (its earlier statements done) is
  // one `up` resumes by itself: the failed build's invalid index dropped, the
  // build run again. Every other dirty version is refused for a person.
  if (refused.code == 0 && refused.err.find("resuming there") != std::string::npos) {
    EXPECT_NE(refused.err.find("migration " + std::to_string(*done.dirty)), std::string::npos) << refused.err;
    EXPECT_LT(statements_done, statements_total) << refused.err;
    done.resumed_by_up = true;
    return done;
  }
  EXPECT_EQ(refused.code, 4) << refused.err;
  EXPECT_NE(refused.err.find("dirty"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find(v), std::string::npos) << refused.err;
  if (statements_done == statements_total) {
    auto fixed = migrate(secret, dir, {"repair", v, "--mark-applied"});
    EXPECT_EQ(fixed.code, 0) << fixed.err;
    done.marked_applied = true;
    return done;
  }
  for (const auto& r : rows(plain, "SELECT n.nspname, c.relname FROM pg_index i JOIN pg_class c ON c.oid = "
                                   "i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid")) {
    exec(plain, "DROP INDEX \"" + r[0] + "\".\"" + r[1] + "\"");
    ++done.invalid_indexes_dropped;
  }
  auto fixed = migrate(secret, dir, {"repair", v, "--mark-rolled-back"});
  EXPECT_EQ(fixed.code, 0) << fixed.err;
  return done;
}

std::string example_modules_dir() { return std::string(MIGRATOR_SOURCE_DIR) + "/modules"; }

// ---- figures ------------------------------------------------------------------

void report(const std::string& topic, const std::vector<std::pair<std::string, std::string>>& figures) {
  std::string line = "RELIABILITY " + topic;
  for (const auto& [k, v] : figures) line += " " + k + "=" + v;
  std::cout << line << std::endl;
  if (const char* file = std::getenv("RELIABILITY_FIGURES"); file && *file) {
    std::ofstream f(file, std::ios::app);
    f << line << '\n';
  }
}

}  // namespace reliability
