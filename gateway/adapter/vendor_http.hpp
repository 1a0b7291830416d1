// Vendor calls as adapters make them: one request, its status judged, its JSON
// parsed within limits, and a vendor's error answer turned into a safe failure.
#pragma once

#include "gateway/adapter/adapter.hpp"
#include "gateway/adapter/vendor_body.hpp"

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace cgw::adapter {

// A short, client-safe summary of a vendor error body in any of the shapes vendors
// use (Twilio {code,message,more_info,status}, Insights v3 {code,message,httpStatusCode,...},
// Salesloft {error} / {errors:{field:[..]}}, RFC 9457 problems, or not JSON at all).
// Never the raw body; empty when nothing readable was found. Each piece of vendor text is clipped
// to 200 bytes between UTF-8 characters.
std::string describe_error_body(std::string_view body);

// fetch_json without the parse: the checked answer, its body JSON by Content-Type but unread (the
// events readers take it). Fails as fetch_json does, except for what the body holds.
net::awaitable<result<policy::shared_response>> fetch_text(call_context& ctx, const upstream::endpoint& ep,
                                                           upstream::request req, std::size_t max_body_bytes,
                                                           double cost = 1);

// Sends one vendor read through the vendor's transport stack (ctx.transport) and parses its JSON answer.
// `cost` is the read's price in the vendor account's rate budget. Fails with not_found on 404,
// upstream_unauthorized on 401/403, upstream_rate_limited on 429, upstream_error on any other
// non-2xx status, a Content-Type that is not JSON, a non-JSON or too deeply nested body, and
// whatever the policies or the client fail with.
net::awaitable<result<vendor_body>> fetch_json(call_context& ctx, const upstream::endpoint& ep,
                                               upstream::request req, std::size_t max_body_bytes,
                                               double cost = 1);

}  // namespace cgw::adapter

namespace cgw::adapter {

// "Bearer <token>" or "Basic <base64(user:password)>", from whichever the vendor entry configures.
std::string authorization_header(const config::vendor_auth& auth);

// A GET (or other) request with the vendor's authorization and JSON accepted.
upstream::request vendor_request(http::verb method, std::string target, const std::string& authorization);

// The vendor's endpoint from its base_url, CA file, pool size and credentials (as a digest, the
// account its connections are pooled by); a failure names `vendors.<name>.base_url`.
result<upstream::endpoint> vendor_endpoint(const config::vendor_config& cfg);

}  // namespace cgw::adapter
