// Untrusted: a Zild conversation (the bare object GET /api/Conversation/{id} answers), and the
// strings inside it that have their own parsers: the .NET TimeSpan duration and the int32 id. The
// answer is read by both paths (the DOM's and the events', which must agree).
#include "adapters/zild/translate.hpp"
#include "gateway/adapter/vendor_body.hpp"
#include "tests/fuzz/same_records.hpp"

#include <string>
#include <string_view>

namespace zild = cgw::adapters::zild;

namespace {

// TimeSpan.MaxValue (10675199.02:48:05.4775807) in whole milliseconds.
constexpr std::int64_t max_timespan_ms = 922'337'203'685'477;

void check_timespan(std::string_view s) {
  if (auto ms = zild::parse_timespan_ms(s); ms && (*ms < 0 || *ms > max_timespan_ms)) __builtin_trap();
}

void check_native_id(std::string_view s) {
  // One conversation, one id: whatever is accepted is the canonical decimal form.
  if (auto id = zild::parse_native_id(s); id && std::to_string(*id) != s) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // The raw bytes as the strings themselves (the seed corpus has bare TimeSpans).
  check_timespan(text);
  check_native_id(text);
  // The id the record carries (so that its fields are compared), and another.
  std::int32_t own = 7;
  if (auto b = cgw::adapter::vendor_body::parse(text))
    if (auto c = zild::to_conversation(b->value(), "zild"))
      if (auto id = zild::parse_native_id(c->native_id)) own = *id;
  for (std::int32_t asked : {own, own ^ 1}) {
    auto dom = cgw::testing::through_dom(
        text, [&](const cgw::adapter::vendor_body& b) { return zild::read_one(b, "zild", asked); });
    if (!cgw::testing::first_difference(dom, zild::read_one(text, "zild", asked)).empty()) __builtin_trap();
  }
  auto body = cgw::adapter::vendor_body::parse(text);
  if (!body) return 0;
  if (const auto* o = body->value().if_object()) {
    if (auto it = o->find("duration"); it != o->end() && it->value().is_string())
      check_timespan(it->value().get_string());
    (void)zild::status_of(*o);
  }
  if (auto c = zild::to_conversation(body->value(), "zild")) {
    (void)cgw::to_json(*c, true);
    check_native_id(c->native_id);
    if (auto asked = zild::parse_native_id(c->native_id)) {
      if (!zild::read_one(*body, "zild", *asked)) __builtin_trap();     // the record asked for is accepted
      if (zild::read_one(*body, "zild", *asked ^ 1)) __builtin_trap();  // another is not
    }
  }
  return 0;
}
