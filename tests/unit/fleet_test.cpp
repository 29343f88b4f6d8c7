// The pure parts of a fleet: the file, its references, expansions (given the
// rows a query returned), selection, shards and canary order. No database.
#include "migrator/fleet.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "migrator/error.h"

namespace {

using migrator::fleet_target;
using testing::HasSubstr;

const std::map<std::string, std::string> environment = {
    {"IAM_DSN", "postgresql://iam:s3cret-pw@db1/iam"},
    {"CAL_DSN", "host=db2 dbname=calendar user=cal password=hunter2"},
    {"CONTROL_DSN", "host=ctl dbname=control user=ops password=ctl-pw"},
    {"TENANT_TEMPLATE", "host=db3 dbname={database} user=tenant password=tpw"},
    {"EMPTY", ""},
};

migrator::env_lookup env() {
  return [](const std::string& name) -> std::optional<std::string> {
    auto it = environment.find(name);
    if (it == environment.end()) return std::nullopt;
    return it->second;
  };
}

bool dir_exists(const std::string& path) {
  static const std::set<std::string> dirs = {"deploy/migrations/iam", "deploy/migrations/calendar", "/abs/rag"};
  return dirs.count(path) > 0;
}

migrator::fleet_file parse(const std::string& text) {
  return migrator::parse_fleet_file(text, "deploy/fleet.yaml", env(), dir_exists);
}

std::string parse_error(const std::string& text) {
  try {
    parse(text);
  } catch (const migrator::error& e) {
    EXPECT_EQ(e.code(), migrator::error_code::config);
    return e.what();
  }
  return "(no error)";
}

TEST(fleet_file, plain_entries_in_file_order_with_references_resolved) {
  const auto file = parse(
      "targets:\n"
      "  - name: iam\n"
      "    dsn_env: IAM_DSN\n"
      "    modules: migrations/iam\n"
      "    group: canary\n"
      "  - name: calendar\n"
      "    dsn_env: CAL_DSN\n"
      "    modules: migrations/calendar\n"
      "  - name: rag\n"
      "    dsn: postgresql://rag@db1/rag\n"
      "    modules: /abs/rag\n"
      "  - name: default-set\n"
      "    dsn: host=db4 dbname=x\n");
  const auto targets = migrator::plain_targets(file);
  ASSERT_EQ(targets.size(), 4u);
  EXPECT_EQ(targets[0].name, "iam");
  EXPECT_EQ(targets[0].dsn, "postgresql://iam:s3cret-pw@db1/iam");
  EXPECT_EQ(targets[0].modules_dir, "deploy/migrations/iam");
  EXPECT_EQ(targets[0].group, "canary");
  EXPECT_EQ(targets[0].origin, "deploy/fleet.yaml:2");
  EXPECT_EQ(targets[1].dsn, "host=db2 dbname=calendar user=cal password=hunter2");
  EXPECT_EQ(targets[2].modules_dir, "/abs/rag");
  EXPECT_EQ(targets[3].modules_dir, std::nullopt);
  EXPECT_EQ(targets[3].group, "");
}

TEST(fleet_file, errors_say_where) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"targets:\n  - name: a\n    dsn: host=x\n    modles: m\n",
       "deploy/fleet.yaml:4: unknown key 'modles' in a target (did you mean 'modules'?)"},
      {"targets:\n  - name: a\n    dsn: host=x\n    colour: red\n",
       "deploy/fleet.yaml:4: unknown key 'colour' in a target (known: name, dsn, dsn_env, expand, modules, group)"},
      {"target:\n  - name: a\n", "deploy/fleet.yaml:1: unknown key 'target' in the fleet file (did you mean 'targets'?)"},
      {"targets:\n  - name: a\n    dsn: host=x\n  - name: a\n    dsn: host=y\n",
       "deploy/fleet.yaml:4: duplicate target name 'a' (first at line 2)"},
      {"targets:\n  - name: a\n    dsn_env: NOPE_DSN\n", "deploy/fleet.yaml:3: 'dsn_env' names NOPE_DSN, which is not set"},
      {"targets:\n  - name: a\n    dsn_env: EMPTY\n", "deploy/fleet.yaml:3: 'dsn_env' names EMPTY, which is not set"},
      {"targets:\n  - name: a\n    dsn: host=x\n    modules: migrations/nope\n",
       "deploy/fleet.yaml:4: modules directory 'deploy/migrations/nope' does not exist"},
      {"targets:\n  - name: a\n", "deploy/fleet.yaml:2: target 'a' needs exactly one of dsn, dsn_env and expand"},
      {"targets:\n  - name: a\n    dsn: host=x\n    dsn_env: IAM_DSN\n",
       "deploy/fleet.yaml:2: target 'a' needs exactly one of dsn, dsn_env and expand"},
      {"targets:\n  - dsn: host=x\n", "deploy/fleet.yaml:2: this target has no 'name'"},
      {"targets:\n  - name: a/b\n    dsn: host=x\n",
       "deploy/fleet.yaml:2: target name 'a/b' must be letters, digits, '_', '-' or '.' (at most 200)"},
      {"targets: []\n", "deploy/fleet.yaml:1: 'targets' must be a non-empty list"},
      {"", "deploy/fleet.yaml: empty fleet file: it needs a 'targets' list"},
      {"targets:\n  - name: a\n    dsn: host=x\n    dsn: host=y\n", "deploy/fleet.yaml:4: duplicate key 'dsn' (first at line 3)"},
      {"targets:\n  - name: t\n    expand:\n      query: SELECT 1\n",
       "deploy/fleet.yaml:4: 'expand' needs control_dsn or control_dsn_env"},
      {"targets:\n  - name: t\n    expand:\n      control_dsn_env: CONTROL_DSN\n      dsn_template: host=db\n",
       "deploy/fleet.yaml:5: 'dsn_template' must contain {database}"},
      {"targets:\n  - name: t\n    expand:\n      control_dsn_env: CONTROL_DSN\n      qeury: SELECT 1\n",
       "deploy/fleet.yaml:5: unknown key 'qeury' in 'expand' (did you mean 'query'?)"},
  };
  for (const auto& [text, expected] : cases) EXPECT_EQ(parse_error(text), expected) << text;
}

