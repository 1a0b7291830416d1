#include "adapters/builtin.hpp"

#include "adapters/salesloft/adapter.hpp"
#include "adapters/salesloft/translate.hpp"
#include "adapters/twilio_flex_insights/adapter.hpp"
#include "adapters/twilio_flex_insights/translate.hpp"
#include "adapters/twilio_insights_v3/adapter.hpp"
#include "adapters/twilio_insights_v3/translate.hpp"
#include "adapters/zild/adapter.hpp"
#include "adapters/zild/translate.hpp"

namespace cgw::adapters {

void register_builtin(adapter::registry& r) {
  r.add(std::string(salesloft::type_name), salesloft::make_adapter);
  r.add(std::string(zild::type_name), zild::make_adapter);
  r.add(std::string(twilio_flex_insights::type_name), twilio_flex_insights::make_adapter);
  r.add(std::string(twilio_insights_v3::type_name), twilio_insights_v3::make_adapter);
}

}  // namespace cgw::adapters
