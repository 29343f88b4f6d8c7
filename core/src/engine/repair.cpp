// Repair: adopt missing checksums, and clear a dirty version a human fixed by hand.
#include <algorithm>

#include "engine/engine_state.h"

namespace migrator {

using detail::translated;

std::size_t engine::repair_checksums() {
  impl_->refuse_writes();
  return translated("recording checksums", [&] {
    auto status = compute_status(impl_->set, impl_->history.read());
    if (!status.namespace_conflicts.empty()) impl_->check_guards(status);
    lock_guard lock(impl_->lock, impl_->options.lock_timeout, nullptr);
    impl_->history.ensure();
    std::size_t recorded = 0;
    for (const auto& s : compute_status(impl_->set, impl_->history.read()).migrations) {
      if (s.state != migration_state::applied || s.has_checksum) continue;
      impl_->history.record_checksum(*impl_->file_of(s.version));  // applied: in the set
      ++recorded;
    }
    impl_->write_digests();
    return recorded;
  });
}

namespace {

// Under the lock: another runner may be finishing the version right now.
migration_status dirty_version(const module_set& set, history_store& history, std::int64_t version) {
  return dirty_for_repair(compute_status(set, history.read()), version);
}

}  // namespace

migration_status engine::repair_mark_applied(std::int64_t version) {
  impl_->refuse_writes();
  return translated("repairing", [&] {
    lock_guard lock(impl_->lock, impl_->options.lock_timeout, nullptr);
    impl_->history.ensure();
    auto before = dirty_version(impl_->set, impl_->history, version);
    impl_->history.force_applied(impl_->file_of(version), version);
    impl_->write_digests();
    return before;
  });
}

migration_status engine::repair_mark_rolled_back(std::int64_t version) {
  impl_->refuse_writes();
  return translated("repairing", [&] {
    lock_guard lock(impl_->lock, impl_->options.lock_timeout, nullptr);
    impl_->history.ensure();
    auto before = dirty_version(impl_->set, impl_->history, version);
    impl_->history.force_rolled_back(version);
    impl_->write_digests();
    return before;
  });
}

}  // namespace migrator
