// The Zild sandbox: GET /api/Conversation/{id} over deterministic synthetic data, faithful
// to the wire contract in shared/vendors/README.md section 4 and the seed's field list.
//
// Where Zild's behaviour is unknown [?], the sandbox assumes what an ASP.NET Core API with
// JWT bearer auth does (documented in ../MAPPING.md): 401 with `WWW-Authenticate: Bearer` and
// an empty body; every other error an RFC 9457 problem {type, title, status, detail} served
// as application/problem+json; a path id that is not an int32 is a 400 problem; no rate limit
// of its own (429 only from the fault menu, with the problem body).
#pragma once

#include "adapters/sandbox/server.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace cgw::sandbox::zild {

struct options {
  std::string bearer_token = "sandbox-zild-jwt";
  std::uint32_t records = 300;
  std::uint64_t seed = 42;
  std::int32_t first_id = 48'000;  // ids grow from here, with gaps, as identity columns do
};

// `count` conversations with ascending int32 ids from `first_id`; the same seed gives the same
// data on every platform. The first records cover every status case and duration form, so even
// a tiny dataset has them. Never fails: ids that would pass INT32_MAX are not generated.
std::vector<boost::json::object> make_dataset(std::uint32_t count, std::uint64_t seed,
                                              std::int32_t first_id = 48'000);

// The handler, owning its dataset. Never fails.
std::unique_ptr<handler> make_handler(options opts);

// The records h serves, in id order. Throws std::bad_cast when h is not from make_handler.
const std::vector<boost::json::object>& dataset(handler& h);

}  // namespace cgw::sandbox::zild
