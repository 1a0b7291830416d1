// The conversation endpoints: one ordered stream across every selected vendor
// (concurrent fan-out, k-way merge, signed cursors), and one record by unified id.
#pragma once

#include "gateway/api/answer.hpp"
#include "gateway/api/runtime.hpp"
#include "gateway/core/query.hpp"
#include "gateway/upstream/client.hpp"

namespace cgw::api {

// Everything a request carries down to the vendors.
struct request_scope {
  const runtime& rt;
  const caller& who;
  upstream::client& http;
  deadline until;  // the whole request's deadline
  std::string_view request_id;
  std::string_view traceparent;  // sent on to every vendor call of this request
};

// GET /v1/conversations. Per-vendor failures are data in meta; the answer is an
// error only when the query is invalid or every vendor asked failed.
net::awaitable<answer> list_conversations(const request_scope& scope, const list_query& query);

// GET /v1/conversations/{id}: 400 for a malformed id, 404 for an unknown vendor or
// record, 403 for a vendor the caller may not reach, 502/504 when the vendor fails.
net::awaitable<answer> get_conversation(const request_scope& scope, std::string_view unified_id,
                                        bool include_raw);

// GET /v1/vendors: the vendors the caller may reach, what they can do, and their health.
answer list_vendors(const request_scope& scope);

}  // namespace cgw::api
