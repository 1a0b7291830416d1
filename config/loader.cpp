#include "config/loader.hpp"

#include "gateway/core/digest.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

namespace cgw::config {
namespace {

// Local aliases rather than gateway/net/net.hpp, which would pull Asio and Beast into this library.
namespace json = boost::json;
namespace urls = boost::urls;

using env_function = decltype(load_options::env);

constexpr std::uint32_t u32_max = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t min_cursor_secret_bytes = 32;
constexpr std::array<std::string_view, 5> log_levels{"trace", "debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 2> log_formats{"json", "text"};

// ---- Key paths and failures ---------------------------------------------------------------------------

// Key paths are built as the tree is walked; the empty path is the document itself, shown as "config".
std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + '.' + std::string(key);
}

std::string element(const std::string& path, std::size_t index) {
  return path + '[' + std::to_string(index) + ']';
}

failure fail(const std::string& path, std::string_view what) {
  std::string where = path.empty() ? "config" : path;
  std::string message = where + ": " + std::string(what);
  return failure::make(errc::invalid_parameter, std::move(message), std::move(where));
}

std::string quoted(std::string_view text) {
  return '"' + std::string(text) + '"';
}

// ---- Characters (ASCII only: configuration syntax must not depend on the locale) -------------------------

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_alpha(char c) {
  return is_lower(c) || (c >= 'A' && c <= 'Z');
}
char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), to_lower);
  return out;
}

bool is_vendor_name(std::string_view name) {
  return !name.empty() &&
         std::ranges::all_of(name, [](char c) { return is_lower(c) || is_digit(c) || c == '_'; });
}

bool is_environment_name(std::string_view name) {
  return !name.empty() && !is_digit(name.front()) &&
         std::ranges::all_of(name, [](char c) { return is_alpha(c) || is_digit(c) || c == '_'; });
}

// RFC 9110 token characters.
bool is_header_name(std::string_view name) {
  constexpr std::string_view symbols = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::ranges::all_of(name, [&](char c) {
    return is_alpha(c) || is_digit(c) || symbols.find(c) != std::string_view::npos;
  });
}

int hex_digit_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// ---- Reading JSON objects -----------------------------------------------------------------------------

// Reads the members of one JSON object into a struct. It remembers the first failure and ignores every
// later call, so that each parse_X function reads top to bottom and ends with finish().
class object_reader {
 public:
  object_reader(const json::value& value, std::string path, std::initializer_list<std::string_view> keys)
      : path_(std::move(path)) {
    if (!value.is_object()) {
      failure_ = fail(path_, "expected an object");
      return;
    }
    object_ = &value.get_object();
    for (const auto& member : *object_) {
      if (std::ranges::find(keys, std::string_view(member.key())) == keys.end()) {
        failure_ = fail(child(path_, member.key()), "unknown key");
        return;
      }
    }
  }

  // parse(const json::value&, const std::string& path) -> result<U>, U assignable to T.
  template <class T, class Parse>
  void required(std::string_view key, T& out, const Parse& parse) {
    read(key, out, parse, true);
  }
  template <class T, class Parse>
  void optional(std::string_view key, T& out, const Parse& parse) {
    read(key, out, parse, false);
  }

  bool ok() const { return !failure_; }
  bool has(std::string_view key) const { return object_ && object_->contains(key); }
  void fail_here(std::string_view what) { fail_at_path(path_, what); }
  void fail_at(std::string_view key, std::string_view what) { fail_at_path(child(path_, key), what); }

  // `value`, or the first failure.
  template <class T>
  result<T> finish(T value) {
    if (failure_) return *std::move(failure_);
    return value;
  }

 private:
  template <class T, class Parse>
  void read(std::string_view key, T& out, const Parse& parse, bool required) {
    if (failure_) return;
    const json::value* value = object_->if_contains(key);
    if (!value) {
      if (required) failure_ = fail(child(path_, key), "required key is missing");
      return;
    }
    auto parsed = parse(*value, child(path_, key));
    if (parsed)
      out = std::move(*parsed);
    else
      failure_ = std::move(parsed).error();
  }

