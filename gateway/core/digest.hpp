// Digests, MACs and base64 over OpenSSL, in one place. Each algorithm is fetched from OpenSSL's
// provider once per process: OpenSSL 3's one-shot calls (HMAC(EVP_sha256(), ...)) look it up
// again on every call, which a request arriving after an idle spell, its caches gone cold, paid
// about 60 µs for (the cursor's HMAC, measured with uprobes).
#pragma once

#include <array>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace cgw::digest {

using sha256_bytes = std::array<unsigned char, 32>;

sha256_bytes sha256(std::string_view data);

// SHA-256 over `parts`, each prefixed with its length: no two lists of parts hash alike.
sha256_bytes sha256_framed(std::initializer_list<std::string_view> parts);

// SHA-1, for names that are SHA-1 by contract (a Redis script's EVALSHA name), never for security.
std::array<unsigned char, 20> sha1(std::string_view data);

// Lowercase hex of `bytes`.
std::string hex(std::string_view bytes);
template <std::size_t N>
std::string hex(const std::array<unsigned char, N>& bytes) {
  return hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), N));
}

// HMAC-SHA-256 under one key, keyed once: each signature starts from a copy of the keyed state.
// Safe to share between threads (sign only reads it).
class hmac_sha256 {
 public:
  explicit hmac_sha256(std::string_view key);
  sha256_bytes sign(std::string_view data) const;

 private:
  struct keyed;
  std::shared_ptr<const keyed> keyed_;
};

// RFC 4648 base64 with padding, and its URL-safe alphabet without padding (section 5).
std::string base64(std::string_view bytes);
std::string base64url(std::string_view bytes);
// nullopt for anything that is not such text: another alphabet, bad length or padding.
std::optional<std::string> from_base64(std::string_view text);
std::optional<std::string> from_base64url(std::string_view text);

}  // namespace cgw::digest
