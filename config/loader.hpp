// Loads the operator's configuration file (spec/configuration.md): parse, substitute ${NAME} from the
// environment, validate, freeze. Every failure is one errc::invalid_parameter whose `parameter` is the
// key path ("vendors.salesloft.timeout_ms", "clients[1].tenant"; "config" for the document as a whole)
// and whose `message` is "<key path>: <what is wrong>". No message ever contains a secret's value.
#pragma once

#include "config/config.hpp"
#include "gateway/core/error.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cgw::config {

// The process environment (std::getenv); nullopt when NAME is unset.
std::optional<std::string> process_environment(std::string_view name);

struct load_options {
  // Returns the value of an environment variable, or nullopt when unset.
  std::function<std::optional<std::string>(std::string_view)> env = process_environment;
  // True for a vendor `type` an adapter is registered for (the adapter registry says: config/ names
  // no vendor). Empty: any type here; the registry still refuses an unknown one, naming the key,
  // when the runtime is built.
  std::function<bool(std::string_view)> known_vendor_type;
};

// The frozen configuration; on failure one message naming the key path.
cgw::result<config_ptr> load_text(std::string_view json_text, const load_options& options = {});

// Same for a file; an unreadable file is a failure (parameter "config") whose message names the path.
cgw::result<config_ptr> load_file(const std::string& path, const load_options& options = {});

// Lower-case hex SHA-256 of a client key, as `key_sha256` stores it. Throws only if OpenSSL fails.
std::string sha256_hex(std::string_view key);

// True for 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 and "localhost"; false for anything else.
bool is_loopback(std::string_view address);

}  // namespace cgw::config
