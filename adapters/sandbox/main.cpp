// vendor-sandbox: serves one vendor's sandbox, or all of them on consecutive ports, until
// SIGINT or SIGTERM. Only wiring: the logic lives in the sandbox libraries.
#include "adapters/module.hpp"
#include "adapters/sandbox/server.hpp"

#include <charconv>
#include <csignal>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/signal_set.hpp>

namespace {

using namespace cgw;

using adapters::vendor_module;

constexpr std::string_view usage =
    "usage: vendor-sandbox --vendor NAME [--port N] | --all [--base-port N]\n"
    "         [--address IP] [--allow-remote] [--records N] [--seed S] [--budget N] [--memoize]\n"
    "         [--latency-ms N] [--fault-status S] [--fault-count N] [--rate-limit-count N] [--retry-after "
    "S]\n"
    "         [--fault-body malformed|truncated|hang|slow_drip|oversize|page_loop|early_hints]\n"
    "         [--fault-body-count N]\n"
    "Ports default to 9101 + the vendor's fixed offset (--help lists them). Faults can be changed at run "
    "time:\n"
    "POST /__sandbox/faults with a JSON object of the same fields; GET /__sandbox/stats.\n"
    "--memoize (for benchmarks): the first 2xx answer to a method + target + Authorization + body is\n"
    "replayed from memory afterwards, while no 429/error/body fault applies (latency still does);\n"
    "replays skip the vendor's budget, so pair it with --budget 0.\n";

struct command_line {
  std::string vendor;  // empty with --all
  bool all = false;
  bool help = false;
  bool memoize = false;
  std::string address = "127.0.0.1";
  bool allow_remote = false;
  std::optional<std::uint16_t> port, base_port;
  adapters::sandbox_data data;
  sandbox::fault_menu faults;
};

template <class T>
bool set_number(std::optional<T>& out, std::string_view text) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return false;
  out = v;
  return true;
}

// The command line; fails with a message for the user on anything it does not understand.
result<command_line> parse(int argc, char** argv) {
  const auto bad = [](std::string message) {
    return failure::make(errc::invalid_parameter, std::move(message));
  };
  command_line c;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--all" || flag == "--allow-remote" || flag == "--memoize" || flag == "--help" ||
        flag == "-h") {
      bool& switch_on = flag == "--all"            ? c.all
                        : flag == "--allow-remote" ? c.allow_remote
                        : flag == "--memoize"      ? c.memoize
                                                   : c.help;
      switch_on = true;
      continue;
    }
    if (i + 1 == argc) return bad("unknown flag or missing value: " + std::string(flag));
    const std::string_view value = argv[++i];
    bool number_ok = true;
    if (flag == "--vendor") {
      c.vendor = value;
    } else if (flag == "--address") {
      c.address = value;
    } else if (flag == "--port") {
      number_ok = set_number(c.port, value);
    } else if (flag == "--base-port") {
      number_ok = set_number(c.base_port, value);
    } else if (flag == "--records") {
      number_ok = set_number(c.data.records, value);
    } else if (flag == "--seed") {
      number_ok = set_number(c.data.seed, value);
    } else if (flag == "--budget") {
      number_ok = set_number(c.data.budget, value);
    } else {
      const auto fault = sandbox::apply_fault_flag(c.faults, flag, value);
      if (!fault) return fault.error();
      if (!*fault) return bad("unknown flag: " + std::string(flag));
    }
    if (!number_ok) return bad(std::string(flag) + " must be a non-negative integer in range");
  }
  if (!c.help && c.all == !c.vendor.empty()) return bad("give exactly one of --vendor NAME and --all");
  return c;
}

// The sandboxes to start, with their ports; fails on an unknown vendor or a port past 65535.
result<std::vector<std::pair<const vendor_module*, std::uint16_t>>> choose(const command_line& c) {
  std::vector<std::pair<const vendor_module*, std::uint16_t>> chosen;
  for (const vendor_module* v : adapters::modules()) {
    if (!c.all && v->type != c.vendor) continue;
    const unsigned port = c.port && !c.all ? *c.port : c.base_port.value_or(9101) + v->sandbox.port_offset;
    if (port > 65535)
      return failure::make(errc::invalid_parameter, "--base-port is too high for every vendor");
    chosen.emplace_back(v, static_cast<std::uint16_t>(port));
  }
  if (chosen.empty()) {
    std::string known;
    for (const vendor_module* v : adapters::modules())
      known += (known.empty() ? "" : ", ") + std::string(v->type);
    return failure::make(errc::invalid_parameter, "unknown vendor " + c.vendor + " (known: " + known + ")");
  }
  return chosen;
}

int usage_error(std::string_view problem) {
  std::cerr << "vendor-sandbox: " << problem << "\n" << usage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = parse(argc, argv);
  if (!args) return usage_error(args.error().message);
  if (args->help) {
    std::cout << usage << "Vendors (--vendor NAME) and their port offsets:\n";
    for (const vendor_module* v : adapters::modules())
      std::cout << "  " << v->type << " +" << v->sandbox.port_offset << "\n";
    return 0;
  }
  const auto chosen = choose(*args);
  if (!chosen) return usage_error(chosen.error().message);
  boost::system::error_code ec;
  const auto address = net::ip::make_address(args->address, ec);
  if (ec) return usage_error("--address must be an IP address: " + args->address);
  if (!address.is_loopback() && !args->allow_remote) {
    return usage_error("refusing to listen on non-loopback " + args->address + " without --allow-remote");
  }

  const std::string host = address.is_v6() ? "[" + args->address + "]" : args->address;
  std::vector<std::unique_ptr<sandbox::server>> servers;
  for (const auto& [v, port] : *chosen) {
    auto& s =
        servers.emplace_back(std::make_unique<sandbox::server>(v->sandbox.make(args->data), args->faults));
    if (args->memoize) s->set_memoize(true);
    try {
      const auto bound = s->start(args->address, port);
      std::cout << v->type << " listening on http://" << host << ':' << bound << std::endl;
    } catch (const boost::system::system_error& e) {
      std::cerr << "vendor-sandbox: " << v->type << " cannot listen on " << host << ':' << port << ": "
                << e.code().message() << "\n";
      return 1;
    }
  }

  net::io_context signals_io;
  net::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int) {});
  signals_io.run();
  return 0;  // the servers stop as they are destroyed
}
