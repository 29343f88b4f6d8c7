// The commands that only run a plan (cmd/run_plan.cpp): each is its name, its
// help and the plan it asks for.
#include "command.h"

namespace app {

namespace {

using migrator::command_kind;

void dry_run_option(po::options_description& o, po::positional_options_description&) {
  add_dry_run_option(o, "print the plan and its exact statements; change nothing");
}

// VERSION, the one positional argument of up-to and down-to.
void version_argument(po::options_description& o, po::positional_options_description& p, const char* meaning) {
  o.add_options()("version", po::value<std::int64_t>()->required()->value_name("VERSION"), meaning);
  p.add("version", 1);
}

void fleet_dry_run_option(po::options_description& o, po::positional_options_description& p) {
  dry_run_option(o, p);
  add_fleet_options(o, true);
}

void up_to_options(po::options_description& o, po::positional_options_description& p) {
  fleet_dry_run_option(o, p);
  version_argument(o, p, "the version to migrate to (applied too)");
}

void down_to_options(po::options_description& o, po::positional_options_description& p) {
  dry_run_option(o, p);
  version_argument(o, p, "the version to roll back to (it stays applied)");
}

}  // namespace

extern const command up_command{
    "up", "apply every pending migration (including ones lower than the current version)",
    "app migrate up [--dry-run] [--targets FILE [--target NAME]... [--jobs N] [--shard I/N] [--canary K] "
    "[--fail-fast] [--json]]",
    "app migrate up --dsn postgresql://app@db/app", fleet_dry_run_option, [](command_context& c) { return run_plan(c, command_kind::up, "up"); }};
extern const command up_by_one_command{
    "up-by-one", "apply the lowest pending migration", "app migrate up-by-one [--dry-run] [--targets FILE ...]",
    "app migrate up-by-one --dry-run", fleet_dry_run_option,
    [](command_context& c) { return run_plan(c, command_kind::up_by_one, "up-by-one"); }};
extern const command up_to_command{
    "up-to", "apply pending migrations up to and including VERSION",
    "app migrate up-to VERSION [--dry-run] [--targets FILE ...]", "app migrate up-to 3002", up_to_options,
    [](command_context& c) { return run_plan(c, command_kind::up_to, "up-to"); }};
extern const command down_command{
    "down", "roll back the most recently applied migration", "app migrate down [--dry-run]",
    "app migrate down --dry-run", dry_run_option,
    [](command_context& c) { return run_plan(c, command_kind::down, "down"); }};
extern const command down_to_command{
    "down-to", "roll back every applied migration above VERSION, most recent first",
    "app migrate down-to VERSION [--dry-run]", "app migrate down-to 2001", down_to_options,
    [](command_context& c) { return run_plan(c, command_kind::down_to, "down-to"); }};
extern const command redo_command{
    "redo", "roll back the most recently applied migration and apply it again", "app migrate redo [--dry-run]",
    "app migrate redo", dry_run_option, [](command_context& c) { return run_plan(c, command_kind::redo, "redo"); }};
extern const command reset_command{
    "reset", "roll back every applied migration, most recent first", "app migrate reset [--dry-run]",
    "app migrate reset --dry-run", dry_run_option,
    [](command_context& c) { return run_plan(c, command_kind::reset, "reset"); }};

}  // namespace app
