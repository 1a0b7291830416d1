// Untrusted: a Twilio Insights v3 answer, either a query page ({items, meta.nextToken}) or the
// domain's /Metadata ({cubes: [{dimensions: [{name}]}]}); every input goes through both readers,
// and a query page through both paths (the DOM's and the events', which must agree).
#include "adapters/twilio_insights_v3/translate.hpp"
#include "gateway/adapter/vendor_body.hpp"
#include "tests/fuzz/insights_every_field.hpp"
#include "tests/fuzz/same_records.hpp"

#include <string_view>

namespace v3 = cgw::adapters::twilio_insights_v3;

namespace {

const v3::dimension_map& every_field() {
  return cgw::testing::insights_every_field();
}

// Both paths of a query page agree, record by record and failure by failure.
void same_pages(std::string_view text, const v3::dimension_map& dims) {
  auto dom = cgw::testing::through_dom(
      text, [&](const cgw::adapter::vendor_body& b) { return v3::read_page(b, dims, "twilio_insights"); });
  if (!cgw::testing::first_difference(dom, v3::read_page(text, dims, "twilio_insights")).empty())
    __builtin_trap();
}

void read_items(const cgw::adapter::vendor_body& body, const v3::dimension_map& dims) {
  if (auto page = v3::read_page(body, dims, "twilio_insights"))
    for (const auto& c : page->records) (void)cgw::to_json(c, true);
  if (auto c = v3::to_conversation(body.value(), dims, "twilio_insights")) (void)cgw::to_json(*c, true);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  same_pages(text, v3::default_dimensions());
  same_pages(text, every_field());
  auto body = cgw::adapter::vendor_body::parse(text);
  if (!body) return 0;
  read_items(*body, v3::default_dimensions());
  read_items(*body, every_field());
  if (auto cube = v3::read_metadata(body->value())) {
    std::vector<std::pair<v3::field, std::string>> missing;
    auto present = v3::present_in(every_field(), *cube, &missing);
    // What the cube lacks is dropped, and only that.
    for (const auto& [f, dim] : missing)
      if (present.has(f) || cube->contains(dim)) __builtin_trap();
    (void)v3::absent_filters(present);
    (void)v3::pushable_filters(present);
    if (present.has(v3::field::native_id)) read_items(*body, present);
  }
  return 0;
}
