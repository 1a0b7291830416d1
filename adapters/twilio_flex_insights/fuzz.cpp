// Untrusted: a Twilio Flex Insights v1 list answer ({conversations, meta}), or one conversation;
// a list answer is read by both paths (the DOM's and the events', which must agree).
#include "adapters/twilio_flex_insights/translate.hpp"
#include "gateway/adapter/vendor_body.hpp"
#include "tests/fuzz/same_records.hpp"

#include <cstdlib>
#include <string_view>

namespace flex = cgw::adapters::twilio_flex_insights;

namespace {

// The sandbox's origin: its next_page_url links (in the seed corpus) are same-origin ones.
const cgw::upstream::endpoint& sandbox_endpoint() {
  static const cgw::upstream::endpoint ep = [] {
    auto parsed = cgw::upstream::parse_endpoint("http://127.0.0.1:39101");
    if (!parsed) std::abort();
    return *parsed;
  }();
  return ep;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view target = "/v1/Insights/Conversations?PageSize=3";
  auto dom = cgw::testing::through_dom(text, [&](const cgw::adapter::vendor_body& b) {
    return flex::read_page(b, "twilio_flex", sandbox_endpoint(), target);
  });
  if (!cgw::testing::first_difference(dom, flex::read_page(text, "twilio_flex", sandbox_endpoint(), target),
                                      [](const flex::page_read& a, const flex::page_read& b) {
                                        return a.skipped != b.skipped
                                                   ? std::string("skipped")
                                                   : cgw::testing::first_difference(a.page, b.page);
                                      })
           .empty())
    __builtin_trap();
  auto body = cgw::adapter::vendor_body::parse(text);
  if (!body) return 0;
  if (auto read = flex::read_page(*body, "twilio_flex", sandbox_endpoint(), target))
    for (const auto& c : read->page.records) (void)cgw::to_json(c, true);
  if (auto c = flex::to_conversation(body->value(), "twilio_flex")) (void)cgw::to_json(*c, true);
  return 0;
}
