// Integration harness: the real gateway (service + server) in this process on
// 127.0.0.1:0, configured from JSON text, and a small blocking HTTP client.
#pragma once

#include "adapters/module.hpp"
#include "gateway/api/service.hpp"
#include "gateway/server/server.hpp"

#include <map>
#include <memory>
#include <string>

#include <boost/json/value.hpp>

namespace cgw::testing {

struct http_answer {
  unsigned status = 0;
  boost::json::value body;  // null when the body is not JSON
  std::string text;
  std::map<std::string, std::string> headers;  // lower-case names

  const boost::json::object& meta() const { return body.at("meta").as_object(); }
  const boost::json::array& data() const { return body.at("data").as_array(); }
};

// A blocking GET (or another method) to 127.0.0.1:port; fails the test on a socket error.
http_answer request(std::uint16_t port, const std::string& target,
                    const std::map<std::string, std::string>& headers = {},
                    const std::string& method = "GET");

class gateway {
 public:
  // Starts a gateway on 127.0.0.1:0 from a configuration text (listen is overridden).
  explicit gateway(const std::string& config_json);
  ~gateway();

  std::uint16_t port() const { return port_; }
  http_answer get(const std::string& target, const std::map<std::string, std::string>& headers = {}) const {
    return request(port_, target, headers);
  }

 private:
  adapter::registry types_;
  std::unique_ptr<api::service> service_;
  std::unique_ptr<server::server> server_;
  std::uint16_t port_ = 0;
};

// A minimal valid configuration body: `vendors` and optional `clients`/`tenants` JSON fragments.
std::string config_with(const std::string& vendors_json, const std::string& clients_json = "[]",
                        const std::string& tenants_json = "{}");

// Every record of a walk that follows next_cursor to the end; fails the test on a non-200 page.
std::vector<boost::json::object> walk(const gateway& gw, const std::string& query,
                                      std::size_t* pages = nullptr);

}  // namespace cgw::testing
