#include "gateway/api/trace.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

namespace cgw::api {
namespace {

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zero(std::string_view s) {
  return s.find_first_not_of('0') == std::string_view::npos;
}

std::string random_hex(std::size_t digits) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out;
  while (out.size() < digits) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    out += buf;
  }
  out.resize(digits);
  return all_zero(out) ? random_hex(digits) : out;
}

}  // namespace

trace_context trace_for(std::string_view in) {
  // version "-" trace-id "-" parent-id "-" flags; a later version may append "-" and more.
  const bool shaped = in.size() >= 55 && in[2] == '-' && in[35] == '-' && in[52] == '-' &&
                      (in.size() == 55 || (in[55] == '-' && in.substr(0, 2) != "00"));
  std::string_view version = shaped ? in.substr(0, 2) : "", trace = shaped ? in.substr(3, 32) : "",
                   parent = shaped ? in.substr(36, 16) : "", flags = shaped ? in.substr(53, 2) : "";
  const bool valid = shaped && is_hex(version) && version != "ff" && is_hex(trace) && !all_zero(trace) &&
                     is_hex(parent) && !all_zero(parent) && is_hex(flags);
  trace_context t;
  t.trace_id = valid ? std::string(trace) : random_hex(32);
  t.traceparent = "00-" + t.trace_id + "-" + random_hex(16) + "-" + (valid ? std::string(flags) : "01");
  return t;
}

}  // namespace cgw::api
