// Untrusted: the client's cursor. Half the inputs are signed first, so the decoder's
// body parser is reached past the MAC check too.
#include "gateway/api/cursor.hpp"

#include <string_view>

namespace {
const cgw::digest::hmac_sha256 mac("fuzz-cursor-secret-0123456789abcdef0123");
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cgw::api;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto fp = fingerprint_of("q");
  (void)decode_cursor(text, mac, fp);
  cursor_state state{fp,
                     cgw::sort_key{static_cast<std::int64_t>(size) * 7919 - 4000, std::string(text)},
                     {std::string(text.substr(0, 8))}};
  auto round = decode_cursor(encode_cursor(state, mac), mac, fp);
  if (!round || round->after != state.after) __builtin_trap();  // what we sign, we must read back
  return 0;
}