  void fail_at_path(const std::string& path, std::string_view what) {
    if (!failure_) failure_ = fail(path, what);
  }

  std::string path_;
  const json::object* object_ = nullptr;
  std::optional<failure> failure_;
};

// A parser for a JSON array whose elements `parse` reads.
template <class Parse>
auto array_of(Parse parse) {
  return [parse](const json::value& value, const std::string& path) {
    using element_type =
        typename std::invoke_result_t<Parse, const json::value&, const std::string&>::value_type;
    using out_type = result<std::vector<element_type>>;
    if (!value.is_array()) return out_type(fail(path, "expected an array"));
    std::vector<element_type> out;
    const json::array& array = value.get_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      auto parsed = parse(array[i], element(path, i));
      if (!parsed) return out_type(std::move(parsed).error());
      out.push_back(std::move(*parsed));
    }
    return out_type(std::move(out));
  };
}

// A parser for a JSON object used as a map; parse(value, path, name) reads one entry.
template <class Parse>
auto map_of(Parse parse) {
  return [parse](const json::value& value, const std::string& path) {
    using entry_type = typename std::invoke_result_t<Parse, const json::value&, const std::string&,
                                                     const std::string&>::value_type;
    using out_type = result<std::map<std::string, entry_type>>;
    if (!value.is_object()) return out_type(fail(path, "expected an object"));
    std::map<std::string, entry_type> out;
    for (const auto& member : value.get_object()) {
      std::string name(member.key());
      auto parsed = parse(member.value(), child(path, name), name);
      if (!parsed) return out_type(std::move(parsed).error());
      out.emplace(std::move(name), std::move(*parsed));
    }
    return out_type(std::move(out));
  };
}

// The index of the first element whose key equals an earlier element's.
template <class T, class Key>
std::optional<std::size_t> first_duplicate(const std::vector<T>& items, Key key) {
  for (std::size_t i = 1; i < items.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (std::invoke(key, items[i]) == std::invoke(key, items[j])) return i;
    }
  }
  return std::nullopt;
}

// ---- Scalars ------------------------------------------------------------------------------------------

result<std::string> parse_string(const json::value& value, const std::string& path) {
  if (!value.is_string()) return fail(path, "expected a string");
  return std::string(value.get_string());
}

result<std::string> parse_nonempty_string(const json::value& value, const std::string& path) {
  auto text = parse_string(value, path);
  if (text && text->empty()) return fail(path, "must not be empty");
  return text;
}

// Messages name the key only: the value is a secret.
result<secret> parse_secret(const json::value& value, const std::string& path) {
  auto text = parse_nonempty_string(value, path);
  if (!text) return std::move(text).error();
  return secret(std::move(*text));
}

result<secret> parse_cursor_secret(const json::value& value, const std::string& path) {
  auto parsed = parse_secret(value, path);
  if (parsed && parsed->reveal().size() < min_cursor_secret_bytes) {
    return fail(path, "must be at least " + std::to_string(min_cursor_secret_bytes) + " bytes");
  }
  return parsed;
}

template <class T>
result<T> parse_integer(const json::value& value, const std::string& path, T min, T max,
                        std::string_view expected) {
  std::optional<std::uint64_t> number;
  if (value.is_uint64()) number = value.get_uint64();
  if (value.is_int64() && value.get_int64() >= 0) number = static_cast<std::uint64_t>(value.get_int64());
  if (!number || *number < min) return fail(path, expected);
  if (*number > max) return fail(path, "must be at most " + std::to_string(max));
  return static_cast<T>(*number);
}

result<std::uint32_t> parse_positive(const json::value& value, const std::string& path) {
  return parse_integer<std::uint32_t>(value, path, 1, u32_max, "expected a positive integer");
}

