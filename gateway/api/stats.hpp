// GET /v1/conversations/stats: counts and duration figures across vendors, each vendor
// answering in the cheapest way it has (its own aggregation or counts, else its records read
// with the list's walks), merged into one set of rows ordered by their group values.
#pragma once

#include "gateway/api/conversations.hpp"
#include "gateway/api/service.hpp"

#include <optional>
#include <string>

namespace cgw::api {

struct stats_answer {
  answer a;                        // JSON rows and meta, or the error
  std::optional<std::string> csv;  // the rows as CSV when the client accepts text/csv (meta in a header)
};

// The answer to a raw query string; per-vendor failures are data in meta, and the answer is an
// error only when the query is invalid or every vendor asked failed. `accept`: the Accept header.
net::awaitable<stats_answer> conversation_stats(const request_scope& scope, std::string_view query_string,
                                                std::string_view accept);

// Turns a JSON response into the CSV one (body, Content-Type, the meta header exposed to CORS).
void use_csv(response& res, std::string csv);

}  // namespace cgw::api
