// GET /openapi.json: the OpenAPI 3.1 document of the public API, built from the
// router's own route table and the list endpoint's parameter table, so it cannot drift.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace cgw::api {

// The whole document. `vendor_types`: the adapter types registered (the Conversation's vendor_type enum).
boost::json::object openapi_document(const std::vector<std::string>& vendor_types);

}  // namespace cgw::api
