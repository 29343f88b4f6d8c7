#include "migrator/log.h"

namespace migrator {

namespace {

thread_local std::vector<log_field> fields_in_force;

}  // namespace

log_scope::log_scope(std::vector<log_field> fields) : outer_size_(fields_in_force.size()) {
  for (log_field& f : fields) fields_in_force.push_back(std::move(f));
}

log_scope::~log_scope() { fields_in_force.erase(fields_in_force.begin() + outer_size_, fields_in_force.end()); }

void log(spdlog::level::level_enum level, std::string_view message, std::vector<log_field> fields) {
  spdlog::logger* logger = spdlog::default_logger_raw();
  if (!logger || !logger->should_log(level)) return;
  log_scope scope(std::move(fields));
  logger->log(level, spdlog::string_view_t(message.data(), message.size()));
}

const std::vector<log_field>& current_log_fields() { return fields_in_force; }

}  // namespace migrator
