#include "gateway/api/answer.hpp"

#include "gateway/core/json_writer.hpp"

namespace cgw::api {

std::string body_text(const answer& a) {
  std::string out;
  out.reserve(a.members.size() + 256 * a.body.size() + 2);  // meta and errors are small
  out.push_back('{');
  out.append(a.members);  // the records: spliced as they are, the body's bulk
  if (!a.members.empty() && !a.body.empty()) out.push_back(',');
  {
    json_writer w(out);
    w.begin_members();
    for (const auto& m : a.body) w.key(m.key()), w.dom(m.value());
    w.end_members();
  }
  out.push_back('}');
  return out;
}

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
