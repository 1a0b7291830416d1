// Untrusted: the bytes of a request head, as the server reads them: a request parser with the
// server's limits, then the server's framing rules; a refusal becomes the error response the
// server writes (its request id comes from the same untrusted head).
#include "gateway/api/service.hpp"
#include "gateway/server/framing.hpp"

#include <boost/asio/buffer.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cgw;
  static const config::server_config limits;
  http::request_parser<http::string_body> parser;
  server::apply_limits(parser, limits);
  parser.eager(false);  // the head only, as async_read_header reads it
  beast::error_code ec;
  std::size_t used = 0;
  while (!ec && !parser.is_header_done() && used < size) {
    const std::size_t n = parser.put(net::buffer(data + used, size - used), ec);
    if (n == 0 && !ec) break;  // needs more bytes than there are
    used += n;
  }
  if (ec == http::error::need_more) ec = {};
  std::optional<failure> refusal;
  if (ec)
    refusal = server::parse_failure(ec);
  else if (parser.is_header_done())
    if (auto framing = server::check_framing(parser); !framing) refusal = framing.error();
  if (refusal) {
    auto res = api::error_response(*refusal, api::request_id_for(parser.get()));
    if (res.body().empty() || res.find("X-Request-Id") == res.end())
      __builtin_trap();  // every refusal says who
  }
  return 0;
}
