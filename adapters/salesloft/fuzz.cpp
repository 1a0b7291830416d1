// Untrusted: a Salesloft answer, list page or single record, read by both paths (the DOM's and
// the events', which must agree record by record and failure by failure).
#include "adapters/salesloft/translate.hpp"
#include "gateway/adapter/vendor_body.hpp"
#include "tests/fuzz/same_records.hpp"

#include <string_view>

namespace {

constexpr std::string_view not_json = "the vendor's answer is not valid JSON";

template <class T>
cgw::result<T> unparsed() {
  return cgw::failure::make(cgw::errc::upstream_error, std::string(not_json));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sl = cgw::adapters::salesloft;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto body = cgw::adapter::vendor_body::parse(text);
  // A record is accepted only as the one asked for, never as another (the vendor answered another record).
  constexpr std::string_view asked = "6d8c9b1e-7f0a-4c2b-9a1d-000000000001";
  auto page = body ? sl::read_page(*body, "salesloft") : unparsed<cgw::adapter::vendor_page>();
  auto one = body ? sl::read_one(*body, "salesloft", asked) : unparsed<cgw::conversation>();
  if (page)
    for (const auto& c : page->records) (void)cgw::to_json(c, true);
  if (one && one->native_id != asked) __builtin_trap();
  if (!cgw::testing::first_difference(page, sl::read_page(text, "salesloft")).empty()) __builtin_trap();
  if (!cgw::testing::first_difference(one, sl::read_one(text, "salesloft", asked)).empty()) __builtin_trap();
  return 0;
}
