// The parrot vendor, wire and adapter in one file:
//   GET /records?per_page=N[&page=T]  -> {"records": [{"key", "said_at", "words"}], "next": T | null}
//   GET /records/{key}                -> the record, or 404 {"error": "..."}
// Bearer auth (401 {"error"} otherwise), records in key order, no filters and no order of its own:
// the adapter scans, and the gateway filters and sorts.
#include "adapters/module.hpp"
#include "gateway/adapter/vendor_http.hpp"
#include "gateway/adapter/walk.hpp"
#include "gateway/core/time.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

namespace cgw::testing::parrot {
namespace {

namespace json = boost::json;
using namespace cgw::adapter;

constexpr std::string_view type = "parrot";
constexpr std::string_view token = "sandbox-parrot-token";
constexpr std::size_t max_per_page = 50;

// --- the sandbox ---------------------------------------------------------------------------

class parrot_sandbox final : public sandbox::handler {
 public:
  parrot_sandbox(std::uint32_t records, std::uint64_t seed) {
    for (std::uint32_t i = 0; i < records; ++i) {
      char key[16];
      std::snprintf(key, sizeof key, "p-%04u", i);
      // Seconds apart, in an order of their own (not the keys'): the gateway does the sorting.
      const auto at =
          micros{(1'767'225'600 + static_cast<std::int64_t>((i * 7919 + seed) % 100'000)) * 1'000'000};
      records_.push_back(json::object{
          {"key", key}, {"said_at", format_rfc3339_ms(at)}, {"words", "polly says " + std::to_string(i)}});
    }
  }

  sandbox::response handle(const sandbox::request& req) override { return answer(req, false); }
  sandbox::response page_loop(const sandbox::request& req) override { return answer(req, true); }

  sandbox::response error(http::status status, std::string_view message) override {
    return sandbox::json_response(status, {{"error", message}});
  }

  sandbox::response rate_limited(std::int32_t retry_after_s) override {
    auto res = sandbox::json_response(http::status::too_many_requests, {{"error", "slow down"}});
    if (retry_after_s >= 0) res.set(http::field::retry_after, std::to_string(retry_after_s));
    return res;
  }

  const std::vector<json::object>& records() const { return records_; }

 private:
  // looping: every page's next points back at the first page.
  sandbox::response answer(const sandbox::request& req, bool looping) {
    if (req[http::field::authorization] != "Bearer " + std::string(token))
      return error(http::status::unauthorized, "who are you?");
    const std::string target(req.target());
    const auto url = boost::urls::parse_origin_form(target);
    if (!url || req.method() != http::verb::get)
      return error(http::status::bad_request, "not a parrot request");
    const std::string path = url->path();
    if (path.starts_with("/records/")) {
      const auto key = std::string_view(path).substr(9);
      const auto it = std::find_if(records_.begin(), records_.end(),
                                   [&](const json::object& r) { return r.at("key").as_string() == key; });
      if (it == records_.end()) return error(http::status::not_found, "no such record");
      return sandbox::json_response(http::status::ok, *it);
    }
    if (path != "/records") return error(http::status::not_found, "no such path");
    std::size_t per_page = 0, page = 0;
    for (const auto& p : url->params()) {
      std::size_t* out = p.key == "per_page" ? &per_page : p.key == "page" ? &page : nullptr;
      if (!out) return error(http::status::bad_request, "unknown parameter " + std::string(p.key));
      const auto [end, ec] = std::from_chars(p.value.data(), p.value.data() + p.value.size(), *out);
      if (ec != std::errc{} || end != p.value.data() + p.value.size())
        return error(http::status::bad_request, std::string(p.key) + " must be a number");
    }
    if (per_page < 1 || per_page > max_per_page)
      return error(http::status::bad_request, "per_page is 1 to 50");
    json::array out;
    for (std::size_t i = page * per_page; i < std::min(records_.size(), (page + 1) * per_page); ++i)
      out.push_back(records_[i]);
    const bool more = (page + 1) * per_page < records_.size();
    json::value next = more ? json::value(std::to_string(looping ? 0 : page + 1)) : json::value(nullptr);
    return sandbox::json_response(http::status::ok, {{"records", std::move(out)}, {"next", std::move(next)}});
  }

