// Structured logs: one spdlog logger per component, each line either a JSON object
// or human text, as configured. Callers pass fields, never formatted secrets.
#pragma once

#include "config/config.hpp"

#include <initializer_list>
#include <string_view>

#include <spdlog/common.h>
#include <boost/json/value.hpp>

namespace cgw::logging {

struct field {
  template <class T>
  field(std::string_view k, T&& v) : key(k), value(std::forward<T>(v)) {}
  std::string_view key;
  boost::json::value value;
};

// Sets level and format for every logger made afterwards (and the ones already made).
void setup(const config::logging_config& cfg);

// Writes one line for `component` ("gateway", "config", "adapter.twilio_insights_v3"); a line
// about a request carries its request_id field.
void emit(spdlog::level::level_enum level, std::string_view component, std::string_view message,
          std::initializer_list<field> fields = {});

}  // namespace cgw::logging
