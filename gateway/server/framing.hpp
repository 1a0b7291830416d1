// The framing rules of a request head (spec "Hostile HTTP"), pure so that the server and
// the fuzz target (tests/fuzz/fuzz_request_head.cpp) judge the same bytes the same way.
#pragma once

#include "config/config.hpp"
#include "gateway/core/error.hpp"
#include "gateway/net/net.hpp"

#include <cstdint>
#include <optional>

#include <boost/beast/http/parser.hpp>

namespace cgw::server {

// invalid_request when the head's framing is ambiguous or not allowed: any Transfer-Encoding
// (with or without Content-Length), or a body (non-zero Content-Length) on GET, HEAD or OPTIONS.
// `content_length` is what the parser read from the head.
result<void> check_framing(const http::request_header<>& head, std::optional<std::uint64_t> content_length);

// The same for the head a parser has read.
result<void> check_framing(const http::request_parser<http::string_body>& parser);

// The failure a parse error stands for: payload_too_large for the header or body limits,
// invalid_request for anything else (a bad request line, header or chunk). Never fails itself.
failure parse_failure(const beast::error_code& ec);

// Gives a request parser the server's limits (header and body sizes). Never fails.
void apply_limits(http::request_parser<http::string_body>& parser, const config::server_config& limits);

}  // namespace cgw::server
