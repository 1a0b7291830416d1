// Value lists of Salesloft's wire contract (shared/vendors/README.md section 2 and the
// seed excerpt), shared by the data generator and the filter validation.
#pragma once

#include <array>
#include <string_view>

namespace cgw::sandbox::salesloft::wire {

inline constexpr std::string_view api_base = "https://api.salesloft.com/v2";

inline constexpr std::array<std::string_view, 11> platforms{
    "bluejeans",      "gotomeeting", "joinme", "manual_upload", "ms_teams",      "salesloft",
    "uberconference", "webex",       "zoom",   "google_meet",   "external_audio"};

inline constexpr std::array<std::string_view, 17> language_codes{
    "en-AU", "en-AB", "en-GB", "en-IN", "en-IE", "en-NZ", "en-ZA", "en-US", "en-WL",
    "es-ES", "es-US", "nl-NL", "it-IT", "fr-FR", "fr-CA", "de-DE", "de-CH"};

inline constexpr std::array<std::string_view, 2> media_types{"audio", "video"};

}  // namespace cgw::sandbox::salesloft::wire
