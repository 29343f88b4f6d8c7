// SHA-256 as lowercase hex, the form of every digest this project stores (a
// migration's checksum, a module's side-row digest). OpenSSL's SHA256_*
// functions on a context kept inside the object, not EVP: the first
// EVP_MD_fetch of a process cost more than everything else a `status` of 1,000
// migrations does (callgrind: 7.7M of 29.5M instructions), and these need none.
#pragma once

#include <string>
#include <string_view>

namespace migrator::detail {

class sha256 {
 public:
  sha256();
  sha256(const sha256&) = delete;
  sha256& operator=(const sha256&) = delete;

  void update(std::string_view bytes);
  // The digest of everything updated so far, as 64 lowercase hex digits; ends the hash.
  std::string hex_digest();

 private:
  // OpenSSL's SHA256_CTX (112 bytes on every ABI it supports), held here so
  // that no caller includes OpenSSL; sha256.cpp checks the size.
  alignas(8) unsigned char context_[128];
};

// SHA-256 of `bytes` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

}  // namespace migrator::detail
