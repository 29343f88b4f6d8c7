// migrator/log.h without spdlog: what a consumer's own sink receives.
#include "migrator/log.h"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

namespace {

struct recorded {
  migrator::log_level level;
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;
};

std::string text_of(const migrator::log_value& v) {
  if (auto s = std::get_if<std::string>(&v)) return *s;
  if (auto i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return std::get<bool>(v) ? "true" : "false";
}

class recording_sink final : public migrator::log_sink {
 public:
  explicit recording_sink(migrator::log_level least) : least_(least) {}
  bool enabled(migrator::log_level level) const override { return level >= least_; }
  void write(migrator::log_level level, std::string_view message,
             const std::vector<migrator::log_field>& fields) override {
    recorded r{level, std::string(message), {}};
    for (const auto& f : fields) r.fields.emplace_back(f.key, text_of(f.value));
    std::lock_guard<std::mutex> hold(mutex_);
    lines.push_back(std::move(r));
  }
  std::vector<recorded> lines;

 private:
  migrator::log_level least_;
  std::mutex mutex_;
};

class log_test : public ::testing::Test {
 protected:
  std::shared_ptr<recording_sink> sink = std::make_shared<recording_sink>(migrator::log_level::info);
  void SetUp() override { previous_ = migrator::set_log_sink(sink); }
  void TearDown() override { migrator::set_log_sink(previous_); }

 private:
  std::shared_ptr<migrator::log_sink> previous_;
};

using field_list = std::vector<std::pair<std::string, std::string>>;

TEST_F(log_test, the_sink_gets_level_message_and_every_field_in_force) {
  {
    migrator::log_scope scope({{"module", "billing"}, {"version", 4001}});
    migrator::log(migrator::log_level::warn, "applied", {{"duration_ms", 35}, {"in_transaction", true}});
  }
  migrator::log(migrator::log_level::info, "after the scope");
  ASSERT_EQ(sink->lines.size(), 2u);
  EXPECT_EQ(sink->lines[0].level, migrator::log_level::warn);
  EXPECT_EQ(sink->lines[0].message, "applied");
  EXPECT_EQ(sink->lines[0].fields,
            (field_list{{"module", "billing"}, {"version", "4001"}, {"duration_ms", "35"}, {"in_transaction", "true"}}));
  EXPECT_TRUE(sink->lines[1].fields.empty());
}

TEST_F(log_test, nested_scopes_come_outermost_first_and_end_with_their_scope) {
  migrator::log_scope outer(std::vector<migrator::log_field>{{"module", "billing"}});
  {
    migrator::log_scope inner(std::vector<migrator::log_field>{{"version", 4002}});
    migrator::log(migrator::log_level::error, "x");
  }
  migrator::log(migrator::log_level::error, "y");
  ASSERT_EQ(sink->lines.size(), 2u);
  EXPECT_EQ(sink->lines[0].fields, (field_list{{"module", "billing"}, {"version", "4002"}}));
  EXPECT_EQ(sink->lines[1].fields, (field_list{{"module", "billing"}}));
}

TEST_F(log_test, levels_the_sink_does_not_want_are_not_written) {
  migrator::log(migrator::log_level::debug, "hidden");
  migrator::log(migrator::log_level::off, "never");
  migrator::log(migrator::log_level::info, "shown");
  ASSERT_EQ(sink->lines.size(), 1u);
  EXPECT_EQ(sink->lines[0].message, "shown");
}

TEST_F(log_test, without_a_sink_nothing_is_written_and_nothing_fails) {
  auto mine = migrator::set_log_sink(nullptr);
  EXPECT_EQ(mine, sink);
  migrator::log(migrator::log_level::critical, "into the void", {{"k", "v"}});
  migrator::set_log_sink(mine);
  EXPECT_TRUE(sink->lines.empty());
}

TEST(log_level_names, are_the_words_the_settings_use) {
  EXPECT_STREQ(migrator::to_string(migrator::log_level::warn), "warn");
  EXPECT_STREQ(migrator::to_string(migrator::log_level::error), "error");
  EXPECT_STREQ(migrator::to_string(migrator::log_level::off), "off");
}

}  // namespace
