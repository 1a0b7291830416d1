#include "gateway/api/openapi.hpp"

#include "gateway/api/service.hpp"
#include "gateway/core/query.hpp"
#include "gateway/core/stats.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

namespace cgw::api {
namespace {

namespace json = boost::json;

// Schemas of the spec's objects (unified-api.md), in JSON Schema 2020-12 as OpenAPI 3.1 takes it.
constexpr const char* components = R"({
  "securitySchemes": {
    "bearer": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <client key>"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}
  },
  "schemas": {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
      "required": ["code", "message", "request_id"], "properties": {
        "code": {"type": "string", "enum": ["invalid_parameter", "unknown_parameter", "invalid_cursor", "invalid_id",
          "unauthorized", "forbidden", "not_found", "method_not_allowed", "payload_too_large", "rate_limited",
          "internal", "unsupported", "upstream_error", "draining", "overloaded", "deadline_exceeded"]},
        "message": {"type": "string"}, "parameter": {"type": "string"}, "request_id": {"type": "string"}}},
      "meta": {"$ref": "#/components/schemas/ListMeta"}}},
    "Agent": {"type": "object", "properties": {"id": {"type": ["string", "null"]}, "name": {"type": ["string", "null"]}}},
    "Segment": {"type": "object", "properties": {"id": {"type": ["string", "null"]}, "order": {"type": ["integer", "null"]},
      "started_at": {"type": ["string", "null"], "format": "date-time"}, "offset_s": {"type": ["number", "null"]},
      "talk_time_s": {"type": ["number", "null"]}, "agent_name": {"type": ["string", "null"]}}},
    "Message": {"type": "object", "properties": {"id": {"type": ["string", "null"]},
      "sent_at": {"type": ["string", "null"], "format": "date-time"}, "from": {"type": ["string", "null"]},
      "to": {"type": ["string", "null"]}, "content": {"type": ["string", "null"]},
      "sentiment": {"type": ["string", "null"]}, "type": {"type": ["string", "null"]}}},
    "Conversation": {"type": "object", "required": ["id", "vendor", "vendor_type", "native_id"], "properties": {
      "id": {"type": "string", "description": "<vendor>:<native id>"}, "vendor": {"type": "string"},
      "vendor_type": {"type": "string", "description": "the adapter types registered"},
      "native_id": {"type": "string"}, "account_id": {"type": ["string", "null"]}, "title": {"type": ["string", "null"]},
      "channel": {"type": ["string", "null"], "enum": ["voice", "video", "chat", "sms", "email", "other", null]},
      "platform": {"type": ["string", "null"]}, "language": {"type": ["string", "null"]},
      "started_at": {"type": ["string", "null"], "format": "date-time"},
      "ended_at": {"type": ["string", "null"], "format": "date-time"},
      "created_at": {"type": ["string", "null"], "format": "date-time"},
      "updated_at": {"type": ["string", "null"], "format": "date-time"},
      "duration_ms": {"type": ["integer", "null"]},
      "agents": {"type": "array", "items": {"$ref": "#/components/schemas/Agent"}},
      "segments": {"type": "array", "items": {"$ref": "#/components/schemas/Segment"}},
      "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
      "sentiment": {"type": ["string", "null"]}, "summary": {"type": ["string", "null"]},
      "tags": {"type": "array", "items": {"type": "string"}}, "score": {"type": ["number", "null"]},
      "status": {"type": ["string", "null"], "enum": ["active", "queued", "finished", null]},
      "links": {"type": "object", "additionalProperties": {"type": "string"}},
      "raw": {"type": "object", "description": "only with include=raw"}}},
    "VendorMeta": {"type": "object", "required": ["status"], "properties": {
      "status": {"type": "string", "enum": ["ok", "error", "unsupported", "circuit_open", "rate_limited"]},
      "reason": {"type": "string"}, "returned": {"type": "integer"},
      "pushed_down": {"type": "array", "items": {"type": "string"}},
      "filtered_locally": {"type": "array", "items": {"type": "string"}},
      "upstream_requests": {"type": "integer"}, "latency_ms": {"type": "number"},
      "retry_after_s": {"type": "integer"}, "truncated": {"type": "boolean"}, "note": {"type": "string"},
      "error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
    "ListMeta": {"type": "object", "properties": {"page_size": {"type": "integer"},
      "next_cursor": {"type": ["string", "null"]}, "partial": {"type": "boolean"},
      "vendors": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/VendorMeta"}},
      "timing": {"type": "object", "properties": {"slowest_vendor_ms": {"type": "number"}, "total_ms": {"type": "number"}}}}},
    "ConversationList": {"type": "object", "required": ["data", "meta"], "properties": {
      "data": {"type": "array", "items": {"$ref": "#/components/schemas/Conversation"}},
      "meta": {"$ref": "#/components/schemas/ListMeta"}}},
    "VendorPlan": {"type": "object", "required": ["status"], "description": "what a vendor would be asked, without asking it", "properties": {
      "status": {"type": "string", "enum": ["ok", "unsupported"]}, "reason": {"type": "string"},
      "pushed_down": {"type": "array", "items": {"type": "string"}},
      "filtered_locally": {"type": "array", "items": {"type": "string"}},
      "native_sort": {"type": "boolean"},
      "method": {"type": "string", "enum": ["vendor_aggregate", "vendor_counts", "records"]},
      "requests": {"description": "the list's first vendor request (vendor-specific), or how many the stats take"},
      "calls": {"type": "array", "items": {"type": "object"}}, "scan_limit": {"type": "integer"},
      "budget_points": {"type": "number"}}},
    "ListPlan": {"type": "object", "required": ["plan"], "description": "explain=true: the page's plan", "properties": {
      "plan": {"type": "object", "required": ["sort", "page_size", "vendors"], "properties": {
        "sort": {"type": "string"}, "page_size": {"type": "integer"},
        "vendors": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/VendorPlan"}}}}}},
    "StatsPlan": {"type": "object", "required": ["plan"], "description": "explain=true: each vendor's way and cost", "properties": {
      "plan": {"type": "object", "required": ["group_by", "measures", "vendors"], "properties": {
        "group_by": {"type": "array", "items": {"type": "string"}}, "measures": {"type": "array", "items": {"type": "string"}},
        "vendors": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/VendorPlan"}}}}}},
    "StatsRow": {"type": "object", "required": ["group"], "properties": {
      "group": {"type": "object", "description": "one entry per group_by field: its value, or null (the null group); a time bucket is its start, RFC 3339 UTC",
        "additionalProperties": {"type": ["string", "null"]}},
      "count": {"type": "integer", "description": "records in the group; a conversation with several agents counts once per agent"},
      "duration_ms": {"type": "object", "description": "only the requested figures; null when no record of the group has a duration",
        "properties": {"sum": {"type": ["integer", "null"]}, "avg": {"type": ["number", "null"]},
          "min": {"type": ["integer", "null"]}, "max": {"type": ["integer", "null"]},
          "p50": {"type": ["integer", "null"], "description": "nearest rank; null also when a vendor aggregated server-side, with exact false"},
          "p90": {"type": ["integer", "null"], "description": "nearest rank; null also when a vendor aggregated server-side, with exact false"}}}}},
    "StatsVendorMeta": {"type": "object", "required": ["status"], "properties": {
      "status": {"type": "string", "enum": ["ok", "error", "unsupported", "circuit_open", "rate_limited"]},
      "method": {"type": "string", "enum": ["vendor_aggregate", "vendor_counts", "records"]},
      "exact": {"type": "boolean"}, "truncated": {"type": "boolean", "description": "a records read stopped at the vendor's scan_limit"},
      "records_read": {"type": "integer"}, "reason": {"type": "string"}, "note": {"type": "string"},
      "pushed_down": {"type": "array", "items": {"type": "string"}},
      "filtered_locally": {"type": "array", "items": {"type": "string"}},
      "upstream_requests": {"type": "integer"}, "budget_points": {"type": "number"},
      "cache": {"type": "string", "enum": ["miss", "coalesced", "hit"]}, "latency_ms": {"type": "number"},
      "retry_after_s": {"type": "integer"},
      "error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
    "StatsMeta": {"type": "object", "properties": {"partial": {"type": "boolean"}, "exact": {"type": "boolean"},
      "group_by": {"type": "array", "items": {"type": "string"}}, "measures": {"type": "array", "items": {"type": "string"}},
      "tz": {"type": "string"}, "groups": {"type": "integer"},
      "cache": {"type": "string", "enum": ["hit"], "description": "the answer was kept from an identical (normalized) query within cache.ttl_ms"},
      "vendors": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/StatsVendorMeta"}},
      "timing": {"type": "object", "properties": {"total_ms": {"type": "number"}}}}},
    "Stats": {"type": "object", "required": ["data", "meta"], "properties": {
      "data": {"type": "array", "description": "rows ordered by their group values ascending (byte order), nulls last",
        "items": {"$ref": "#/components/schemas/StatsRow"}},
      "meta": {"$ref": "#/components/schemas/StatsMeta"}}},
    "Vendor": {"type": "object", "properties": {"name": {"type": "string"}, "type": {"type": "string"},
      "host": {"type": ["string", "null"]}, "can_list": {"type": "boolean"}, "can_get": {"type": "boolean"},
      "pushdown_filters": {"type": "array", "items": {"type": "string"}},
      "native_sorts": {"type": "array", "items": {"type": "string"}}, "health": {"type": "object"}}}
  }
})";

json::object error_response(const char* why) {
  return {{"description", why},
          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

// A JSON answer of one of `schemas` (components), as the description says.
json::object json_response(const char* why, std::initializer_list<const char*> schemas) {
  json::array one_of;
  for (const char* s : schemas)
    one_of.push_back(json::object{{"$ref", std::string("#/components/schemas/") + s}});
  json::object schema =
      one_of.size() == 1 ? one_of[0].as_object() : json::object{{"oneOf", std::move(one_of)}};
  return {{"description", why}, {"content", {{"application/json", {{"schema", std::move(schema)}}}}}};
}

// A response with the named headers documented (as strings).
json::object with_headers(json::object response, std::initializer_list<const char*> names) {
  json::object headers;
  for (const char* name : names) {
    const std::string_view n = name;
    const char* what = n == "Retry-After" ? "seconds until a retry may succeed"
                       : n == "RateLimit-Policy"
                           ? "the client's limit, IETF draft: \"client\";q=<burst>;w=<seconds>"
                           : "what is left, IETF draft: \"client\";r=<requests>;t=<seconds>";
    headers[name] = json::object{{"description", what}, {"schema", {{"type", "string"}}}};
  }
  response["headers"] = std::move(headers);
  return response;
}

// An optional query parameter of a table (the list's or the stats').
template <class Row>
json::object query_parameter(const Row& p) {
  return {{"name", p.name},
          {"in", "query"},
          {"required", false},
          {"description", p.description},
          {"schema", {{"type", p.type}}},
          {"example", p.example}};
}

// What the server layer answers on any path, before routing (spec "Hostile HTTP", "Overload").
void add_server_answers(json::object& responses, const route& r) {
  if (!responses.contains("400"))
    responses["400"] =
        error_response("invalid_request: malformed or ambiguous framing; the connection is closed");
  responses["408"] =
      error_response("the request's header section did not arrive within server.header_timeout_ms");
  responses["413"] = error_response("the request is larger than this gateway accepts");
  responses["503"] =
      with_headers(error_response(r.path == "/readyz" ? "draining, or overloaded"
                                                      : "draining, or overloaded (server.max_in_flight)"),
                   {"Retry-After"});
}

json::object operation_for(const route& r) {
  json::object op{{"summary", r.summary}, {"operationId", r.path}};
  json::object responses;
  json::array parameters;
  if (r.path == "/v1/conversations") {
    for (const auto& p : list_parameters()) parameters.push_back(query_parameter(p));
    responses["200"] = json_response("One page of the merged stream (or, with explain=true, the plan)",
                                     {"ConversationList", "ListPlan"});
    responses["400"] =
        error_response("invalid_parameter, unknown_parameter or invalid_cursor, naming the parameter");
    responses["403"] = error_response("a vendor named in `vendor` is not reachable by this client");
    responses["502"] = error_response("every selected vendor failed (per-vendor entries in meta)");
    responses["504"] = error_response("no vendor answered within the deadline");
  } else if (r.path == "/v1/conversations/stats") {
    for (const auto& p : list_parameters()) {
      if (p.name == "sort" || p.name == "page_size" || p.name == "cursor" || p.name == "include" ||
          p.name == "explain")
        continue;  // refused here (unknown_parameter); explain has its own meaning below
      parameters.push_back(query_parameter(p));
    }
    for (const auto& p : stats_parameters()) parameters.push_back(query_parameter(p));
    parameters.push_back(json::object{{"name", "Accept"},
                                      {"in", "header"},
                                      {"required", false},
                                      {"description", "text/csv for the rows as CSV; anything else: JSON"},
                                      {"schema", {{"type", "string"}}}});
    json::object ok = json_response(
        "The rows (or, with explain=true, each vendor's plan: method, calls, requests, budget points). "
        "Each vendor answers by vendor_aggregate (server-side), vendor_counts (vendor-side counts) or "
        "records (its records read and aggregated by the gateway); the figures are the same either way.",
        {"Stats", "StatsPlan"});
    ok["content"].as_object()["text/csv"] =
        json::object{{"schema",
                      {{"type", "string"},
                       {"description",
                        "RFC 4180, CRLF line ends, a header row: the group_by fields, then the measures "
                        "(count, duration_ms.sum, ...); a null value is an empty field"}}}};
    ok["headers"] =
        json::object{{"X-Conversation-Stats-Meta",
                      json::object{{"description", "with text/csv: the StatsMeta object as compact JSON"},
                                   {"schema", {{"type", "string"}}}}}};
    responses["200"] = std::move(ok);
    responses["400"] = error_response(
        "invalid_parameter (naming it; group_by when the query makes more than 10000 "
        "groups) or unknown_parameter (sort, page_size, cursor, include, or a typo)");
    responses["403"] = error_response("a vendor named in `vendor` is not reachable by this client");
    responses["502"] = error_response("every selected vendor failed (per-vendor entries in meta)");
    responses["504"] = error_response("no vendor answered within the deadline");
  } else if (r.path == "/v1/conversations/{id}") {
    parameters.push_back(json::object{{"name", "id"},
                                      {"in", "path"},
                                      {"required", true},
                                      {"description", "unified id <vendor>:<native id>, percent-encoded"},
                                      {"schema", {{"type", "string"}}}});
    parameters.push_back(json::object{{"name", "include"},
                                      {"in", "query"},
                                      {"required", false},
                                      {"schema", {{"type", "string"}, {"enum", {"raw"}}}}});
    responses["200"] = json_response("The conversation, with everything the vendor knows", {"Conversation"});
    responses["400"] = error_response("invalid_id: not <vendor>:<native id>, or not a valid native id");
    responses["403"] = error_response("the vendor is not reachable by this client");
    responses["404"] = error_response("unknown vendor name, or the vendor says it does not exist");
    responses["501"] = error_response("unsupported: the vendor cannot fetch one conversation");
    responses["502"] = error_response("the vendor failed");
    responses["504"] = error_response("the vendor did not answer within the deadline");
  } else if (r.path == "/v1/vendors") {
    responses["200"] = {
        {"description", "The vendor instances the client may reach"},
        {"content",
         {{"application/json",
           {{"schema",
             {{"type", "object"},
              {"properties",
               {{"data", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/Vendor"}}}}}}}}}}}}}};
  } else if (r.path == "/metrics") {
    responses["200"] = {{"description", "Prometheus text format 0.0.4"},
                        {"content", {{"text/plain", json::object{}}}}};
  } else {
    responses["200"] = {{"description", r.summary}, {"content", {{"application/json", json::object{}}}}};
  }
  add_server_answers(responses, r);
  if (r.needs_key) {
    responses["401"] = error_response("missing or unknown client key");
    responses["200"] = with_headers(responses["200"].as_object(), {"RateLimit-Policy", "RateLimit"});
    responses["429"] = with_headers(
        error_response(
            "rate_limited: the client is over its rate limit (clients[].rate_limit), or every asked "
            "vendor's budget is spent; no vendor was called for it"),
        {"Retry-After", "RateLimit-Policy", "RateLimit"});
    op["security"] =
        json::array{json::object{{"bearer", json::array{}}}, json::object{{"apiKey", json::array{}}}};
  }
  responses["405"] = error_response("only GET (and CORS preflight OPTIONS) is allowed");
  if (!parameters.empty()) op["parameters"] = std::move(parameters);
  op["responses"] = std::move(responses);
  return op;
}

// The CORS preflight every endpoint answers: 204, with the Access-Control-* headers only for a
// configured origin (cors.allowed_origins).
json::object preflight_for(const route& r) {
  json::object ok{
      {"description", "CORS preflight: the Access-Control-Allow-* headers when the Origin is allowed"}};
  json::object headers;
  for (const char* h : {"Access-Control-Allow-Origin", "Access-Control-Allow-Methods",
                        "Access-Control-Allow-Headers", "Access-Control-Max-Age"})
    headers[h] = json::object{{"schema", {{"type", "string"}}}};
  ok["headers"] = std::move(headers);
  json::object responses{{"204", std::move(ok)}};
  add_server_answers(responses, r);
  return {{"summary", "CORS preflight for " + std::string(r.path)},
          {"operationId", "preflight " + std::string(r.path)},
          {"responses", std::move(responses)}};
}

}  // namespace

json::object openapi_document(const std::vector<std::string>& vendor_types) {
  json::object paths;
  for (const auto& r : routes())
    paths[r.path] = json::object{{"get", operation_for(r)}, {"options", preflight_for(r)}};
  auto parts = json::parse(components).as_object();
  json::array types(vendor_types.begin(), vendor_types.end());
  parts["schemas"]
      .as_object()["Conversation"]
      .as_object()["properties"]
      .as_object()["vendor_type"]
      .as_object()["enum"] = std::move(types);
  return json::object{
      {"openapi", "3.1.0"},
      {"info",
       {{"title", "conversation-gateway"},
        {"version", "1.0.0"},
        {"description",
         "One ordered, exactly-once stream of conversations from every vendor. Records are "
         "ordered by the sort key, ties by unified id (byte order), nulls last; cursors are "
         "opaque, signed, and bound to the query's filters. Cross-origin calls are allowed "
         "from configured origins."}}},
      {"paths", std::move(paths)},
      {"components", std::move(parts)},
  };
}

}  // namespace cgw::api