result<std::uint32_t> parse_non_negative(const json::value& value, const std::string& path) {
  return parse_integer<std::uint32_t>(value, path, 0, u32_max, "expected a non-negative integer");
}

// A JSON number (integer or not) of at least `min` (above it when `exclusive`), finite.
result<double> parse_number(const json::value& value, const std::string& path, double min, bool exclusive,
                            std::string_view expected) {
  if (!value.is_number()) return fail(path, expected);
  const double number = value.to_number<double>();
  if (!std::isfinite(number) || number < min || (exclusive && number == min)) return fail(path, expected);
  return number;
}

// 0 asks the system for any free port (tests).
result<std::uint16_t> parse_port(const json::value& value, const std::string& path) {
  return parse_integer<std::uint16_t>(value, path, 0, 65535, "expected an integer from 0 to 65535");
}

// A parser for a string that must be one of `choices`.
auto one_of(std::span<const std::string_view> choices) {
  return [choices](const json::value& value, const std::string& path) -> result<std::string> {
    auto text = parse_string(value, path);
    if (text && std::ranges::find(choices, *text) == choices.end()) {
      std::string expected = "expected one of ";
      for (std::size_t i = 0; i < choices.size(); ++i) {
        if (i > 0) expected += ", ";
        expected += choices[i];
      }
      return fail(path, expected);
    }
    return text;
  };
}

result<std::string> parse_ip_address(const json::value& value, const std::string& path) {
  auto text = parse_string(value, path);
  if (text && !urls::parse_ipv4_address(*text) && !urls::parse_ipv6_address(*text)) {
    return fail(path, "expected an IPv4 or IPv6 address");
  }
  return text;
}

result<std::string> parse_header_name(const json::value& value, const std::string& path) {
  auto text = parse_string(value, path);
  if (text && !is_header_name(*text)) return fail(path, "expected an HTTP header name");
  return text;
}

result<json::object> parse_object(const json::value& value, const std::string& path) {
  if (!value.is_object()) return fail(path, "expected an object");
  return json::object(value.get_object());
}

