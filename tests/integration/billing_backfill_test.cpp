// The example modules' code migration (modules/billing/migrations/
// 04003_backfill_invoice_totals.cpp), compiled into `app`: invoices written
// before it get their totals from their lines, in batches; status, dry-run and
// the per-module summary list it; down and up again.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

run_result migrate(const test_database& db, std::vector<std::string> args) {
  args.insert(args.begin(), "migrate");
  args.insert(args.end(), {"--dsn", db.dsn()});
  return run_app(args);
}

TEST(billing_backfill, fills_invoice_totals_from_their_lines_then_makes_them_required) {
  test_database db;
  auto r = migrate(db, {"up-to", "4002"});
  ASSERT_EQ(r.code, 0) << r.err;

  // 2,500 invoices (three batches) written before the backfill: invoice i has
  // i % 4 lines of quantity 2 at i cents; a few have no lines.
  db.exec(
      "INSERT INTO organization.organizations (slug, name) VALUES ('acme', 'Acme');"
      "INSERT INTO billing.accounts (organization_id, billing_email) "
      "  SELECT id, 'billing@acme.test' FROM organization.organizations;"
      "INSERT INTO billing.invoices (account_id, currency) "
      "  SELECT a.id, 'EUR' FROM billing.accounts a, generate_series(1, 2500);"
      "INSERT INTO billing.invoice_lines (invoice_id, description, quantity, unit_amount) "
      "  SELECT i.id, 'line ' || n, 2, i.id FROM billing.invoices i, generate_series(1, 3) n WHERE n <= i.id % 4;");

  r = migrate(db, {"up", "--dry-run"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("-- up: billing 4003 backfill_invoice_totals "
                               "(modules/billing/migrations/04003_backfill_invoice_totals.cpp) CODE NO TRANSACTION\n"
                               "-- runs the C++ up function of modules/billing/migrations/04003_backfill_invoice_totals.cpp"));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM billing.invoices WHERE total_cents IS NOT NULL"), "0");

  r = migrate(db, {"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM billing.invoices i WHERE total_cents <> "
                      "(SELECT coalesce(sum(quantity * unit_amount), 0) FROM billing.invoice_lines l "
                      " WHERE l.invoice_id = i.id)"),
            "0");
  EXPECT_EQ(db.scalar("SELECT total_cents FROM billing.invoices WHERE id = 7"), "42");  // 3 lines x 2 x 7
  EXPECT_EQ(db.scalar("SELECT total_cents FROM billing.invoices WHERE id = 8"), "0");   // no lines
  EXPECT_EQ(db.scalar("SELECT is_nullable FROM information_schema.columns WHERE table_schema = 'billing' "
                      "AND table_name = 'invoices' AND column_name = 'total_cents'"),
            "NO");
  EXPECT_EQ(db.scalar("SELECT statements_done FROM goose_db_version_meta WHERE version_id = 4003"), "3");

  r = migrate(db, {"status", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto status = nlohmann::json::parse(r.out);
  bool listed = false;
  for (const auto& m : status["migrations"])
    if (m["version"] == 4003) {
      listed = true;
      EXPECT_EQ(m["kind"], "code");
      EXPECT_EQ(m["state"], "applied");
    }
  EXPECT_TRUE(listed) << r.out;
  bool billing = false;
  for (const auto& m : status["modules"])
    if (m["module"] == "billing") {
      billing = true;
      EXPECT_EQ(m["code"], 1);
      EXPECT_EQ(m["applied"], 4);
      EXPECT_EQ(m["version"], 4004);
    }
  EXPECT_TRUE(billing) << "status lists no billing module: " << r.out;

  // Down through the backfill and up again.
  r = migrate(db, {"down-to", "4002"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM billing.invoices WHERE total_cents IS NOT NULL"), "0");
  r = migrate(db, {"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(db.scalar("SELECT total_cents FROM billing.invoices WHERE id = 7"), "42");
}

}  // namespace
