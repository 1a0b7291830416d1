#include "gateway/server/framing.hpp"

#include <boost/beast/http/error.hpp>

namespace cgw::server {

result<void> check_framing(const http::request_header<>& head, std::optional<std::uint64_t> content_length) {
  // A GET-only API has no use for chunked bodies; refusing every Transfer-Encoding closes the
  // request-smuggling paths where a proxy in front frames the bytes differently than Beast does.
  if (head.find(http::field::transfer_encoding) != head.end()) {
    if (head.find(http::field::content_length) != head.end())
      return failure::make(errc::invalid_request,
                           "a request must not have both Content-Length and Transfer-Encoding");
    return failure::make(errc::invalid_request, "Transfer-Encoding is not accepted on a request");
  }
  const auto verb = head.method();
  if ((verb == http::verb::get || verb == http::verb::head || verb == http::verb::options) &&
      content_length && *content_length > 0)
    return failure::make(errc::invalid_request,
                         "a " + std::string(head.method_string()) + " request must not have a body");
  return {};
}

result<void> check_framing(const http::request_parser<http::string_body>& parser) {
  const auto length = parser.content_length();
  return check_framing(parser.get().base(), length ? std::optional<std::uint64_t>(*length) : std::nullopt);
}

failure parse_failure(const beast::error_code& ec) {
  if (ec == http::error::header_limit || ec == http::error::body_limit)
    return failure::make(errc::payload_too_large, "the request is larger than this gateway accepts");
  return failure::make(errc::invalid_request, "the request is not valid HTTP/1.1: " + ec.message());
}

void apply_limits(http::request_parser<http::string_body>& parser, const config::server_config& limits) {
  parser.header_limit(limits.max_header_bytes);
  parser.body_limit(limits.max_body_bytes);
}

}  // namespace cgw::server