result<std::array<std::uint8_t, 32>> parse_key_sha256(const json::value& value, const std::string& path) {
  auto text = parse_string(value, path);
  if (!text) return std::move(text).error();
  std::array<std::uint8_t, 32> digest{};
  bool valid = text->size() == 2 * digest.size();
  for (std::size_t i = 0; valid && i < digest.size(); ++i) {
    int high = hex_digit_value((*text)[2 * i]);
    int low = hex_digit_value((*text)[2 * i + 1]);
    valid = high >= 0 && low >= 0;
    digest[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  if (!valid) return fail(path, "expected 64 hexadecimal characters (the SHA-256 of the key)");
  return digest;
}

// ---- URLs ---------------------------------------------------------------------------------------------

// url_view::port_number() wraps above 65535, hence the explicit check.
bool is_valid_port(std::string_view port) {
  unsigned number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  return ec == std::errc() && end == port.data() + port.size() && number >= 1 && number <= 65535;
}

// An absolute http or https URL with a host and a valid port, without credentials or a query. The view
// points into `value`.
result<urls::url_view> parse_http_url(const json::value& value, const std::string& path) {
  if (!value.is_string()) return fail(path, "expected a string");
  auto url = urls::parse_absolute_uri(value.get_string());
  if (!url || (url->scheme_id() != urls::scheme::http && url->scheme_id() != urls::scheme::https)) {
    return fail(path, "expected an absolute http or https URL");
  }
  if (url->encoded_host().empty()) return fail(path, "expected a URL with a host");
  // Credentials belong in `auth`, where they are treated as secrets.
  if (url->has_userinfo()) return fail(path, "must not contain credentials (use auth)");
  if (url->has_port() && !is_valid_port(url->port())) return fail(path, "expected a port from 1 to 65535");
  if (url->has_query()) return fail(path, "must not have a query");
  return *url;
}

// Stored with a lower-case scheme and without a trailing slash, so adapters can append "/path".
result<std::string> parse_base_url(const json::value& value, const std::string& path) {
  auto view = parse_http_url(value, path);
  if (!view) return std::move(view).error();
  urls::url url(*view);
  url.normalize_scheme();
  std::string out(url.buffer());
  while (out.ends_with('/')) out.pop_back();
  return out;
}

// Stored in lower case: browsers send the Origin header that way, and every part of an origin is
// case-insensitive.
result<std::string> parse_origin(const json::value& value, const std::string& path) {
  auto url = parse_http_url(value, path);
  if (!url) return std::move(url).error();
  if (!url->encoded_path().empty())
    return fail(path, "must not have a path (an origin is scheme://host[:port])");
  return ascii_lower(url->buffer());
}

// ---- Structs ------------------------------------------------------------------------------------------

result<listen_config> parse_listen(const json::value& value, const std::string& path) {
  object_reader in(value, path, {"address", "port"});
  listen_config out;
  in.optional("address", out.address, parse_ip_address);
  in.optional("port", out.port, parse_port);
  return in.finish(std::move(out));
}

result<cors_config> parse_cors(const json::value& value, const std::string& path) {
  object_reader in(value, path, {"allowed_origins", "allowed_headers", "max_age_s"});
  cors_config out;
  in.optional("allowed_origins", out.allowed_origins, array_of(parse_origin));
  in.optional("allowed_headers", out.allowed_headers, array_of(parse_header_name));
  in.optional("max_age_s", out.max_age_s, parse_non_negative);
  return in.finish(std::move(out));
}

result<server_config> parse_server(const json::value& value, const std::string& path) {
  object_reader in(value, path,
                   {"threads", "max_header_bytes", "max_body_bytes", "read_timeout_ms", "idle_timeout_ms",
                    "shutdown_grace_ms", "max_connections", "max_in_flight", "header_timeout_ms",
                    "max_connections_per_ip"});
  server_config out;
  in.optional("threads", out.threads, parse_non_negative);
  in.optional("max_header_bytes", out.max_header_bytes, parse_positive);
  in.optional("max_body_bytes", out.max_body_bytes, parse_positive);
  in.optional("read_timeout_ms", out.read_timeout_ms, parse_positive);
  in.optional("idle_timeout_ms", out.idle_timeout_ms, parse_positive);
  in.optional("shutdown_grace_ms", out.shutdown_grace_ms, parse_positive);
  in.optional("max_connections", out.max_connections, parse_positive);
  in.optional("max_in_flight", out.max_in_flight, parse_positive);
  in.optional("header_timeout_ms", out.header_timeout_ms, parse_positive);
  in.optional("max_connections_per_ip", out.max_connections_per_ip, parse_positive);
  return in.finish(std::move(out));
}

result<logging_config> parse_logging(const json::value& value, const std::string& path) {
  object_reader in(value, path, {"level", "format"});
  logging_config out;
  in.optional("level", out.level, one_of(log_levels));
  in.optional("format", out.format, one_of(log_formats));
  return in.finish(std::move(out));
}

result<client_rate_limit> parse_client_rate_limit(const json::value& value, const std::string& path) {
  object_reader in(value, path, {"requests_per_s", "burst"});
  client_rate_limit out;
  in.required("requests_per_s", out.requests_per_s, [](const json::value& v, const std::string& p) {
    return parse_number(v, p, 0, true, "expected a positive number");
  });
  // A bucket smaller than one token would refuse every request.
  in.required("burst", out.burst, [](const json::value& v, const std::string& p) {
    return parse_number(v, p, 1, false, "expected a number of at least 1");
  });
  return in.finish(std::move(out));
}

result<client_config> parse_client(const json::value& value, const std::string& path) {
  object_reader in(value, path, {"name", "key_sha256", "tenant", "rate_limit"});
  client_config out;
  in.required("name", out.name, parse_nonempty_string);
  in.required("key_sha256", out.key_sha256, parse_key_sha256);
  in.required("tenant", out.tenant, parse_nonempty_string);
  in.optional("rate_limit", out.rate_limit, parse_client_rate_limit);
  return in.finish(std::move(out));
}

result<tenant_config> parse_tenant(const json::value& value, const std::string& path,
                                   const std::string& name) {
  if (name.empty()) return fail(path, "a tenant name must not be empty");
  object_reader in(value, path, {"vendors"});
  tenant_config out;
  in.required("vendors", out.vendors, array_of(parse_nonempty_string));
  if (in.ok() && out.vendors.empty()) in.fail_at("vendors", "must list at least one vendor");
  if (auto i = first_duplicate(out.vendors, std::identity{}); in.ok() && i) {
    in.fail_at(element("vendors", *i), "duplicate vendor " + quoted(out.vendors[*i]));
  }
  return in.finish(std::move(out));
}

result<vendor_auth> parse_auth(const json::value& value, const std::string& path) {
  object_reader in(value, path, {"bearer_token", "username", "password"});
  vendor_auth out;
  in.optional("bearer_token", out.bearer_token, parse_secret);
  in.optional("username", out.username, parse_secret);
  in.optional("password", out.password, parse_secret);
  const bool bearer = in.has("bearer_token");
  const bool basic = in.has("username") && in.has("password");
  const bool partial_basic = in.has("username") != in.has("password");
  if (in.ok() && (bearer == basic || partial_basic)) {
    in.fail_here("expected either bearer_token, or both username and password");
  }
  return in.finish(std::move(out));
}

result<retry_config> parse_retry(const json::value& value, const std::string& path) {
  object_reader in(value, path, {"max_attempts", "base_delay_ms", "max_delay_ms", "budget_percent"});
  retry_config out;
  in.optional("max_attempts", out.max_attempts, parse_positive);
  in.optional("base_delay_ms", out.base_delay_ms, parse_positive);
  in.optional("max_delay_ms", out.max_delay_ms, parse_positive);
  in.optional("budget_percent", out.budget_percent, parse_non_negative);
  if (in.ok() && out.max_delay_ms < out.base_delay_ms)
    in.fail_at("max_delay_ms", "must not be below base_delay_ms");
  return in.finish(std::move(out));
}

result<rate_limit_config> parse_rate_limit(const json::value& value, const std::string& path) {
  object_reader in(value, path, {"points", "per_s"});
  rate_limit_config out;
  in.required("points", out.points, parse_non_negative);
  in.optional("per_s", out.per_s, parse_positive);
  return in.finish(std::move(out));
}

result<circuit_config> parse_circuit(const json::value& value, const std::string& path) {
  object_reader in(value, path, {"failure_threshold", "open_ms"});
  circuit_config out;
  in.optional("failure_threshold", out.failure_threshold, parse_positive);
  in.optional("open_ms", out.open_ms, parse_positive);
  return in.finish(std::move(out));
}

result<cache_config> parse_cache(const json::value& value, const std::string& path) {
  object_reader in(value, path, {"ttl_ms", "max_bytes"});
  cache_config out;
  in.optional("ttl_ms", out.ttl_ms, parse_non_negative);
  in.optional("max_bytes", out.max_bytes, [](const json::value& v, const std::string& p) {
    return parse_integer<std::uint64_t>(v, p, 0,
                                        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()),
                                        "expected a non-negative integer");
  });
  return in.finish(std::move(out));
}

result<vendor_config> parse_vendor(const json::value& value, const std::string& path, const std::string& name,
                                   const load_options& options) {
  // The name prefixes unified ids ("name:native"), so it must not contain ':' or anything a URL escapes.
  if (!is_vendor_name(name)) return fail(path, "a vendor name must match [a-z0-9_]+");
  object_reader in(
      value, path,
      {"type", "base_url", "auth", "timeout_ms", "ca_file", "max_response_bytes", "max_connections",
       "scan_limit", "retry", "rate_limit", "max_concurrency", "circuit", "cache_ttl_ms", "options"});
  vendor_config out;
  out.name = name;
  in.required("type", out.type, [&](const json::value& type, const std::string& type_path) {
    auto text = parse_string(type, type_path);
    if (text && options.known_vendor_type && !options.known_vendor_type(*text))
      return result<std::string>(fail(type_path, "unknown vendor type " + quoted(*text)));
    return text;
  });
  in.required("base_url", out.base_url, parse_base_url);
  in.required("auth", out.auth, parse_auth);
  in.optional("timeout_ms", out.timeout_ms, parse_positive);
  in.optional("ca_file", out.ca_file, parse_nonempty_string);
  in.optional("max_response_bytes", out.max_response_bytes, parse_positive);
  in.optional("max_connections", out.max_connections, parse_positive);
  in.optional("scan_limit", out.scan_limit, parse_positive);
  in.optional("retry", out.retry, parse_retry);
  in.optional("rate_limit", out.rate_limit, parse_rate_limit);
  in.optional("max_concurrency", out.max_concurrency, parse_non_negative);
  in.optional("circuit", out.circuit, parse_circuit);
  in.optional("cache_ttl_ms", out.cache_ttl_ms, parse_non_negative);
  in.optional("options", out.options, parse_object);
  if (in.ok() && !out.ca_file.empty() && !out.base_url.starts_with("https:")) {
    in.fail_at("ca_file", "allowed only with an https base_url");
  }
  return in.finish(std::move(out));
}

// redis://[user@]host[:port][/db] or rediss://...; a password in the URL is refused (it would be
// logged with the URL): it belongs in shared_state.redis.password, which may come from ${file:...}.
result<redis_config> parse_redis_url(const json::value& value, const std::string& path) {
  auto text = parse_nonempty_string(value, path);
  if (!text) return text.error();
  auto url = urls::parse_absolute_uri(*text);
  if (!url) return fail(path, "expected an absolute redis:// or rediss:// URL");
  redis_config out;
  out.url = *text;
  if (url->scheme() == "rediss")
    out.tls = true;
  else if (url->scheme() != "redis")
    return fail(path, "the scheme must be redis or rediss");
  if (url->has_password()) return fail(path, "must not carry a password (set shared_state.redis.password)");
  if (url->has_userinfo()) out.username = url->user();
  out.host = url->encoded_host().decode();
  if (out.host.size() > 2 && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host.empty()) return fail(path, "has no host");
  if (url->has_port()) {
    if (!is_valid_port(url->port())) return fail(path, "the port is not a number from 1 to 65535");
    out.port = url->port_number();
  }
  const std::string db(url->encoded_path());
  if (!db.empty() && db != "/") {
    const std::string_view n = std::string_view(db).substr(1);
    if (n.empty() || n.size() > 2 || !std::ranges::all_of(n, is_digit))
      return fail(path, "the path must be a database number, as /0");
    out.db = static_cast<unsigned>(std::stoul(std::string(n)));
  }
  if (url->has_query() || url->has_fragment()) return fail(path, "takes no query or fragment");
  return out;
}

result<redis_config> parse_redis(const json::value& value, const std::string& path) {
  object_reader in(value, path, {"url", "password", "key_prefix", "timeout_ms", "ca_file"});
  redis_config out;
  in.required("url", out, parse_redis_url);
  in.optional("password", out.password, parse_secret);
  in.optional("key_prefix", out.key_prefix, parse_string);
  in.optional("timeout_ms", out.timeout_ms, parse_positive);
  in.optional("ca_file", out.ca_file, parse_nonempty_string);
  if (in.ok() && !out.ca_file.empty() && !out.tls) in.fail_at("ca_file", "allowed only with a rediss:// url");
  return in.finish(std::move(out));
}

result<shared_state_config> parse_shared_state(const json::value& value, const std::string& path) {
  object_reader in(value, path, {"redis", "expected_replicas"});
  shared_state_config out;
  in.optional("redis", out.redis, parse_redis);
  in.optional("expected_replicas", out.expected_replicas, parse_positive);
  return in.finish(std::move(out));
}

result<gateway_config> parse_gateway(const json::value& value, const load_options& options) {
  object_reader in(value, "",
                   {"listen", "cursor_secret", "request_deadline_ms", "cors", "cache", "server", "logging",
                    "clients", "tenants", "vendors", "shared_state"});
  gateway_config out;
  in.optional("listen", out.listen, parse_listen);
  in.required("cursor_secret", out.cursor_secret, parse_cursor_secret);
  in.optional("request_deadline_ms", out.request_deadline_ms, parse_positive);
  in.optional("cors", out.cors, parse_cors);
  in.optional("cache", out.cache, parse_cache);
  in.optional("server", out.server, parse_server);
  in.optional("logging", out.logging, parse_logging);
  in.optional("shared_state", out.shared_state, parse_shared_state);
  in.optional("clients", out.clients, array_of(parse_client));
  in.optional("tenants", out.tenants, map_of(parse_tenant));
  in.optional("vendors", out.vendors,
              map_of([&](const json::value& vendor, const std::string& path, const std::string& name) {
                return parse_vendor(vendor, path, name, options);
              }));
  return in.finish(std::move(out));
}

// Rules that relate entries to one another.
result<void> validate(const gateway_config& config) {
  for (const auto& [name, tenant] : config.tenants) {
    for (std::size_t i = 0; i < tenant.vendors.size(); ++i) {
      if (!config.vendors.contains(tenant.vendors[i])) {
        return fail(element(child(child("tenants", name), "vendors"), i),
                    "unknown vendor " + quoted(tenant.vendors[i]));
      }
    }
  }
  const auto& clients = config.clients;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    if (!config.tenants.contains(clients[i].tenant)) {
      return fail(child(element("clients", i), "tenant"), "unknown tenant " + quoted(clients[i].tenant));
    }
  }
  if (auto i = first_duplicate(clients, &client_config::name)) {
    return fail(child(element("clients", *i), "name"), "duplicate client name " + quoted(clients[*i].name));
  }
  if (auto i = first_duplicate(clients, &client_config::key_sha256)) {
    return fail(child(element("clients", *i), "key_sha256"), "another client has the same key");
  }
  // Without clients every caller is anonymous; that is only safe when nobody else can connect.
  if (clients.empty() && !is_loopback(config.listen.address)) {
    return fail("clients",
                "a configuration without clients is allowed only when listen.address is a loopback address");
  }
  return {};
}

