#include "migrator/migration.h"

#include <atomic>
#include <mutex>

#include "migrator/parser.h"

namespace migrator {

struct migration::lazy_body {
  std::string text;  // released once parsed
  text_reader read = nullptr;  // when set: `text` is not read yet
  std::shared_ptr<const env_lookup> env;
  // Not std::call_once: an exception thrown through it (a malformed file) goes
  // through pthread_once, which aborts the process when libstdc++ is linked
  // statically (MIGRATOR_STATIC_APP). A mutex and a flag do the same.
  std::mutex mutex;
  std::atomic<bool> done{false};
  migration_body body;
};

const migration_body& migration::body() const {
  static const migration_body none;
  if (!body_) return none;
  lazy_body& lazy = *body_;
  if (lazy.done.load(std::memory_order_acquire)) return lazy.body;
  const std::lock_guard<std::mutex> lock(lazy.mutex);
  if (!lazy.done.load(std::memory_order_relaxed)) {
    // A parse that throws leaves nothing behind: the next call parses (and throws) again.
    if (lazy.read) {
      lazy.text = lazy.read(*this);
      lazy.read = nullptr;
    }
    lazy.body = parse_migration(lazy.text, path, lazy.env ? *lazy.env : env_lookup{});
    std::string().swap(lazy.text);
    lazy.done.store(true, std::memory_order_release);
  }
  return lazy.body;
}

bool migration::parsed() const noexcept { return !body_ || body_->done.load(std::memory_order_acquire); }

void migration::set_text(std::string text, std::shared_ptr<const env_lookup> env) {
  body_ = std::make_shared<lazy_body>();
  body_->text = std::move(text);
  body_->env = std::move(env);
}

void migration::set_text_reader(text_reader read, std::shared_ptr<const env_lookup> env) {
  body_ = std::make_shared<lazy_body>();
  body_->read = read;
  body_->env = std::move(env);
}

void migration::set_body(migration_body parsed_body) {
  body_ = std::make_shared<lazy_body>();
  body_->body = std::move(parsed_body);
  body_->done.store(true, std::memory_order_release);
}

}  // namespace migrator