TEST(fleet_file, a_password_written_in_the_file_is_an_error_that_does_not_repeat_it) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"targets:\n  - name: a\n    dsn: postgresql://app:topsecret1@db/app\n", "deploy/fleet.yaml:3: 'dsn' holds a password"},
      {"targets:\n  - name: a\n    dsn: host=db password=topsecret1\n", "deploy/fleet.yaml:3: 'dsn' holds a password"},
      {"targets:\n  - name: t\n    expand:\n      control_dsn: postgresql://u:topsecret1@ctl/c\n      query: SELECT 1\n",
       "deploy/fleet.yaml:4: 'control_dsn' holds a password"},
      {"targets:\n  - name: t\n    expand:\n      control_dsn: host=ctl\n      query: SELECT 1\n"
       "      dsn_template: host=db dbname={database} password=topsecret1\n",
       "deploy/fleet.yaml:6: 'dsn_template' holds a password"},
  };
  for (const auto& [text, expected] : cases) {
    const std::string message = parse_error(text);
    EXPECT_THAT(message, HasSubstr(expected)) << text;
    EXPECT_THAT(message, testing::Not(HasSubstr("topsecret1")));
  }
}

TEST(fleet_expansion, rows_become_targets_named_after_their_entry) {
  const auto file = parse(
      "targets:\n"
      "  - name: iam\n"
      "    dsn_env: IAM_DSN\n"
      "  - name: tenants\n"
      "    group: tenants\n"
      "    modules: migrations/calendar\n"
      "    expand:\n"
      "      control_dsn_env: CONTROL_DSN\n"
      "      query: SELECT datname FROM tenants ORDER BY 1\n"
      "      dsn_template_env: TENANT_TEMPLATE\n"
      "  - name: byrow\n"
      "    expand:\n"
      "      control_dsn: host=ctl dbname=control\n"
      "      query: SELECT name, dsn FROM databases\n");
  std::vector<std::pair<std::string, std::string>> asked;
  const auto targets = migrator::expand_fleet(file, [&](const std::string& dsn, const std::string& sql) {
    asked.emplace_back(dsn, sql);
    migrator::query_rows rows;
    if (sql.find("tenants") != std::string::npos) {
      rows.columns = {"datname"};
      rows.rows = {{"t_001"}, {"t_002"}};
    } else {
      rows.columns = {"name", "dsn"};
      rows.rows = {{"x", "postgresql://x@h/x"}};
    }
    return rows;
  });
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[0].first, "host=ctl dbname=control user=ops password=ctl-pw");
  ASSERT_EQ(targets.size(), 4u);
  EXPECT_EQ(targets[0].name, "iam");
  EXPECT_EQ(targets[1].name, "tenants/t_001");
  EXPECT_EQ(targets[1].dsn, "host=db3 dbname=t_001 user=tenant password=tpw");
  EXPECT_EQ(targets[1].entry, "tenants");
  EXPECT_EQ(targets[1].group, "tenants");
  EXPECT_EQ(targets[1].modules_dir, "deploy/migrations/calendar");
  EXPECT_EQ(targets[1].origin, "deploy/fleet.yaml:8");
  EXPECT_EQ(targets[2].name, "tenants/t_002");
  EXPECT_EQ(targets[3].name, "byrow/x");
  EXPECT_EQ(targets[3].dsn, "postgresql://x@h/x");
}