// ---- Text, environment --------------------------------------------------------------------------------

result<json::value> parse_json(std::string_view text) {
  json::parser parser;
  boost::system::error_code ec;
  const std::size_t offset = parser.write(text.data(), text.size(), ec);
  if (ec) {
    const std::string_view before = text.substr(0, offset);
    const auto line = std::ranges::count(before, '\n') + 1;
    const auto line_start = before.rfind('\n') + 1;  // npos + 1 == 0: the first line
    const auto column = offset - line_start + 1;
    return fail("", "not valid JSON: " + ec.message() + " (line " + std::to_string(line) + ", column " +
                        std::to_string(column) + ")");
  }
  return parser.release();
}

// Replaces each ${NAME} in `text` once; a substituted value is not scanned again.
result<std::string> read_file(const std::string& path);

// A secret kept in a file (a mounted Kubernetes or systemd credential): its content without
// the trailing newline. Read at every load, so a reload picks up a rotated file.
result<std::string> secret_file(std::string_view file, const std::string& path) {
  if (file.empty() || file.front() != '/') return fail(path, "${file:PATH} needs an absolute path");
  auto content = read_file(std::string(file));
  if (!content) return fail(path, "cannot read the secret file " + std::string(file));
  while (!content->empty() && (content->back() == '\n' || content->back() == '\r')) content->pop_back();
  return content;
}

