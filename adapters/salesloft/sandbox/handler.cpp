#include "adapters/salesloft/sandbox/sandbox.hpp"

#include "adapters/salesloft/sandbox/query.hpp"

#include <algorithm>
#include <compare>
#include <limits>
#include <unordered_map>

#include <boost/beast/core/string.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/pchars.hpp>

namespace cgw::sandbox::salesloft {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view list_path = "/v2/conversations";
constexpr std::string_view item_prefix = "/v2/conversations/";
constexpr std::string_view cost_header = "x-ratelimit-endpoint-cost";
constexpr std::string_view remaining_header = "x-ratelimit-remaining-minute";

// Rails (Puma) takes raw brackets in a query ("ids[]=a"), which RFC 3986 and Boost.URL refuse:
// whatever the grammar refuses is escaped before parsing. Existing escapes are kept, which is
// why this is not urls::encode (it would escape the '%').
std::string escape_for_parsing(std::string_view target) {
  constexpr auto allowed = boost::urls::pchars + boost::urls::grammar::lut_chars("/?%");
  constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(target.size());
  for (const char c : target) {
    if (allowed(c)) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += {'%', hex[byte >> 4], hex[byte & 15]};
    }
  }
  return out;
}

// Salesloft's documented cost of deep pages; walking with an updated_at cursor stays at 1.
std::uint32_t page_cost(std::uint64_t page) {
  return page <= 100 ? 1 : page <= 150 ? 3 : page <= 250 ? 8 : page <= 500 ? 10 : 30;
}

// PostgreSQL's default ordering: NULL is larger than every value.
std::strong_ordering nulls_largest(const std::optional<std::int64_t>& a,
                                   const std::optional<std::int64_t>& b) {
  return a && b ? *a <=> *b : b.has_value() <=> a.has_value();
}

// The per-minute budget of cost points, as a fixed window opened by the first request after the
// previous window closed: a test well under a minute long never sees a refill.
class budget {
 public:
  explicit budget(std::uint32_t per_minute) : per_minute_(per_minute) {}

  // Charges cost if it fits in what is left of this minute; false, charging nothing, otherwise.
  bool try_charge(std::uint32_t cost, clock::time_point now) {
    if (cost > remaining(now)) return false;
    used_ += cost;
    spent_ += cost;
    return true;
  }
  // An unlimited budget reports a remainder no client will ever throttle against.
  std::int64_t remaining(clock::time_point now) {
    if (now >= window_start_ + 1min) {
      window_start_ = now;
      used_ = 0;
    }
    return per_minute_ == 0 ? std::numeric_limits<std::int32_t>::max() : per_minute_ - used_;
  }
  std::uint64_t spent() const { return spent_; }

 private:
  std::uint32_t per_minute_;
  std::uint32_t used_ = 0;
  std::uint64_t spent_ = 0;
  clock::time_point window_start_ = clock::time_point::min();
};

class conversations final : public handler {
 public:
  explicit conversations(options opts)
      : options_(std::move(opts)),
        records_(make_dataset(options_.records, options_.seed)),
        budget_(options_.budget_per_minute) {
    keys_.reserve(records_.size());
    for (std::uint32_t i = 0; i < records_.size(); ++i) {
      keys_.push_back(keys_of(records_[i]));
      by_id_.emplace(records_[i].at("id").get_string(), i);
    }
  }

  response handle(const request& req) override {
    const auto now = clock::now();
    const std::string target = escape_for_parsing(req.target());
    const auto url = boost::urls::parse_origin_form(target);
    std::string path = url ? url->path() : std::string();
    if (path.size() > 1 && path.ends_with('/')) path.pop_back();  // Rails routing ignores a trailing slash
    const bool listing = req.method() == http::verb::get && path == list_path;
    const auto query = listing ? parse_list_query(url->params()) : result<list_query>(list_query{});
    // A query too broken to name its page costs the default.
    const std::uint32_t cost = query ? page_cost(query->page) : 1;

    response res = !url                             ? error(http::status::bad_request, "Bad Request")
                   : !authorized(req)               ? unauthorized()
                   : !budget_.try_charge(cost, now) ? rate_limited(-1)
                   : !listing                       ? one(req.method(), path)
                   : query                          ? list(*query)
                                                    : refused(query.error());
    res.set(cost_header, std::to_string(cost));
    res.set(remaining_header, std::to_string(budget_.remaining(now)));
    return res;
  }

  response error(http::status status, std::string_view message) override {
    return json_response(status, json::object{{"error", message}});
  }

  // Salesloft documents only its x-ratelimit-* headers, no Retry-After: a client learns when to come
  // back from its own per-minute accounting, so the fault menu's retry_after_s is not sent here.
  response rate_limited(std::int32_t) override {
    response res = error(http::status::too_many_requests, "Rate limit exceeded");
    res.set(cost_header, "1");
    res.set(remaining_header, "0");
    return res;
  }

