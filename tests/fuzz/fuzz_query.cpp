// Untrusted: the client's query string.
#include "gateway/core/query.hpp"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto q = cgw::parse_list_query(text)) (void)q->fingerprint_material();
  return 0;
}