result<void> substitute(json::string& text, const std::string& path, const env_function& env) {
  const std::string_view in = text;
  if (in.find("${") == std::string_view::npos) return {};
  std::string out;
  std::size_t done = 0;
  for (std::size_t open; (open = in.find("${", done)) != std::string_view::npos;) {
    const std::size_t close = in.find('}', open + 2);
    const std::string_view name =
        close == std::string_view::npos ? "" : in.substr(open + 2, close - open - 2);
    out.append(in.substr(done, open - done));
    if (name.starts_with("file:")) {
      auto value = secret_file(name.substr(5), path);
      if (!value) return value.error();
      out.append(*value);
      done = close + 1;
      continue;
    }
    // The string may be a secret: name neither it nor a malformed reference in it.
    if (!is_environment_name(name)) return fail(path, "malformed ${NAME} reference");
    const auto value = env(name);
    if (!value) return fail(path, "environment variable " + std::string(name) + " is not set");
    out.append(*value);
    done = close + 1;
  }
  out.append(in.substr(done));
  text = out;
  return {};
}

// Substitutes in every string value of the tree; object keys are left alone.
result<void> substitute_environment(json::value& value, const std::string& path, const env_function& env) {
  if (value.is_string()) return substitute(value.get_string(), path, env);
  if (value.is_array()) {
    json::array& array = value.get_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      if (auto done = substitute_environment(array[i], element(path, i), env); !done) return done;
    }
  }
  if (value.is_object()) {
    for (auto& member : value.get_object()) {
      if (auto done = substitute_environment(member.value(), child(path, member.key()), env); !done)
        return done;
    }
  }
  return {};
}

