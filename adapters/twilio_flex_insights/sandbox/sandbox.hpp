// The Twilio Flex Insights v1 sandbox: GET /v1/Insights/Conversations over deterministic
// synthetic data, faithful to the wire contract in shared/vendors/README.md section 1 and
// to shared/vendors/openapi/twilio_flex_v1.insights_conversations.extract.json.
//
// - HTTP Basic auth (username:password); anything else is a 401 with Twilio's body, code 20003.
// - SegmentId, PageSize (1..1000, default 50), Page (>= 0, client state only) and PageToken
//   (only tokens this sandbox issued, bound to their SegmentId). A bad value is a 400 with
//   Twilio's body {code, message, more_info, status}, code 20001 - as Twilio also answers a
//   Page > 0 sent without a PageToken ("PageToken is required for paging.").
// - meta carries absolute URLs built from the request's Host header, so they lead back here.
// - The list order is stable but deliberately not time order: by a hash of the conversation.
// - 429 (code 20429, Twilio's concurrency limit) is the kit's rate_limit fault: the kit hands a
//   handler one request at a time after any injected latency, so a handler cannot observe how
//   many requests are in flight; tests trigger it with fault_menu::rate_limit_count instead.
#pragma once

#include "adapters/sandbox/server.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace cgw::sandbox::twilio_flex_insights {

struct options {
  std::string username = "ACsandbox";
  std::string password = "sandbox-flex-secret";
  std::uint32_t records = 3000;
  std::uint64_t seed = 42;
  // Test hooks, off when empty. foreign_next_host: next_page_url names this host[:port] instead
  // of the request's Host (a vendor handing out a link to another origin). forged_next_token:
  // next_page_url carries this PageToken, which the sandbox never issued (an expired or forged one).
  std::string foreign_next_host;
  std::string forged_next_token;
};

// `count` conversations; the same seed gives the same data on every platform. Never fails.
std::vector<boost::json::object> make_dataset(std::uint32_t count, std::uint64_t seed);

// The handler, owning its dataset. Never fails.
std::unique_ptr<handler> make_handler(options opts);

// The records h serves, in generation order (not the order it lists them in).
// Throws std::bad_cast when h is not from make_handler.
const std::vector<boost::json::object>& dataset(handler& h);

}  // namespace cgw::sandbox::twilio_flex_insights
