// GET /openapi.json: the OpenAPI 3.1 document of the public API, built from the
// router's own route table and the list endpoint's parameter table, so it cannot drift.
#pragma once

#include <boost/json/object.hpp>

namespace cgw::api {

// The whole document.
boost::json::object openapi_document();

}  // namespace cgw::api