  // The page_loop fault: a list page comes back empty with a next_page that points at itself, as a
  // vendor that keeps saying "more" past its data would answer. One conversation has no paging.
  response page_loop(const request& req) override {
    response res = handle(req);
    if (res.result() != http::status::ok) return res;
    boost::system::error_code ec;
    json::value body = json::parse(res.body(), ec);
    json::object* envelope = ec ? nullptr : body.if_object();
    json::value* metadata = envelope ? envelope->if_contains("metadata") : nullptr;
    json::value* paging =
        metadata && metadata->is_object() ? metadata->get_object().if_contains("paging") : nullptr;
    if (!paging || !paging->is_object()) return res;
    paging->get_object()["next_page"] = paging->get_object()["current_page"];
    (*envelope)["data"] = json::array{};
    res.body() = json::serialize(body);
    return res;
  }

  const std::vector<json::object>& records() const { return records_; }
  std::uint64_t spent() const { return budget_.spent(); }

 private:
  bool authorized(const request& req) const {
    constexpr std::string_view scheme = "Bearer ";
    const std::string_view value = req[http::field::authorization];
    return value.size() > scheme.size() && beast::iequals(value.substr(0, scheme.size()), scheme) &&
           value.substr(scheme.size()) == options_.bearer_token;
  }

  response unauthorized() {
    response res = error(http::status::unauthorized, "Unauthorized");
    res.set(http::field::www_authenticate, "Bearer");
    return res;
  }

  // Salesloft's {errors: {field: [..]}}: 422 for a bad value, 400 for a parameter it does not know.
  response refused(const failure& f) const {
    const auto status =
        f.code == errc::unknown_parameter ? http::status::bad_request : http::status::unprocessable_entity;
    return json_response(status,
                         json::object{{"errors", json::object{{f.parameter, json::array{f.message}}}}});
  }

  // GET /v2/conversations/{id}; any other path is not found.
  response one(http::verb method, std::string_view path) {
    if (method == http::verb::get && path.starts_with(item_prefix)) {
      if (const auto it = by_id_.find(path.substr(item_prefix.size())); it != by_id_.end()) {
        return json_response(http::status::ok, json::object{{"data", records_[it->second]}});
      }
    }
    return error(http::status::not_found, "Not Found");
  }

  response list(const list_query& q) const {
    std::vector<std::uint32_t> hits;
    for (std::uint32_t i = 0; i < records_.size(); ++i) {
      if (q.matches(records_[i], keys_[i])) hits.push_back(i);
    }
    const std::uint64_t total = hits.size();
    // Clamping page - 1 first keeps the product from overflowing; pages past the end are empty.
    const std::uint64_t first = std::min(total, std::min(q.page - 1, total) * q.per_page);
    const std::uint64_t last = std::min(total, first + q.per_page);
    const auto field = static_cast<std::size_t>(q.sort_by);
    // Only the page needs ordering. Ties go by dataset position, which is neither time nor id
    // order: like the real vendor, the sandbox gives clients no tie order to lean on.
    std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(last), hits.end(),
                      [&](std::uint32_t a, std::uint32_t b) {
                        const auto order = nulls_largest(keys_[a][field], keys_[b][field]);
                        if (order != 0) return q.ascending ? order < 0 : order > 0;
                        return a < b;
                      });

    json::array data;
    data.reserve(last - first);
    for (auto i = first; i < last; ++i) data.push_back(records_[hits[i]]);
    json::object paging{{"per_page", q.per_page},
                        {"current_page", q.page},
                        {"next_page", last < total ? json::value(q.page + 1) : json::value(nullptr)},
                        {"prev_page", q.page > 1 ? json::value(q.page - 1) : json::value(nullptr)}};
    if (q.include_paging_counts) {
      paging["total_pages"] = (total + q.per_page - 1) / q.per_page;
      paging["total_count"] = total;
    }
    json::object body;
    body["data"] = std::move(data);
    body["metadata"] = json::object{{"paging", std::move(paging)}};
    return json_response(http::status::ok, json::value(std::move(body)));
  }

  const options options_;
  const std::vector<json::object> records_;
  std::vector<record_keys> keys_;                              // by record position
  std::unordered_map<std::string_view, std::uint32_t> by_id_;  // views into records_
  budget budget_;
};

conversations& as_salesloft(handler& h) {
  return dynamic_cast<conversations&>(h);
}

}  // namespace

std::unique_ptr<handler> make_handler(options opts) {
  return std::make_unique<conversations>(std::move(opts));
}

const std::vector<json::object>& dataset(handler& h) {
  return as_salesloft(h).records();
}

std::uint64_t cost_spent(handler& h) {
  return as_salesloft(h).spent();
}

}  // namespace cgw::sandbox::salesloft
