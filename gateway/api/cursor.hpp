// Stateless, signed cursors: everything the next page needs, bound to its query.
#pragma once

#include "gateway/core/conversation.hpp"
#include "gateway/core/digest.hpp"
#include "gateway/core/error.hpp"

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace cgw::api {

using fingerprint = std::array<unsigned char, 16>;

// The query's identity: a truncated SHA-256 of its canonical filter bytes (and tenant).
fingerprint fingerprint_of(std::string_view material);

struct cursor_state {
  fingerprint query{};
  sort_key after;                      // the last record served: the next page starts past it
  std::vector<std::string> exhausted;  // vendors with nothing after `after`
};

// URL-safe base64 of the state and its HMAC-SHA-256 (under the cursor secret: runtime::cursor_mac).
std::string encode_cursor(const cursor_state& state, const digest::hmac_sha256& mac);

// Fails with invalid_cursor when the text is not one of ours, was altered, was made
// under another secret, or belongs to a query with other filters than `expected`.
result<cursor_state> decode_cursor(std::string_view text, const digest::hmac_sha256& mac,
                                   const fingerprint& expected);

}  // namespace cgw::api