TEST(fleet_expansion, bad_rows_and_failed_queries_say_where) {
  const auto file = parse(
      "targets:\n"
      "  - name: t\n"
      "    expand:\n"
      "      control_dsn_env: CONTROL_DSN\n"
      "      query: SELECT datname FROM x\n");
  auto error_of = [&](migrator::query_rows rows) -> std::string {
    try {
      migrator::expand_fleet(file, [&](const std::string&, const std::string&) { return rows; });
    } catch (const migrator::error& e) {
      return e.what();
    }
    return "(no error)";
  };
  migrator::query_rows no_template{{"datname"}, {{"a"}}};
  EXPECT_EQ(error_of(no_template),
            "deploy/fleet.yaml:4: target 't': the query returns no 'dsn' column, so 'expand' needs dsn_template or "
            "dsn_template_env");
  migrator::query_rows null_name{{"datname", "dsn"}, {{"a", "host=x"}, {std::nullopt, "host=y"}}};
  EXPECT_EQ(error_of(null_name),
            "deploy/fleet.yaml:4: target 't', row 2: the database name NULL must be letters, digits, '_', '-' or '.'");
  migrator::query_rows duplicate{{"datname", "dsn"}, {{"a", "host=x"}, {"a", "host=y"}}};
  EXPECT_EQ(error_of(duplicate), "deploy/fleet.yaml:4: target name 't/a' is also given at deploy/fleet.yaml:4");
  try {
    migrator::expand_fleet(file, [](const std::string&, const std::string&) -> migrator::query_rows {
      throw migrator::error(migrator::error_code::database, "cannot connect to the database: refused");
    });
    FAIL() << "no error";
  } catch (const migrator::error& e) {
    EXPECT_EQ(e.code(), migrator::error_code::database);
    EXPECT_STREQ(e.what(), "deploy/fleet.yaml:4: target 't': the expansion query failed: cannot connect to the "
                           "database: refused");
  }
}

std::vector<fleet_target> fleet_of(std::size_t n) {
  std::vector<fleet_target> out;
  for (std::size_t i = 0; i < n; ++i) {
    fleet_target t;
    t.name = "tenants/t_" + std::to_string(i);
    t.entry = "tenants";
    t.group = i % 10 == 3 ? "canary" : "";
    out.push_back(t);
  }
  return out;
}

TEST(fleet_shards, every_target_in_exactly_one_shard_and_stable) {
  const auto all = fleet_of(1000);
  for (std::size_t n : {1u, 2u, 3u, 7u, 16u}) {
    std::map<std::string, int> seen;
    std::size_t smallest = all.size(), largest = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto shard = migrator::select_targets(all, {}, {i, n});
      smallest = std::min(smallest, shard.size()), largest = std::max(largest, shard.size());
      for (const auto& t : shard) ++seen[t.name];
    }
    EXPECT_EQ(seen.size(), all.size()) << n;
    for (const auto& [name, count] : seen) EXPECT_EQ(count, 1) << name;
    // Balanced enough to be useful: no shard twice the mean.
    EXPECT_LT(largest, 2 * all.size() / n + 1) << n;
  }
  // Stable: the same name lands in the same shard whatever else is in the fleet.
  EXPECT_EQ(migrator::shard_of("tenants/t_42", 8), migrator::shard_of("tenants/t_42", 8));
  const auto with_more = fleet_of(2000);
  for (std::size_t i = 0; i < 4; ++i) {
    auto small = migrator::select_targets(all, {}, {i, 4});
    auto big = migrator::select_targets(with_more, {}, {i, 4});
    std::set<std::string> big_names;
    for (const auto& t : big) big_names.insert(t.name);
    for (const auto& t : small) EXPECT_TRUE(big_names.count(t.name)) << t.name;
  }
}

