// The Salesloft sandbox: GET /v2/conversations[/{id}] over deterministic synthetic data,
// faithful to the wire contract in shared/vendors/README.md section 2.
#pragma once

#include "adapters/sandbox/server.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace cgw::sandbox::salesloft {

struct options {
  std::string bearer_token = "sandbox-salesloft-token";
  std::uint32_t records = 3000;
  std::uint64_t seed = 42;
  std::uint32_t budget_per_minute = 600;  // cost points; 0 = unlimited
};

// `count` conversations; the same seed gives the same data on every platform. Never fails.
std::vector<boost::json::object> make_dataset(std::uint32_t count, std::uint64_t seed);

// The handler, owning its dataset. Never fails.
std::unique_ptr<handler> make_handler(options opts);

// The records h serves, in its internal order. Throws std::bad_cast when h is not from make_handler.
const std::vector<boost::json::object>& dataset(handler& h);

// Cost points charged so far. Throws std::bad_cast when h is not from make_handler.
// Not synchronized with a running server (see server::logic).
std::uint64_t cost_spent(handler& h);

}  // namespace cgw::sandbox::salesloft
