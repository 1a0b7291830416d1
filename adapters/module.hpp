// A vendor module: everything the rest of the tree knows of one vendor type, exported by its
// folder (adapters/<vendor>/module.cpp) and registered by the one cgw_vendor_module() call in that
// folder's CMakeLists.txt. The gateway's config validation and /openapi.json, the sandbox program,
// the resilience fault matrix and the fuzz targets all read the modules; none of them names a
// vendor. (Envoy's extension factories and Lura's `proxy/factory.go` are the model.)
#pragma once

#include "adapters/sandbox/server.hpp"
#include "gateway/adapter/adapter.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

namespace cgw::adapters {

// One key a vendor entry's `options` object may hold.
struct option_spec {
  std::string_view key;
  std::string_view meaning;
};

// What the sandbox program's command line says of a vendor's data; each sandbox takes what
// applies to it (budget: Salesloft's cost points or Insights' requests a minute; 0 = unlimited).
struct sandbox_data {
  std::optional<std::uint32_t> records;
  std::optional<std::uint64_t> seed;
  std::optional<std::uint32_t> budget;
};

// A request answered by one record of the vendor's sandbox alone: its target and the record's
// native id. A vendor without a get names the record by a filter only it matches.
struct one_record_request {
  std::string target;
  std::string native_id;
};

// The vendor's sandbox, as the sandbox program and the tests drive it.
struct sandbox_profile {
  // vendor-sandbox --all serves it on the base port + this; fixed, so a vendor keeps its port as
  // others land.
  std::uint16_t port_offset = 0;
  std::unique_ptr<sandbox::handler> (*make)(const sandbox_data&) = nullptr;
  // A vendor entry's `auth` object the sandbox accepts, as JSON text.
  std::string_view auth;
  // Query parameters of a list the vendor serves in its own order (appended to `?vendor=..&`).
  std::string_view ordered_list;
  bool sends_retry_after = true;  // its 429 may carry Retry-After
  // Up to `n` requests to the gateway for the instance `vendor`, each answered by a record of its own.
  std::vector<one_record_request> (*one_record_requests)(sandbox::handler&, std::string_view vendor,
                                                         std::size_t n) = nullptr;
};

struct vendor_module {
  std::string_view type;  // the vendor entry's `type`
  // What every adapter of the type can do, whatever its options (its caps() say the same; a test
  // holds each module to it): the tests and the sandbox program read it without building one.
  bool can_list = false;
  bool can_get = false;
  std::span<const option_spec> options;  // the keys its entry's `options` may hold; any other is refused
  // Builds the adapter from its vendor entry (its options already checked against `options`); a
  // failure names the config key at fault.
  result<std::unique_ptr<adapter::adapter>> (*make_adapter)(const config::vendor_config&) = nullptr;
  sandbox_profile sandbox;
};

// Every registered module, in registration order. Defined by the table CMake writes from the
// cgw_vendor_module() calls: cgw_vendor_modules has the product's, cgw_test_vendor_modules adds the
// test-only ones.
std::span<const vendor_module* const> modules();

// A sandbox's options with the command line's records and seed, where given.
template <class Options>
Options with_records_and_seed(const sandbox_data& data, Options o) {
  o.records = data.records.value_or(o.records);
  o.seed = data.seed.value_or(o.seed);
  return o;
}

// Gets of the first `n` of `records` by native id (`id_of(record)`), for a vendor with a get.
template <class IdOf>
std::vector<one_record_request> gets_of(std::string_view vendor,
                                        const std::vector<boost::json::object>& records, std::size_t n,
                                        IdOf id_of) {
  std::vector<one_record_request> out;
  for (std::size_t i = 0; i < records.size() && out.size() < n; ++i) {
    std::string id = id_of(records[i]);
    out.push_back({"/v1/conversations/" + std::string(vendor) + ":" + id, id});
  }
  return out;
}

// The module of a vendor type; nullptr when none is registered.
const vendor_module* find_module(std::string_view type);

// Adds every module's adapter factory to `r`; the factory refuses an option key its module does
// not list, naming `vendors.<name>.options.<key>`.
void register_adapters(adapter::registry& r);

}  // namespace cgw::adapters