struct file_closer {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

result<std::string> read_file(const std::string& path) {
  const auto unreadable = [&](int error) {
    return fail("", "cannot read " + path + ": " + std::generic_category().message(error));
  };
  std::unique_ptr<std::FILE, file_closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) return unreadable(errno);
  std::string text;
  std::array<char, 64 * 1024> buffer;
  while (const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get()))
    text.append(buffer.data(), n);
  if (std::ferror(file.get())) return unreadable(errno);
  return text;
}

}  // namespace

std::optional<std::string> process_environment(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (!value) return std::nullopt;
  return std::string(value);
}

cgw::result<config_ptr> load_text(std::string_view json_text, const load_options& options) {
  auto document = parse_json(json_text);
  if (!document) return std::move(document).error();
  if (auto substituted = substitute_environment(*document, "", options.env); !substituted) {
    return std::move(substituted).error();
  }
  auto config = parse_gateway(*document, options);
  if (!config) return std::move(config).error();
  if (auto valid = validate(*config); !valid) return std::move(valid).error();
  return std::make_shared<const gateway_config>(std::move(*config));
}

cgw::result<config_ptr> load_file(const std::string& path, const load_options& options) {
  auto text = read_file(path);
  if (!text) return std::move(text).error();
  return load_text(*text, options);
}

std::string sha256_hex(std::string_view key) {
  return digest::hex(digest::sha256(key));
}

bool is_loopback(std::string_view address) {
  if (ascii_lower(address) == "localhost") return true;
  if (auto v4 = urls::parse_ipv4_address(address)) return v4->is_loopback();
  if (auto v6 = urls::parse_ipv6_address(address)) {
    return v6->is_loopback() || (v6->is_v4_mapped() && v6->to_bytes()[12] == 127);
  }
  return false;
}

}  // namespace cgw::config
