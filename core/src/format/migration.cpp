#include "migrator/migration.h"

#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "migrator/parser.h"

namespace migrator {

struct migration::lazy_body {
  std::string text;  // released once parsed
  text_reader read = nullptr;  // when set: `text` is not read yet
  text_check check = nullptr;  // with `read`
  std::shared_ptr<const env_lookup> env;
  // Not std::call_once: an exception thrown through it (a malformed file) goes
  // through pthread_once, which aborts the process when libstdc++ is linked
  // statically (MIGRATOR_STATIC_APP). A mutex and a flag do the same.
  std::mutex mutex;
  std::atomic<bool> done{false};
  migration_body body;
};

namespace {

// From this size on, a read text's check (a SHA-256 of it: about 0.6 ms a MB
// here, against 2.3 ms a MB to parse) runs on a thread beside the parse: a
// run's first migration waits for its parse (W2: a 1.5 MB file).
constexpr std::size_t check_beside_parse_from = std::size_t{256} << 10;

migration_body parse_checked(const migration& m, const std::string& text, migration::text_check check,
                             const env_lookup& env) {
  if (!check) return parse_migration(text, m.path, env);
  if (text.size() < check_beside_parse_from) {
    check(m, text);
    return parse_migration(text, m.path, env);
  }
  std::exception_ptr check_failed;
  std::thread checking;
  try {
    checking = std::thread([&] {
      try {
        check(m, text);
      } catch (...) {
        check_failed = std::current_exception();
      }
    });
  } catch (const std::system_error&) {  // no thread to be had: one after the other
    check(m, text);
    return parse_migration(text, m.path, env);
  }
  std::optional<migration_body> parsed;
  std::exception_ptr parse_failed;
  try {
    parsed = parse_migration(text, m.path, env);
  } catch (...) {
    parse_failed = std::current_exception();
  }
  checking.join();
  // A text other than the one loaded: what its parse found does not matter.
  if (check_failed) std::rethrow_exception(check_failed);
  if (parse_failed) std::rethrow_exception(parse_failed);
  return std::move(*parsed);
}

}  // namespace

const migration_body& migration::body() const {
  static const migration_body none;
  if (!body_) return none;
  lazy_body& lazy = *body_;
  if (lazy.done.load(std::memory_order_acquire)) return lazy.body;
  const std::lock_guard<std::mutex> lock(lazy.mutex);
  if (!lazy.done.load(std::memory_order_relaxed)) {
    // A read, check or parse that throws leaves nothing behind: the next call
    // does it (and throws) again.
    const env_lookup no_env;
    const env_lookup& env = lazy.env ? *lazy.env : no_env;
    if (lazy.read) {
      lazy.body = parse_checked(*this, lazy.read(*this), lazy.check, env);
      lazy.read = nullptr;
    } else {
      lazy.body = parse_migration(lazy.text, path, env);
      std::string().swap(lazy.text);
    }
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

void migration::set_text_reader(text_reader read, text_check check, std::shared_ptr<const env_lookup> env) {
  body_ = std::make_shared<lazy_body>();
  body_->read = read;
  body_->check = check;
  body_->env = std::move(env);
}

void migration::set_body(migration_body parsed_body) {
  body_ = std::make_shared<lazy_body>();
  body_->body = std::move(parsed_body);
  body_->done.store(true, std::memory_order_release);
}

}  // namespace migrator
