// A vendor's parsed answer, shared by the records read from it: a record's `raw` points
// into the answer instead of copying the vendor's native object (a scan of a thousand
// records would otherwise copy and free every one of them).
#pragma once

#include "gateway/core/conversation.hpp"

#include <memory>
#include <optional>
#include <string_view>

#include <boost/json/value.hpp>

namespace cgw::adapter {

class vendor_body {
 public:
  // Untrusted JSON: nesting deeper than 64 is refused. The answer gets an arena of its own,
  // released whole with the last record read from it; nullopt when it is not JSON.
  static std::optional<vendor_body> parse(std::string_view text);

  // Implicit: a translator takes a parsed value as it is, moved in.
  vendor_body(boost::json::value v);

  const boost::json::value& value() const noexcept { return *doc_; }

  // `part`, an object inside this answer, as a record's raw: it keeps the whole answer alive.
  raw_record share(const boost::json::object& part) const { return raw_record(doc_, &part); }

 private:
  explicit vendor_body(std::shared_ptr<const boost::json::value> doc) : doc_(std::move(doc)) {}
  std::shared_ptr<const boost::json::value> doc_;
};

}  // namespace cgw::adapter
