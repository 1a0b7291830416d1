#include "gateway/adapter/vendor_body.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>

namespace cgw::adapter {
namespace {

namespace json = boost::json;

constexpr int max_depth = 64;

// The value and the arena it lives in. The value holds the arena by plain pointer, so nothing
// in it is destroyed one by one: the arena's blocks go at once after it.
struct document {
  explicit document(std::size_t size_hint) : arena(size_hint) {}
  json::monotonic_resource arena;
  std::optional<json::value> value;  // emplaced by moving the parsed value: it keeps the arena
};

}  // namespace

std::optional<vendor_body> vendor_body::parse(std::string_view text) {
  json::parse_options opt;
  opt.max_depth = max_depth;
  // A parsed answer takes about twice its text: one first block instead of a doubling series.
  auto doc = std::make_shared<document>(std::max<std::size_t>(1024, 2 * text.size()));
  boost::system::error_code ec;
  doc->value.emplace(json::parse(text, ec, json::storage_ptr(&doc->arena), opt));
  if (ec) return std::nullopt;
  const json::value* root = &*doc->value;
  return vendor_body(std::shared_ptr<const json::value>(std::move(doc), root));
}

vendor_body::vendor_body(json::value v) : doc_(std::make_shared<const json::value>(std::move(v))) {}

}  // namespace cgw::adapter
