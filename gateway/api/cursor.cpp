#include "gateway/api/cursor.hpp"

#include <cstring>

#include <openssl/crypto.h>

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

std::array<unsigned char, mac_size> mac_of(std::string_view data, const digest::hmac_sha256& mac) {
  const auto full = mac.sign(data);
  std::array<unsigned char, mac_size> out{};
  std::memcpy(out.data(), full.data(), out.size());
  return out;
}

failure invalid(std::string_view why) {
  return failure::make(errc::invalid_cursor, "cursor: " + std::string(why), "cursor");
}

}  // namespace

fingerprint fingerprint_of(std::string_view material) {
  const auto digest = digest::sha256(material);
  fingerprint out{};
  std::memcpy(out.data(), digest.data(), out.size());
  return out;
}

std::string encode_cursor(const cursor_state& state, const digest::hmac_sha256& mac) {
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
  auto tag = mac_of(body, mac);
  body.append(reinterpret_cast<const char*>(tag.data()), tag.size());
  return digest::base64url(body);
}

result<cursor_state> decode_cursor(std::string_view text, const digest::hmac_sha256& mac,
                                   const fingerprint& expected) {
  if (text.size() > max_cursor_chars) return invalid("too long");
  auto bytes = digest::from_base64url(text);
  if (!bytes || bytes->size() < 1 + 16 + 1 + mac_size) return invalid("not a cursor of this API");
  std::string_view body(bytes->data(), bytes->size() - mac_size);
  auto tag = mac_of(body, mac);
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