  std::vector<json::object> records_;
};

std::unique_ptr<sandbox::handler> make_sandbox(const adapters::sandbox_data& data) {
  return std::make_unique<parrot_sandbox>(data.records.value_or(100), data.seed.value_or(42));
}

std::vector<adapters::one_record_request> one_record_requests(sandbox::handler& h, std::string_view vendor,
                                                              std::size_t n) {
  return adapters::gets_of(vendor, dynamic_cast<parrot_sandbox&>(h).records(), n,
                           [](const json::object& r) { return std::string(r.at("key").as_string()); });
}

// --- the adapter ---------------------------------------------------------------------------

// One parrot record as a conversation; a record without a string key is the vendor's error.
result<conversation> to_conversation(const vendor_body& body, const json::value& v, std::string_view vendor,
                                     bool keep_raw) {
  const auto* o = v.if_object();
  const auto* key = o ? o->if_contains("key") : nullptr;
  if (!key || !key->is_string()) return failure::make(errc::upstream_error, "a parrot record has no key");
  conversation c;
  set_identity(c, vendor, type, std::string(key->get_string()));
  if (const auto* at = o->if_contains("said_at"); at && at->is_string())
    c.started_at = c.created_at = parse_rfc3339(at->get_string());
  if (const auto* words = o->if_contains("words"); words && words->is_string())
    c.title = std::string(words->get_string());
  if (keep_raw) c.raw = body.share(*o);
  return c;
}

class parrot_adapter final : public cgw::adapter::adapter {
 public:
  parrot_adapter(config::vendor_config cfg, upstream::endpoint ep)
      : cfg_(std::move(cfg)), ep_(std::move(ep)), authorization_(authorization_header(cfg_.auth)) {
    caps_.can_list = true;
    caps_.can_get = true;
  }

  const capabilities& caps() const noexcept override { return caps_; }
  const config::vendor_config& config() const noexcept override { return cfg_; }
  filter_set pushed_down(const list_query&) const override { return {}; }

  net::awaitable<result<list_result>> list(const list_request& req, call_context& ctx) const override {
    page_fetcher fetch = [this](const page_ask& ask, call_context& c) { return fetch_page(ask, c); };
    co_return co_await scan_walk(req, ctx, fetch, max_per_page, cfg_.scan_limit);
  }

  net::awaitable<result<conversation>> get(std::string_view native_id, call_context& ctx) const override {
    const std::string id(native_id);
    auto body = co_await fetch_json(
        ctx, ep_, vendor_request(http::verb::get, "/records/" + id, authorization_), cfg_.max_response_bytes);
    if (!body) co_return body.error();
    auto c = to_conversation(*body, body->value(), cfg_.name, ctx.include_raw);
    if (c && c->native_id != id)
      co_return failure::make(errc::upstream_error, "the parrot answered another record");
    co_return c;
  }

  plan explain(const list_request&) const override {
    return {{{"method", "GET"}, {"target", target({})}, {"paging", "every page, sorted by the gateway"}},
            false};
  }

 private:
  std::string target(const std::string& continuation) const {
    return "/records?per_page=" + std::to_string(max_per_page) +
           (continuation.empty() ? "" : "&page=" + continuation);
  }

  net::awaitable<result<vendor_page>> fetch_page(const page_ask& ask, call_context& ctx) const {
    auto body = co_await fetch_json(ctx, ep_,
                                    vendor_request(http::verb::get, target(ask.continuation), authorization_),
                                    cfg_.max_response_bytes);
    if (!body) co_return body.error();
    const auto* o = body->value().if_object();
    const auto* records = o ? o->if_contains("records") : nullptr;
    const auto* next = o ? o->if_contains("next") : nullptr;
    if (!records || !records->is_array() || !next || !(next->is_string() || next->is_null()))
      co_return failure::make(errc::upstream_error, "a parrot page has no records or no next");
    vendor_page page;
    for (const auto& r : records->get_array()) {
      auto c = to_conversation(*body, r, cfg_.name, ask.query.include_raw);
      if (!c) co_return c.error();
      page.records.push_back(std::move(*c));
    }
    if (next->is_string()) page.next = std::string(next->get_string());
    co_return page;
  }

  config::vendor_config cfg_;
  upstream::endpoint ep_;
  std::string authorization_;
  capabilities caps_;
};

result<std::unique_ptr<cgw::adapter::adapter>> make_adapter(const config::vendor_config& cfg) {
  if (cfg.auth.bearer_token.empty())
    return failure::make(errc::invalid_parameter,
                         "vendors." + cfg.name + ".auth.bearer_token: required for type parrot",
                         "vendors." + cfg.name + ".auth.bearer_token");
  auto ep = vendor_endpoint(cfg);
  if (!ep) return ep.error();
  return std::unique_ptr<cgw::adapter::adapter>(new parrot_adapter(cfg, std::move(*ep)));
}

}  // namespace

extern const adapters::vendor_module definition = {
    .type = type,
    .can_list = true,
    .can_get = true,
    .options = {},
    .make_adapter = make_adapter,
    .sandbox = {.port_offset = 100,
                .make = make_sandbox,
                .auth = R"({"bearer_token": "sandbox-parrot-token"})",
                .ordered_list = "",
                .sends_retry_after = true,
                .one_record_requests = one_record_requests},
};

}  // namespace cgw::testing::parrot
