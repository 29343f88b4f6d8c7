#include "support/sha256.h"

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, and
// still part of its API: ask for the 1.1.1 API so they are declared without warnings.
#define OPENSSL_API_COMPAT 0x10101000L
#include <openssl/sha.h>

#include <stdexcept>

namespace migrator::detail {

static_assert(sizeof(SHA256_CTX) <= 128, "sha256::context_ holds a SHA256_CTX");

namespace {
SHA256_CTX* context_of(unsigned char* storage) { return reinterpret_cast<SHA256_CTX*>(storage); }
[[noreturn]] void failed() { throw std::runtime_error("SHA-256 failed (OpenSSL)"); }
}  // namespace

sha256::sha256() {
  if (SHA256_Init(context_of(context_)) != 1) failed();
}

void sha256::update(std::string_view bytes) {
  if (SHA256_Update(context_of(context_), bytes.data(), bytes.size()) != 1) failed();
}

std::string sha256::hex_digest() {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  if (SHA256_Final(digest, context_of(context_)) != 1) failed();
  static constexpr char hex[] = "0123456789abcdef";
  // Into a buffer first: one string construction, not a capacity check per character.
  char text[2 * SHA256_DIGEST_LENGTH];
  for (std::size_t i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    text[2 * i] = hex[digest[i] >> 4];
    text[2 * i + 1] = hex[digest[i] & 0xF];
  }
  return std::string(text, sizeof text);
}

std::string sha256_hex(std::string_view bytes) {
  sha256 hash;
  hash.update(bytes);
  return hash.hex_digest();
}

}  // namespace migrator::detail
