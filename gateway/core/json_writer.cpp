#include "gateway/core/json_writer.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <boost/json/value.hpp>

namespace cgw {
namespace {

// What follows the backslash for each byte that must be escaped ('u': \u00XX); 0 passes through.
// The same table as Boost.JSON's serializer: only `"`, `\` and the control characters.
constexpr std::array<char, 256> escapes = [] {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 'u';
  t['\b'] = 'b', t['\t'] = 't', t['\n'] = 'n', t['\f'] = 'f', t['\r'] = 'r';
  t['"'] = '"', t['\\'] = '\\';
  return t;
}();

// The first byte from `p` that must be escaped, or `end`: a control character, a quote or a
// backslash. Most text has none, and this is the writer's hottest loop, so bytes are tested
// sixteen at a time with SSE2 (every x86-64 has it), else eight at a time in a word; the last few
// are tested in a last block that ends at `end` (overlapping), or, in text shorter than a block, in
// a copy padded with a byte that needs no escape: there is no loop per byte.
// (A word has a byte below n when (x - n*ones) & ~x & highs, n <= 0x80, and a byte equal to c
// when (x ^ c*ones) has a zero byte; the lowest byte flagged is exact.)
const char* next_escape(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  constexpr std::size_t block = 16;
  auto first = [](const char* b) -> int {  // the offset of the first byte to escape in b[0..16), or -1
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
    const __m128i below = _mm_cmplt_epi8(_mm_xor_si128(x, _mm_set1_epi8(static_cast<char>(0x80))),
                                         _mm_set1_epi8(static_cast<char>(0x20 ^ 0x80)));  // unsigned x < 0x20
    const __m128i hit = _mm_or_si128(
        below, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
    const int mask = _mm_movemask_epi8(hit);
    return mask ? __builtin_ctz(static_cast<unsigned>(mask)) : -1;
  };
#else
  constexpr std::size_t block = 8;
  auto first = [](const char* b) -> int {
    constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
    auto zero_byte = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
    std::uint64_t x;
    std::memcpy(&x, b, sizeof x);
    const std::uint64_t hit =
        ((x - 0x20 * ones) & ~x & highs) | zero_byte(x ^ ('"' * ones)) | zero_byte(x ^ ('\\' * ones));
    if (!hit) return -1;
    return std::endian::native == std::endian::little ? __builtin_ctzll(hit) / 8 : __builtin_clzll(hit) / 8;
  };
#endif
  const std::size_t n = static_cast<std::size_t>(end - p);
  if (n >= block) {
    for (; static_cast<std::size_t>(end - p) >= block; p += block)
      if (const int at = first(p); at >= 0) return p + at;
    if (p == end) return end;
    // The last block ends at `end` and overlaps bytes already found clean, so its first hit is
    // the first one after `p`.
    const int at = first(end - block);
    return at >= 0 ? end - block + at : end;
  }
  if (n == 0) return end;
  char tail[block];
  std::memset(tail, 'a', block);
  std::memcpy(tail, p, n);
  const int at = first(tail);
  return at >= 0 ? p + at : end;
}

}  // namespace

// Trims only: a text already taken (moved from) is left as it is.
json_writer::~json_writer() {
  if (out_.size() > len_) out_.resize(len_);
}

void json_writer::grow(std::size_t n) {
  // Past what is written, `out_` holds room that is not yet part of the document (see len_):
  // the capacity it already has, else room growing with what this writer wrote (not with what
  // `out_` held before it).
  const std::size_t ahead = std::max({n, len_ - start_, std::size_t{256}});
  out_.resize(std::max(len_ + ahead, out_.capacity()));
}

void json_writer::settle() {
  if (first_.empty() && !after_key_ && out_.size() > len_)
    out_.resize(len_);  // a whole document or splice: exact
}

void json_writer::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (first_.empty()) return;  // a document's one value, or a splice
  if (first_.back())
    first_.back() = false;
  else
    put(',');
}

void json_writer::begin_object() {
  separate();
  put('{');
  first_.push_back(true);
}

void json_writer::end_object() {
  assert(!first_.empty() && !after_key_);
  first_.pop_back();
  put('}');
  settle();
}

void json_writer::begin_array() {
  separate();
  put('[');
  first_.push_back(true);
}

void json_writer::end_array() {
  assert(!first_.empty() && !after_key_);
  first_.pop_back();
  put(']');
  settle();
}

void json_writer::begin_members() {
  separate();
  first_.push_back(true);
}

void json_writer::end_members() {
  assert(!first_.empty() && !after_key_);
  first_.pop_back();
  settle();
}

void json_writer::key(std::string_view name) {
  assert(!after_key_);
  separate();
  escaped(name);
  put(':');
  after_key_ = true;
}

void json_writer::plain_key(std::string_view name) {
  assert(!after_key_ && next_escape(name.data(), name.data() + name.size()) == name.data() + name.size());
  separate();
  char* p = room(name.size() + 3);  // "name":
  p[0] = '"';
  std::memcpy(p + 1, name.data(), name.size());
  p[name.size() + 1] = '"';
  p[name.size() + 2] = ':';
  len_ += name.size() + 3;
  after_key_ = true;
}

void json_writer::string(std::string_view s) {
  separate();
  escaped(s);
  settle();
}

void json_writer::escaped(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  const char* p = s.data();
  const char* const end = s.data() + s.size();
  const char* q = next_escape(p, end);
  if (q == end) {  // most text: nothing to escape
    char* o = room(s.size() + 2);
    o[0] = '"';
    std::memcpy(o + 1, p, s.size());
    o[s.size() + 1] = '"';
    len_ += s.size() + 2;
    return;
  }
  put('"');
  for (;; q = next_escape(p, end)) {
    put(p, static_cast<std::size_t>(q - p));
    if (q == end) break;
    const char e = escapes[static_cast<unsigned char>(*q)];
    const char seq[6] = {'\\', e, '0', '0', hex[(*q >> 4) & 0xf], hex[*q & 0xf]};
    put(seq, e == 'u' ? 6 : 2);
    p = q + 1;
  }
  put('"');
}

void json_writer::null() {
  separate();
  put("null", 4);
  settle();
}

void json_writer::boolean(bool b) {
  separate();
  b ? put("true", 4) : put("false", 5);
  settle();
}

void json_writer::int64(std::int64_t n) {
  separate();
  char* p = room(24);
  len_ += static_cast<std::size_t>(std::to_chars(p, p + 24, n).ptr - p);
  settle();
}

void json_writer::uint64(std::uint64_t n) {
  separate();
  char* p = room(24);
  len_ += static_cast<std::size_t>(std::to_chars(p, p + 24, n).ptr - p);
  settle();
}

void json_writer::number(double d) {
  if (!std::isfinite(d)) return null();
  separate();
  char buf[32];  // the shortest round-trip form of a double takes at most 24
  auto r = std::to_chars(buf, buf + sizeof buf - 2, d);
  if (std::string_view(buf, r.ptr).find_first_of(".e") == std::string_view::npos)
    *r.ptr++ = '.', *r.ptr++ = '0';
  put(buf, static_cast<std::size_t>(r.ptr - buf));
  settle();
}

void json_writer::raw(std::string_view json) {
  separate();
  put(json.data(), json.size());
  settle();
}

void json_writer::raw_members(std::string_view members) {
  assert(!first_.empty() && !after_key_);
  if (members.empty()) return;
  separate();
  put(members.data(), members.size());
}

// Walked rather than handed to json::serializer, which writes a non-finite double (a vendor's
// 1e999 reads as infinity) as `Infinity`, not JSON; the depth is bounded by the parser's (32).
void json_writer::dom(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return null();
    case boost::json::kind::bool_:
      return boolean(v.get_bool());
    case boost::json::kind::int64:
      return int64(v.get_int64());
    case boost::json::kind::uint64:
      return uint64(v.get_uint64());
    case boost::json::kind::double_:
      return number(v.get_double());
    case boost::json::kind::string:
      return string(v.get_string());
    case boost::json::kind::array:
      begin_array();
      for (const auto& e : v.get_array()) dom(e);
      return end_array();
    case boost::json::kind::object:
      return dom(v.get_object());
  }
}

void json_writer::dom(const boost::json::object& o) {
  begin_object();
  for (const auto& m : o) key(m.key()), dom(m.value());
  end_object();
}

}  // namespace cgw
