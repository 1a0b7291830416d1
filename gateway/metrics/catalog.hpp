// Every metric the gateway exports, once: name, type, help and label names. The dashboard
// (deploy/grafana) and the alert rules (deploy/prometheus) read these names; the manifest check
// (tests/deploy/check_manifests.py) holds them to it.
#pragma once

#include "gateway/metrics/metrics.hpp"

namespace cgw::metrics {

// --- the server -----------------------------------------------------------------------------------
inline family<counter> http_requests{
    "cgw_http_requests_total", "counter", "Requests answered, by route and HTTP status", {"route", "status"}};
inline family<histogram> http_request_duration{"cgw_http_request_duration_seconds",
                                               "histogram",
                                               "Time from a request's head to its answer, by route",
                                               {"route"}};
inline family<counter> http_refusals{"cgw_http_refusals_total",
                                     "counter",
                                     "Requests or connections refused before any vendor call, by reason "
                                     "(overloaded, per_ip, header_timeout, invalid_request, rate_limited)",
                                     {"reason"}};
inline family<counter> http_requests_cancelled{"cgw_http_requests_cancelled_total",
                                               "counter",
                                               "Requests whose client went away before the answer, by route",
                                               {"route"}};
inline family<gauge> http_in_flight{"cgw_http_in_flight_requests",
                                    "gauge",
                                    "Requests being handled now (counted against server.max_in_flight)",
                                    {}};

// --- vendor calls (the policy stack) -------------------------------------------------------------
inline family<counter> upstream_requests{"cgw_upstream_requests_total",
                                         "counter",
                                         "Calls sent to a vendor, by vendor and outcome",
                                         {"vendor", "outcome"}};
inline family<histogram> upstream_request_duration{
    "cgw_upstream_request_duration_seconds", "histogram", "Time of one vendor call, by vendor", {"vendor"}};
inline family<counter> upstream_retries{"cgw_upstream_retries_total",
                                        "counter",
                                        "Vendor calls repeated after a transient failure, by vendor",
                                        {"vendor"}};
inline family<counter> upstream_calls_skipped{"cgw_upstream_calls_skipped_total",
                                              "counter",
                                              "Vendor calls not made, by vendor and reason (deadline)",
                                              {"vendor", "reason"}};
inline family<counter> cache_requests{"cgw_cache_requests_total",
                                      "counter",
                                      "Vendor calls by how the cache served them (hit, coalesced, miss)",
                                      {"vendor", "result"}};
inline family<counter> coalesced_takeovers{"cgw_coalesced_takeovers_total",
                                           "counter",
                                           "Followers that made a call themselves after its leader failed on "
                                           "the leader's own terms, by vendor",
                                           {"vendor"}};
inline family<gauge> circuit_state{
    "cgw_circuit_state", "gauge", "A vendor's circuit breaker: 0 closed, 1 open, 2 half-open", {"vendor"}};
inline family<counter> rate_limit_waits{"cgw_rate_limit_waits_total",
                                        "counter",
                                        "Vendor calls that waited for room in the account's rate budget",
                                        {"vendor"}};
inline family<histogram> rate_limit_wait{"cgw_rate_limit_wait_seconds",
                                         "histogram",
                                         "Time a vendor call waited for the account's rate budget",
                                         {"vendor"}};
inline family<counter> rate_limit_refusals{"cgw_rate_limit_refusals_total",
                                           "counter",
                                           "Vendor calls refused by the account's rate budget or concurrency "
                                           "limit before the deadline",
                                           {"vendor"}};

// --- what was computed ---------------------------------------------------------------------------
inline family<counter> computed_requests{"cgw_computed_requests_total",
                                         "counter",
                                         "Kept vendor pages and scans by how a walk got them "
                                         "(computed, hit, coalesced)",
                                         {"vendor", "kind", "result"}};
inline family<counter> answers_shared{"cgw_answers_shared_total",
                                      "counter",
                                      "List answers served from an identical request's (hit, coalesced)",
                                      {"result"}};
inline family<counter> stats_requests{"cgw_stats_requests_total",
                                      "counter",
                                      "Vendor parts of stats requests, by vendor, method and status",
                                      {"vendor", "method", "status"}};

// --- the process ---------------------------------------------------------------------------------
inline family<gauge> build_info{"cgw_build_info", "gauge", "The gateway's version (always 1)", {"version"}};
inline family<counter> config_reloads{"cgw_config_reloads_total",
                                      "counter",
                                      "Configuration reloads (SIGHUP), by result (ok, rejected)",
                                      {"result"}};
inline family<gauge> shared_state_degraded{"cgw_shared_state_degraded",
                                           "gauge",
                                           "1 while the fleet's Redis cannot be reached and this replica "
                                           "runs on its local share",
                                           {}};

}  // namespace cgw::metrics
