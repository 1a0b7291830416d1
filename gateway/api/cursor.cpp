#include "gateway/api/cursor.hpp"

#include <cstring>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace cgw::api {
namespace {

constexpr unsigned char version = 1;
// HMAC-SHA-256 truncated to 128 bits (as RFC 4868 truncates it): forging still takes 2^128 tries,
// and the cursor stays short.
constexpr std::size_t mac_size = 16;
constexpr std::size_t max_cursor_chars = 4096;

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

bool get_varint(std::string_view& in, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

void put_text(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

bool get_text(std::string_view& in, std::string& s) {
  std::uint64_t n;
  if (!get_varint(in, n) || n > in.size()) return false;
  s.assign(in.substr(0, n));
  in.remove_prefix(n);
  return true;
}

std::array<unsigned char, mac_size> mac(std::string_view data, std::string_view secret) {
  unsigned char full[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), full, &len);
  std::array<unsigned char, mac_size> out{};
  std::memcpy(out.data(), full, out.size());
  return out;
}

// Base64url without padding, through OpenSSL's standard base64.
std::string to_base64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
  std::string in(text);
  for (char& c : in) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/' || c == '=') return std::nullopt;  // only our alphabet
  }
  const std::size_t pad = (4 - in.size() % 4) % 4;
  if (pad == 3) return std::nullopt;
  in.append(pad, '=');
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);  // EVP_DecodeBlock counts padding as zero bytes
  return out;
}

failure invalid(std::string_view why) {
  return failure::make(errc::invalid_cursor, "cursor: " + std::string(why), "cursor");
}

}  // namespace

fingerprint fingerprint_of(std::string_view material) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(material.data(), material.size(), digest, &len, EVP_sha256(), nullptr);
  fingerprint out{};
  std::memcpy(out.data(), digest, out.size());
  return out;
}

std::string encode_cursor(const cursor_state& state, std::string_view secret) {
  std::string body;
  body += static_cast<char>(version);
  body.append(reinterpret_cast<const char*>(state.query.data()), state.query.size());
  body += static_cast<char>(state.after.value ? 1 : 0);
  if (state.after.value) {
    const auto v = *state.after.value;  // zigzag keeps small negative values short
    put_varint(body, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  put_text(body, state.after.id);
  put_varint(body, state.exhausted.size());
  for (const auto& name : state.exhausted) put_text(body, name);
  auto tag = mac(body, secret);
  body.append(reinterpret_cast<const char*>(tag.data()), tag.size());
  return to_base64url(body);
}

result<cursor_state> decode_cursor(std::string_view text, std::string_view secret, const fingerprint& expected) {
  if (text.size() > max_cursor_chars) return invalid("too long");
  auto bytes = from_base64url(text);
  if (!bytes || bytes->size() < 1 + 16 + 1 + mac_size) return invalid("not a cursor of this API");
  std::string_view body(bytes->data(), bytes->size() - mac_size);
  auto tag = mac(body, secret);
  if (CRYPTO_memcmp(tag.data(), bytes->data() + body.size(), mac_size) != 0)
    return invalid("signature does not match (altered, or made by another deployment)");
  if (static_cast<unsigned char>(body.front()) != version) return invalid("unsupported version");
  body.remove_prefix(1);
  cursor_state state;
  std::memcpy(state.query.data(), body.data(), state.query.size());
  body.remove_prefix(state.query.size());
  if (state.query != expected) return invalid("made for a query with other filters or sort");
  const char has_value = body.front();
  body.remove_prefix(1);
  if (has_value) {
    std::uint64_t z;
    if (!get_varint(body, z)) return invalid("malformed");
    state.after.value = static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  std::uint64_t count;
  if (!get_text(body, state.after.id) || !get_varint(body, count) || count > 256) return invalid("malformed");
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string name;
    if (!get_text(body, name)) return invalid("malformed");
    state.exhausted.push_back(std::move(name));
  }
  if (!body.empty()) return invalid("malformed");
  return state;
}

}  // namespace cgw::api
