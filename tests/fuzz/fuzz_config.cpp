// Untrusted (by the gateway's standards): the operator's configuration file.
#include "config/loader.hpp"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  cgw::config::load_options options;
  options.env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "UNSET") return std::nullopt;
    return std::string("value-of-") + std::string(name);
  };
  (void)cgw::config::load_text(text, options);
  return 0;
}
