#include "gateway/core/digest.hpp"

#include <cstdint>
#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/evp.h>

namespace cgw::digest {
namespace {

// Fetched once, kept for the process (OpenSSL frees its providers at exit).
const EVP_MD* fetched(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (!md) throw std::runtime_error(std::string("OpenSSL has no ") + name);
  return md;
}
const EVP_MD* sha256_md() {
  static const EVP_MD* md = fetched("SHA256");
  return md;
}
EVP_MAC* hmac_mac() {
  static EVP_MAC* mac = [] {
    EVP_MAC* m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!m) throw std::runtime_error("OpenSSL has no HMAC");
    return m;
  }();
  return mac;
}

struct md_ctx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~md_ctx() { EVP_MD_CTX_free(ctx); }
};

template <std::size_t N>
std::array<unsigned char, N> finish(EVP_MD_CTX* ctx) {
  std::array<unsigned char, N> out{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx, out.data(), &size) != 1 || size != N)
    throw std::runtime_error("OpenSSL digest failed");
  return out;
}

}  // namespace

sha256_bytes sha256(std::string_view data) {
  sha256_bytes out{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &size, sha256_md(), nullptr) != 1)
    throw std::runtime_error("OpenSSL SHA-256 failed");
  return out;
}

sha256_bytes sha256_framed(std::initializer_list<std::string_view> parts) {
  md_ctx c;
  EVP_DigestInit_ex2(c.ctx, sha256_md(), nullptr);
  for (auto part : parts) {
    const std::uint64_t n = part.size();
    EVP_DigestUpdate(c.ctx, &n, sizeof n);
    EVP_DigestUpdate(c.ctx, part.data(), part.size());
  }
  return finish<32>(c.ctx);
}

std::array<unsigned char, 20> sha1(std::string_view data) {
  static const EVP_MD* md = fetched("SHA1");
  md_ctx c;
  EVP_DigestInit_ex2(c.ctx, md, nullptr);
  EVP_DigestUpdate(c.ctx, data.data(), data.size());
  return finish<20>(c.ctx);
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (unsigned char b : bytes) out += digits[b >> 4], out += digits[b & 15];
  return out;
}

struct hmac_sha256::keyed {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac_mac());
  ~keyed() { EVP_MAC_CTX_free(ctx); }
};

hmac_sha256::hmac_sha256(std::string_view key) {
  auto k = std::make_shared<keyed>();
  char name[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0),
                               OSSL_PARAM_construct_end()};
  if (!k->ctx ||
      EVP_MAC_init(k->ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) != 1)
    throw std::runtime_error("OpenSSL HMAC-SHA-256 could not be keyed");
  keyed_ = std::move(k);
}

sha256_bytes hmac_sha256::sign(std::string_view data) const {
  struct owned {
    EVP_MAC_CTX* ctx;
    ~owned() { EVP_MAC_CTX_free(ctx); }
  } c{EVP_MAC_CTX_dup(keyed_->ctx)};
  sha256_bytes out{};
  std::size_t size = 0;
  if (!c.ctx ||
      EVP_MAC_update(c.ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(c.ctx, out.data(), &size, out.size()) != 1 || size != out.size())
    throw std::runtime_error("OpenSSL HMAC-SHA-256 failed");
  return out;
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64url(std::string_view bytes) {
  std::string out = base64(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::optional<std::string> from_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  const std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  if (text.substr(0, text.size() - padding).find('=') != std::string_view::npos) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - padding);  // EVP_DecodeBlock counts padding as zero bytes
  return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
  std::string in(text);
  for (char& c : in) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/' || c == '=')
      return std::nullopt;  // only the URL-safe alphabet
  }
  const std::size_t pad = (4 - in.size() % 4) % 4;
  if (pad == 3) return std::nullopt;
  in.append(pad, '=');
  return from_base64(in);
}

}  // namespace cgw::digest
