// Parser throughput on a ~100 MB migration generated in memory: INSERT lines
// (some with strings spanning lines), comments, and StatementBegin blocks with
// $$ bodies. Reports bytes/s; the target is >= 100 MB/s in a Release build.
#include <benchmark/benchmark.h>

#include <string>

#include "migrator/parser.h"

namespace {

std::string make_migration(std::size_t target_bytes, const char* eol) {
  std::string s;
  s.reserve(target_bytes + 4096);
  const auto line = [&](const std::string& text) { s.append(text).append(eol); };
  line("-- +goose Up");
  line("CREATE TABLE events (id bigint PRIMARY KEY, name text NOT NULL, payload jsonb, note text);");
  for (std::size_t n = 0; s.size() < target_bytes; ++n) {
    const std::string id = std::to_string(n);
    switch (n % 16) {
      case 0:
        line("");
        line("-- batch " + id + ": events imported from the legacy system; keep the ids");
        break;
      case 5:  // a string over several lines, with ';' inside
        line("INSERT INTO events (id, name, note) VALUES (" + id + ", 'multi', 'first line;");
        line("second line; with -- no comment");
        line("last line');");
        continue;
      case 9:
        line("-- +goose StatementBegin");
        line("CREATE OR REPLACE FUNCTION touch_" + id + "() RETURNS trigger AS $$");
        line("BEGIN");
        line("  -- keep updated_at current");
        line("  NEW.updated_at := now();  -- on every write");
        line("  IF NEW.name = '' THEN RAISE EXCEPTION 'empty name for %', NEW.id; END IF;");
        line("  RETURN NEW;");
        line("END;");
        line("$$ LANGUAGE plpgsql;");
        line("-- +goose StatementEnd");
        continue;
      case 13:
        line("UPDATE events SET note = E'it\\'s done; really' WHERE id = " + id + ";  -- fix up");
        continue;
      default:
        break;
    }
    line("INSERT INTO events (id, name, payload) VALUES (" + id + ", 'event " + id +
         "', '{\"kind\": \"click\", \"path\": \"/a;b\"}');");
  }
  line("");
  line("-- +goose Down");
  line("DROP TABLE events;");
  return s;
}

const std::string& migration_lf() {
  static const std::string text = make_migration(100u << 20, "\n");
  return text;
}

const std::string& migration_crlf() {
  static const std::string text = make_migration(100u << 20, "\r\n");
  return text;
}

const migrator::env_lookup no_env = [](const std::string&) { return std::optional<std::string>(); };

void parse(benchmark::State& state, const std::string& text) {
  std::size_t statements = 0;
  for (auto _ : state) {
    const auto body = migrator::parse_migration(text, "bench.sql", no_env);
    statements = body.up.size() + body.down.size();
    benchmark::DoNotOptimize(body);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["MB"] = static_cast<double>(text.size()) / 1e6;
  state.counters["statements"] = static_cast<double>(statements);
}

void BM_parse_migration_lf(benchmark::State& state) { parse(state, migration_lf()); }
void BM_parse_migration_crlf(benchmark::State& state) { parse(state, migration_crlf()); }

void BM_migration_checksum(benchmark::State& state) {
  const std::string& text = migration_crlf();
  for (auto _ : state) benchmark::DoNotOptimize(migrator::migration_checksum(text));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

BENCHMARK(BM_parse_migration_lf)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_parse_migration_crlf)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_migration_checksum)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
