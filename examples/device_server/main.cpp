// gw_device_server: a serial line on the network, the NPort's TCP Server or RFC 2217 operation
// mode. One line per process; every connection, refusal and settings change is a log line on
// stderr ("gw_device_server: ready" on stdout once it listens). See docs/device-server.md.

#include <gw/policy/ip_network.hpp>
#include <gw/serial_server/port_server.hpp>

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

std::vector<std::uint8_t> hex_bytes(const std::string& text) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 2 <= text.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoul(text.substr(i, 2), nullptr, 16)));
    return out;
}

std::string_view kind_name(gw::serial_server::port_event_kind k) {
    using gw::serial_server::port_event_kind;
    switch (k) {
        case port_event_kind::connected:
            return "connected";
        case port_event_kind::disconnected:
            return "disconnected";
        case port_event_kind::refused:
            return "refused";
        case port_event_kind::settings_changed:
            return "settings";
        case port_event_kind::line_error:
            return "line error";
    }
    return "?";
}

}  // namespace

int main(int argc, char** argv) {
    namespace ss = gw::serial_server;
    ss::port_settings s;
    std::string mode = "tcp_server", when_full = "drop_oldest", parity = "none", delimiter;
    std::vector<std::string> allow;
    unsigned idle_s = 0;
    unsigned stop_bits = 1, data_bits = 8;

    CLI::App app{"gw_device_server: a serial line on the network (TCP Server or RFC 2217 mode)",
                 "gw_device_server"};
    app.add_option("--device", s.serial.device, "the serial line, e.g. /dev/ttyUSB0")->required();
    app.add_option("--baud", s.serial.baud, "baud rate")
        ->check(CLI::Range(50, 4'000'000))
        ->capture_default_str();
    app.add_option("--data-bits", data_bits, "data bits")->check(CLI::IsMember({7, 8}));
    app.add_option("--parity", parity, "parity")->check(CLI::IsMember({"none", "even", "odd"}));
    app.add_option("--stop-bits", stop_bits, "stop bits")->check(CLI::IsMember({1, 2}));
    app.add_option("--mode", mode, "operation mode")
        ->check(CLI::IsMember({"tcp_server", "rfc2217"}))
        ->capture_default_str();
    app.add_option("--address", s.address, "listen address")->capture_default_str();
    app.add_option("--port", s.port, "listen port (0: any free one)")->capture_default_str();
    app.add_option("--max-clients", s.max_clients, "clients sharing the line")
        ->check(CLI::Range(std::size_t{1}, ss::max_clients_limit))
        ->capture_default_str();
    app.add_option("--allow", allow, "admit only these sources (CIDR; repeat)");
    app.add_option("--client-backlog", s.client_backlog, "bytes held for a slow client")
        ->check(CLI::Range(ss::min_client_backlog, ss::max_client_backlog))
        ->capture_default_str();
    app.add_option("--when-full", when_full, "a slow client's backlog full")
        ->check(CLI::IsMember({"drop_oldest", "disconnect"}))
        ->capture_default_str();
    app.add_option("--idle-timeout", idle_s, "close a client silent this many seconds (0: never)");
    app.add_option("--delimiter", delimiter, "packing: send when these 1-2 bytes arrive (hex)")
        ->check([](const std::string& v) {
            return (v.size() == 2 || v.size() == 4) &&
                           v.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos
                       ? std::string{}
                       : std::string{"1 or 2 bytes in hex, e.g. 0d or 0d0a"};
        });
    app.add_option("--force-transmit-ms", s.packing.force_transmit_ms,
                   "packing: send what waited this long (0: off)")
        ->check(CLI::Range(0, 65535));
    app.add_option("--max-length", s.packing.max_length, "packing: send at this length (0: off)")
        ->check(CLI::Range(0, 1024));
    std::string tls_cert, tls_key, tls_client_ca;
    auto* cert = app.add_option("--tls-certificate", tls_cert,
                                "TLS: the server's certificate chain (PEM); clients speak TLS")
                     ->check(CLI::ExistingFile);
    auto* key = app.add_option("--tls-key", tls_key, "TLS: the certificate's private key (PEM)")
                    ->check(CLI::ExistingFile);
    auto* ca = app.add_option("--tls-client-ca", tls_client_ca,
                              "TLS authenticated: clients need a certificate from this CA (PEM)")
                   ->check(CLI::ExistingFile);
    cert->needs(key);
    key->needs(cert);
    ca->needs(cert);
    CLI11_PARSE(app, argc, argv);
#if defined(GW_ASIO_SSL)
    if (!tls_cert.empty()) {
        gw::tls::server_settings t;
        t.certificate_chain_file = tls_cert;
        t.private_key_file = tls_key;
        t.client_ca_file = tls_client_ca;
        auto made = gw::tls::make_server_context(t);
        if (!made) {
            std::cerr << "gw_device_server: " << made.error << "\n";
            return 1;
        }
        s.tls = std::make_shared<gw::net::ssl::context>(std::move(*made.context));
    }
#else
    if (!tls_cert.empty()) {
        std::cerr << "gw_device_server: built without TLS (wolfSSL): --tls-certificate refused\n";
        return 2;
    }
#endif

    s.serial.data_bits = static_cast<std::uint8_t>(data_bits);
    s.serial.stop_bits = static_cast<std::uint8_t>(stop_bits);
    s.serial.parity = parity == "even"  ? gw::transport::parity::even
                      : parity == "odd" ? gw::transport::parity::odd
                                        : gw::transport::parity::none;
    s.mode = mode == "rfc2217" ? ss::operation_mode::rfc2217 : ss::operation_mode::tcp_server;
    s.when_full = when_full == "disconnect" ? ss::when_backlog_full::disconnect
                                            : ss::when_backlog_full::drop_oldest;
    s.idle_timeout = std::chrono::seconds{idle_s};
    const auto d = hex_bytes(delimiter);
    for (std::size_t i = 0; i < d.size(); ++i)
        s.packing.delimiter[i] = d[i];
    s.packing.delimiter_size = static_cast<std::uint8_t>(d.size());
    for (const auto& a : allow) {
        const auto n = gw::policy::parse_ip_network(a);
        if (!n) {
            std::cerr << "gw_device_server: --allow " << a << " " << gw::policy::describe(n.error)
                      << "\n";
            return 2;
        }
        s.allowlist.push_back(n.network);
    }

    gw::net::io_context io;
    ss::port_server server{io, s, [](const ss::port_event& e) {
                               std::cerr << "gw_device_server: " << kind_name(e.kind)
                                         << (e.peer.empty() ? "" : " ") << e.peer << ": "
                                         << e.detail << std::endl;
                           }};
    if (const auto error = server.start(); !error.empty()) {
        std::cerr << "gw_device_server: " << error << "\n";
        return 1;
    }
    std::cerr << "gw_device_server: " << s.serial.device << " on " << s.address << ":"
              << server.local_endpoint().port() << " (" << mode
              << (tls_cert.empty()        ? ""
                  : tls_client_ca.empty() ? " over TLS"
                                          : " over TLS, client certificates required")
              << ")" << std::endl;
    std::cout << "gw_device_server: ready" << std::endl;
    gw::net::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&](const gw::transport::error_code&, int) {
        const auto& c = server.counters();
        std::cerr << "gw_device_server: stopping: line in " << c.serial_bytes_in << " out "
                  << c.serial_bytes_out << " bytes, accepted " << c.accepted << ", refused "
                  << c.refused_allowlist + c.refused_full + c.refused_tls << ", dropped "
                  << c.dropped_bytes << " bytes" << std::endl;
        server.stop();
    });
    io.run();
    return 0;
}
