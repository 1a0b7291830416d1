// The streaming writer against the DOM: a record whose strings and numbers are cut from the
// input is written by write_json, and what is written must parse and equal to_json's object.
#include "gateway/core/conversation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <boost/json/parse.hpp>

namespace {

namespace json = boost::json;

// Well-formed UTF-8 (Unicode table 3-7: no overlongs, no surrogates, nothing past U+10FFFF),
// as Boost.JSON's parser demands; vendor text reaches the records through that parser.
bool valid_utf8(std::string_view s) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  for (std::size_t i = 0; i < s.size();) {
    const unsigned c = byte(i);
    std::size_t n = c < 0x80                 ? 1
                    : c >= 0xc2 && c <= 0xdf ? 2
                    : c >= 0xe0 && c <= 0xef ? 3
                    : c >= 0xf0 && c <= 0xf4 ? 4
                                             : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const unsigned t = byte(i + k);
      unsigned lo = 0x80, hi = 0xbf;
      if (k == 1 && c == 0xe0) lo = 0xa0;
      if (k == 1 && c == 0xed) hi = 0x9f;
      if (k == 1 && c == 0xf0) lo = 0x90;
      if (k == 1 && c == 0xf4) hi = 0x8f;
      if (t < lo || t > hi) return false;
    }
    i += n;
  }
  return true;
}

// The DOM as JSON can hold it: a non-finite double (a raw record's 1e999 parses as infinity)
// is null, as the writer writes it.
void as_json(json::value& v) {
  if (v.is_double() && !std::isfinite(v.get_double())) v = nullptr;
  if (v.is_array())
    for (auto& e : v.get_array()) as_json(e);
  if (v.is_object())
    for (auto& m : v.get_object()) as_json(m.value());
}

// Reads the input front to back; past its end every read is empty or zero.
struct input {
  const std::uint8_t* p;
  std::size_t n;

  std::uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  template <class T>
  T number() {
    T v{};
    const std::size_t k = std::min(sizeof v, n);
    std::memcpy(&v, p, k);
    p += k, n -= k;
    return v;
  }
  std::string text() {
    const std::size_t len = std::min<std::size_t>(byte(), n);
    std::string s(reinterpret_cast<const char*>(p), len);
    p += len, n -= len;
    if (!valid_utf8(s))
      for (auto& c : s)
        if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    return s;
  }
  cgw::opt_string maybe_text() { return byte() & 1 ? cgw::opt_string(text()) : std::nullopt; }
  template <class T>
  std::optional<T> maybe_number() {
    return byte() & 1 ? std::optional<T>(number<T>()) : std::nullopt;
  }
  std::size_t count() { return byte() % 4; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input in{data, size};
  const bool include_raw = in.byte() & 1;
  cgw::conversation c;
  const std::string vendor = in.text(), type = in.text();
  cgw::set_identity(c, vendor, type, in.text());
  c.account_id = in.maybe_text(), c.title = in.maybe_text(), c.channel = in.maybe_text();
  c.platform = in.maybe_text(), c.language = in.maybe_text();
  c.started_at = in.maybe_number<std::int64_t>(), c.ended_at = in.maybe_number<std::int64_t>();
  c.created_at = in.maybe_number<std::int64_t>(), c.updated_at = in.maybe_number<std::int64_t>();
  c.duration_ms = in.maybe_number<std::int64_t>();
  for (std::size_t i = in.count(); i > 0; --i) c.agents.push_back({in.maybe_text(), in.maybe_text()});
  for (std::size_t i = in.count(); i > 0; --i) {
    cgw::segment s;
    s.id = in.maybe_text(), s.order = in.maybe_number<std::int64_t>(),
    s.started_at = in.maybe_number<std::int64_t>();
    s.offset_s = in.maybe_number<double>(), s.talk_time_s = in.maybe_number<double>(),
    s.agent_name = in.maybe_text();
    c.segments.push_back(std::move(s));
  }
  for (std::size_t i = in.count(); i > 0; --i) {
    cgw::message m;
    m.id = in.maybe_text(), m.sent_at = in.maybe_number<std::int64_t>(), m.from = in.maybe_text();
    m.to = in.maybe_text(), m.content = in.maybe_text(), m.sentiment = in.maybe_text(),
    m.type = in.maybe_text();
    c.messages.push_back(std::move(m));
  }
  c.sentiment = in.maybe_text(), c.summary = in.maybe_text();
  for (std::size_t i = in.count(); i > 0; --i) c.tags.push_back(in.text());
  c.score = in.maybe_number<double>(), c.status = in.maybe_text();
  for (std::size_t i = in.count(); i > 0; --i) {
    std::string name = in.text();
    c.links.emplace_back(std::move(name), in.text());
  }
  if (in.byte() & 1) {  // a native record: what is left of the input, when it is JSON
    json::error_code ec;
    auto v = json::parse(std::string_view(reinterpret_cast<const char*>(in.p), in.n), ec);
    c.raw = std::make_shared<const json::object>(!ec && v.is_object() ? std::move(v.get_object())
                                                                      : json::object{});
  }

  std::string out;
  cgw::json_writer w(out);
  cgw::write_json(w, c, include_raw);
  json::value dom = cgw::to_json(c, include_raw);
  as_json(dom);
  json::error_code ec;
  const json::value back = json::parse(out, ec);
  if (ec || back != dom) std::abort();
  return 0;
}
