#include "gateway/logging/logging.hpp"

#include <atomic>
#include <mutex>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace cgw::logging {
namespace {

std::atomic<bool> json_format{true};
std::mutex registry_mutex;

std::shared_ptr<spdlog::logger> logger_for(std::string_view component) {
  std::lock_guard lock(registry_mutex);
  std::string name(component);
  if (auto l = spdlog::get(name)) return l;
  auto l = spdlog::stderr_logger_mt(name);
  l->set_pattern(json_format ? "%v" : "%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  l->set_level(spdlog::get_level());
  return l;
}

}  // namespace

void setup(const config::logging_config& cfg) {
  json_format = cfg.format == "json";
  spdlog::set_level(spdlog::level::from_str(cfg.level));
  spdlog::set_pattern(json_format ? "%v" : "%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
}

void emit(spdlog::level::level_enum level, std::string_view component, std::string_view message,
          std::initializer_list<field> fields) {
  auto l = logger_for(component);
  if (!l->should_log(level)) return;
  if (json_format) {
    boost::json::object o;
    auto now = std::chrono::system_clock::now();
    o["time"] = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    o["level"] = spdlog::level::to_string_view(level).data();
    o["logger"] = component;
    o["msg"] = message;
    for (const auto& f : fields) o[f.key] = f.value;
    l->log(level, "{}", boost::json::serialize(o));
  } else {
    std::string line(message);
    for (const auto& f : fields) {
      line += ' ';
      line += f.key;
      line += '=';
      line += f.value.is_string() ? std::string(f.value.get_string()) : boost::json::serialize(f.value);
    }
    l->log(level, "{}", line);
  }
}

}  // namespace cgw::logging
