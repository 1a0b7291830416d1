#include "gateway/api/answer.hpp"

namespace cgw::api {

answer error_answer(const failure& f, std::string_view request_id) {
  answer a;
  a.status = http_status(f.code);
  boost::json::object e;
  e["code"] = to_string(f.code);
  e["message"] = f.message;
  if (!f.parameter.empty()) e["parameter"] = f.parameter;
  e["request_id"] = request_id;
  a.body["error"] = std::move(e);
  if (f.code == errc::rate_limited || f.retry_after_s > 0)
    a.headers.emplace_back("Retry-After", std::to_string(std::max(1, f.retry_after_s)));
  return a;
}

}  // namespace cgw::api
