// Untrusted: any vendor's error body, in any shape or none.
#include "gateway/adapter/vendor_http.hpp"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto said = cgw::adapter::describe_error_body(text);
  if (said.size() > 4096) __builtin_trap();  // summaries stay short whatever the vendor sends
  return 0;
}