TEST(fleet_shards, parse_shard_accepts_i_of_n_only) {
  EXPECT_EQ(migrator::parse_shard("0/1").count, 1u);
  EXPECT_EQ(migrator::parse_shard("3/4").index, 3u);
  for (const char* bad : {"4/4", "1", "-1/4", "1/0", "a/b", "1/4/5", "", "/4"}) {
    try {
      migrator::parse_shard(bad);
      ADD_FAILURE() << bad;
    } catch (const migrator::error& e) {
      EXPECT_EQ(e.code(), migrator::error_code::usage);
      EXPECT_THAT(e.what(), HasSubstr("expected I/N with 0 <= I < N"));
    }
  }
}

TEST(fleet_selection, by_target_or_entry_name_in_file_order) {
  auto all = fleet_of(5);
  fleet_target iam;
  iam.name = iam.entry = "iam";
  all.insert(all.begin() + 2, iam);
  auto picked = migrator::select_targets(all, {"tenants/t_3", "iam"}, {});
  ASSERT_EQ(picked.size(), 2u);
  EXPECT_EQ(picked[0].name, "iam");
  EXPECT_EQ(picked[1].name, "tenants/t_3");
  EXPECT_EQ(migrator::select_targets(all, {"tenants"}, {}).size(), 5u);
  try {
    migrator::select_targets(all, {"ima"}, {});
    FAIL();
  } catch (const migrator::error& e) {
    EXPECT_EQ(e.code(), migrator::error_code::usage);
    EXPECT_STREQ(e.what(), "--target 'ima': no such target in the fleet (did you mean 'iam'?)");
  }
}

TEST(fleet_canary, count_or_group_first_in_file_order) {
  auto targets = fleet_of(30);
  EXPECT_EQ(migrator::order_for_canary(targets, migrator::parse_canary("2")), 2u);
  EXPECT_EQ(targets[0].name, "tenants/t_0");
  EXPECT_EQ(migrator::order_for_canary(targets, migrator::parse_canary("100")), 30u);
  EXPECT_EQ(migrator::order_for_canary(targets, {}), 0u);

  const std::size_t n = migrator::order_for_canary(targets, migrator::parse_canary("canary"));
  ASSERT_EQ(n, 3u);
  EXPECT_EQ(targets[0].name, "tenants/t_3");
  EXPECT_EQ(targets[1].name, "tenants/t_13");
  EXPECT_EQ(targets[2].name, "tenants/t_23");
  EXPECT_EQ(targets[3].name, "tenants/t_0");  // the rest keep their order
  EXPECT_EQ(targets[4].name, "tenants/t_1");

  EXPECT_THROW(migrator::order_for_canary(targets, migrator::parse_canary("nosuchgroup")), migrator::error);
  EXPECT_THROW(migrator::parse_canary("0"), migrator::error);
  EXPECT_THROW(migrator::parse_canary("a b"), migrator::error);
}

TEST(fleet_connect_timeout, added_unless_the_dsn_sets_one) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"host=db dbname=x", "host=db dbname=x connect_timeout=5"},
      {"", "connect_timeout=5"},
      {"host=db connect_timeout=2", "host=db connect_timeout=2"},
      {"postgresql://u@db/x", "postgresql://u@db/x?connect_timeout=5"},
      {"postgresql://u@db/x?sslmode=disable", "postgresql://u@db/x?sslmode=disable&connect_timeout=5"},
      {"postgres://db/x?connect_timeout=9", "postgres://db/x?connect_timeout=9"},
  };
  for (const auto& [dsn, expected] : cases) EXPECT_EQ(migrator::with_connect_timeout(dsn, 5), expected) << dsn;
}

}  // namespace
