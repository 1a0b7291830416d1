// A credential read from configuration. It has no stream or fmt formatter on
// purpose: the only way to its bytes is reveal(), at the place that sends it.
#pragma once

#include <string>
#include <utility>

namespace cgw::config {

class secret {
 public:
  secret() = default;
  explicit secret(std::string value) : value_(std::move(value)) {}

  const std::string& reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }
  friend bool operator==(const secret&, const secret&) = default;

 private:
  std::string value_;
};

}  // namespace cgw::config
