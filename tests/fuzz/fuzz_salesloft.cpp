// Untrusted: a Salesloft answer, list page or single record.
#include "adapters/salesloft/translate.hpp"
#include "gateway/adapter/vendor_body.hpp"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto body = cgw::adapter::vendor_body::parse(text);
  if (!body) return 0;
  if (auto page = cgw::adapters::salesloft::read_page(*body, "salesloft"))
    for (const auto& c : page->records) (void)cgw::to_json(c, true);
  // A record is accepted only as the one asked for, never as another (the vendor answered another record).
  constexpr std::string_view asked = "6d8c9b1e-7f0a-4c2b-9a1d-000000000001";
  if (auto one = cgw::adapters::salesloft::read_one(*body, "salesloft", asked); one && one->native_id != asked)
    __builtin_trap();
  return 0;
}
