// The Twilio Insights v3 sandbox: the Conversations domain's Metadata and semantic Query
// endpoints over deterministic synthetic data, faithful to vendors/README.md section 3 and
// to the shapes of shared/vendors/openapi/twilio_insights_v3.json.
//
//   GET  /v3/InsightsDomains/Conversations/Metadata             -> {domain, cubes: [...]}
//   POST /v3/InsightsDomains/Conversations/Query?pageSize=N     -> {domain, items, meta}
//   GET  /v3/InsightsDomains/Conversations/Query?pageToken=T    -> the page T stands for
//
// Page tokens are base64 (with '+', '/' and '=') and carry the whole query and the offset,
// signed by the sandbox: any token it did not issue, or one older than token_ttl_ms, is a 400.
// The last page has no nextToken; every other last page says "nextToken": null instead, since
// the contract treats both alike. pageSize defaults to 50 and is clamped to max_page_size.
// Errors use Twilio's v1.0 body {code, message, httpStatusCode, userError, params}; every answer
// carries X-RateLimit-Limit/-Remaining/-Reset, and a spent per-minute budget is a 429.
// Filter and order semantics: semantic.hpp.
#pragma once

#include "adapters/sandbox/server.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace cgw::sandbox::twilio_insights_v3 {

struct options {
  std::string username = "ACsandbox";
  std::string password = "sandbox-insights-secret";
  std::uint32_t records = 3000;
  std::uint64_t seed = 42;
  std::vector<std::string> omit_dimensions;  // dimensions the cube lacks (Metadata and queries)
  std::uint32_t requests_per_minute = 600;   // 0 = unlimited
  std::uint32_t max_page_size = 1000;        // a larger pageSize is served in pages of this size
  std::uint32_t token_ttl_ms = 0;            // 0: page tokens never expire
};

// `count` conversations, each keyed by every dimension of the full cube; the same seed gives the
// same data on every platform. Never fails.
std::vector<boost::json::object> make_dataset(std::uint32_t count, std::uint64_t seed);

// The handler, owning its dataset. Never fails.
std::unique_ptr<handler> make_handler(options opts);

// The records h serves, in its internal order. Throws std::bad_cast when h is not from make_handler.
const std::vector<boost::json::object>& dataset(handler& h);

}  // namespace cgw::sandbox::twilio_insights_v3
