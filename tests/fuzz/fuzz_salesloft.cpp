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
  (void)cgw::adapters::salesloft::read_one(*body, "salesloft");
  return 0;
}
