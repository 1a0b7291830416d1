// The Insights dimension map the fuzz target and the fast-parse test read answers with.
#pragma once

#include "adapters/twilio_insights_v3/translate.hpp"

namespace cgw::testing {

// The defaults, plus a dimension for every field they leave unmapped, so that every reader runs
// (dotted names both ways: flat keys "Account.Sid" and nested {"Account": {"Sid": ..}}).
inline const adapters::twilio_insights_v3::dimension_map& insights_every_field() {
  namespace v3 = adapters::twilio_insights_v3;
  static const v3::dimension_map dims = [] {
    auto m = v3::default_dimensions();
    m[v3::field::account_id] = "Account.Sid";
    m[v3::field::title] = "Title";
    m[v3::field::platform] = "Direction";
    m[v3::field::ended_at] = "DateEnded";
    m[v3::field::updated_at] = "DateUpdated";
    m[v3::field::summary] = "Summary.Text.Value";
    return m;
  }();
  return dims;
}

}  // namespace cgw::testing
