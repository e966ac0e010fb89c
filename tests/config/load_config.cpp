// Tests include/gw/config/load_config.hpp: the public entry points, error reporting, comments and
// trailing commas, files, and hostile input.

#include "config/config_test_support.hpp"

#include <gw/config/load_config.hpp>

#include <doctest/doctest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

using namespace gw::config;
using namespace gw::config::test;

namespace {

/// A file in the temporary directory, removed when the test ends.
struct temp_file {
    std::filesystem::path path;

    explicit temp_file(std::string_view contents, std::string_view name = "gateway.json") {
        static int counter = 0;
        path = std::filesystem::temp_directory_path() /
               ("gw-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
                "-" + std::string(name));
        std::ofstream out(path, std::ios::binary);
        out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    }
    ~temp_file() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
};

std::string position(const config_error& e) {
    return std::to_string(e.line) + ":" + std::to_string(e.column);
}

}  // namespace

TEST_CASE("an out-of-range value names file, line, column, key path and range") {
    const std::string_view text =
        "// gateway.json\n"
        "{\n"
        "  \"channels\": [\n"
        "    { \"name\": \"line1\", \"type\": \"serial\", \"device\": \"/dev/ttyUSB0\" },\n"
        "  ],\n"
        "  \"listeners\": [\n"
        "    { \"name\": \"modbus\", \"protocol\": \"modbus_tcp\", \"port\": 502 },\n"
        "    {\n"
        "      \"name\": \"priority\",\n"
        "      \"protocol\": \"modbus_tcp\",\n"
        "      \"priority\": \"high\",\n"
        "      // the MGate's priority port is 7502\n"
        "      \"port\":\n"
        "      70000,\n"
        "    },\n"
        "  ],\n"
        "  \"routes\": [ { \"units\": 1, \"channel\": \"line1\" } ],\n"
        "}\n";
    const auto r = parse_config(text, "gateway.json");
    REQUIRE(std::holds_alternative<config_error>(r));
    const config_error& e = std::get<config_error>(r);
    CHECK(e.file == "gateway.json");
    CHECK(e.line == 14);
    CHECK(e.column == 7);
    CHECK(e.key_path == "listeners[1].port");
    CHECK(e.message == "70000 is out of range 1..65535");
    CHECK(e.to_string() == "gateway.json:14:7: listeners[1].port: 70000 is out of range 1..65535");
}

TEST_CASE("config_error::to_string leaves out what is not known") {
    CHECK(config_error{"a.json", 0, 0, "", "cannot open: x"}.to_string() ==
          "a.json: cannot open: x");
    CHECK(config_error{"a.json", 3, 1, "", "unexpected ','"}.to_string() ==
          "a.json:3:1: unexpected ','");
    CHECK(config_error{"a.json", 3, 9, "routes[0]", "m"}.to_string() == "a.json:3:9: routes[0]: m");
}

TEST_CASE("syntax errors carry line and column but no key path") {
    const config_error e = error_of("{\n  \"channels\": [\n    { \"name\": 'line1' }\n  ]\n}\n");
    CHECK(position(e) == "3:15");
    CHECK(e.key_path.empty());
    CHECK(e.message == "unexpected ''' (keys and strings need double quotes)");
}

TEST_CASE("comments and trailing commas are accepted everywhere") {
    const std::string_view text = R"(// leading line comment
/* leading block
   comment */
{ // after the brace
  "channels": /* before a value */ [ // after a bracket
    {
      "name" /* between key and colon */ : "line1", // after a member
      "type": "serial",
      "device": "/dev/ttyUSB0",
      "rs485": { "enabled": true, }, /* trailing comma in a nested object */
      "reopen_backoff_ms": [ 100, 5000, ], // trailing comma in an array
    }, // trailing comma after the last channel
  ],
  "listeners": [ { "name": "m", "protocol": "modbus_tcp", "port": 1502, "allowlist": [ "10.0.0.5", ], }, ],
  "routes": [ { "units": "1-3", "channel": "line1", /* the last member */ }, ],
  "log": {
    // an object holding only a comment is an empty object
  },
} // trailing comment
/* and a final block comment */)";
    const gateway_config c = config_of(text);
    REQUIRE(c.channels.size() == 1);
    CHECK(std::get<serial_line_config>(c.channels[0].link).rs485.enabled);
    CHECK(std::get<tcp_listener_config>(c.listeners[0].endpoint).allowlist.size() == 1);
    CHECK(c.log == log_config{});
}

TEST_CASE("a UTF-8 byte order mark and CRLF line endings are accepted") {
    const std::string text = "\xEF\xBB\xBF" + document(serial_channel, tcp_listener, route);
    CHECK(config_of(text).channels.size() == 1);

    std::string crlf = "{\r\n\"channels\": [" + std::string(serial_channel) +
                       "],\r\n\"listeners\": [" + std::string(tcp_listener) +
                       "],\r\n\"routes\": [{\"units\": 300, \"channel\": \"line1\"}]\r\n}\r\n";
    const config_error e = error_of(crlf);
    CHECK(position(e) == "4:22");
    CHECK(e.key_path == "routes[0].units");

    const std::string bom_error = "\xEF\xBB\xBF{\"x\": 1}";
    CHECK(position(error_of(bom_error)) == "1:2");
}

TEST_CASE("columns count characters, not bytes") {
    // "/dev/t\xc3\xa9" is a valid device path; the error is on "baud", after the two-byte 'e'.
    const config_error e = error_of(with_channel(
        "{\"name\": \"l\", \"type\": \"serial\", \"device\": \"/dev/t\xc3\xa9\", \"baud\": 1}"));
    CHECK(e.key_path == "channels[0].baud");
    CHECK(position(e) == "2:75");
}

TEST_CASE("hostile input: deep nesting") {
    std::string deep = "{\"channels\": ";
    deep += std::string(100, '[');
    deep += std::string(100, ']');
    deep += "}";
    const config_error e = error_of(deep);
    CHECK(position(e) == "1:29");  // the 16th '[' (the object is the first level)
    CHECK(e.message == "nested deeper than 16 levels");

    std::string objects;
    for (int i = 0; i < 5000; ++i) {
        objects += "{\"a\":";
    }
    CHECK(error_of(objects).message == "nested deeper than 16 levels");
}

TEST_CASE("hostile input: huge and odd numbers where integers belong") {
    const auto port = [](std::string_view value) {
        return error_of(with_listener(R"({"name": "m", "protocol": "modbus_tcp", "port": )" +
                                      std::string(value) + "}"));
    };
    CHECK(port("99999999999999999999999").message ==
          "99999999999999999999999 is out of range 1..65535");
    CHECK(port("18446744073709551615").message == "18446744073709551615 is out of range 1..65535");
    CHECK(port("-9223372036854775808").message == "-9223372036854775808 is out of range 1..65535");
    CHECK(port("1e400").message == "expected a whole number in 1..65535, got 1e400");
    CHECK(port("502.0").message == "expected a whole number in 1..65535, got 502.0");
    CHECK(port("5.02e2").message == "expected a whole number in 1..65535, got 5.02e2");
    CHECK(port("-0").message == "-0 is out of range 1..65535");
    CHECK(port("0").message == "0 is out of range 1..65535");
    const std::string digits(300, '9');
    CHECK(port(digits).message ==
          std::string(40, '9') + "... is out of range 1..65535");  // cut in the message
    CHECK(port("1e99999999999999999999").message == "number with an exponent too large");
}

TEST_CASE("hostile input: NUL bytes and invalid UTF-8") {
    std::string nul = with_channel(serial_channel);
    nul.insert(nul.find("line1") + 2, 1, '\0');
    const config_error e = error_of(nul);
    CHECK(position(e) == "2:26");
    CHECK(e.message.find("control character 0x00 in a string") != std::string::npos);

    // An escaped NUL is valid JSON, but not a valid name or device.
    CHECK(error_of(with_channel(R"({"name": "a\u0000b", "type": "serial", "device": "/dev/x"})"))
              .message ==
          "\"a\\u0000b\" is not a valid name: use 1 to 64 letters, digits, '_', "
          "'-' or '.'");
    CHECK(error_of(with_channel(R"({"name": "a", "type": "serial", "device": "/dev/\u0000"})"))
              .message.find("not an absolute device path") != std::string::npos);

    std::string bad_utf8 = with_channel(serial_channel);
    bad_utf8[bad_utf8.find("line1")] = '\xfe';
    const config_error u = error_of(bad_utf8);
    CHECK(position(u) == "2:24");
    CHECK(u.message == "invalid UTF-8 in a string");

    std::string bad_key = with_channel(serial_channel);
    bad_key[bad_key.find("name") + 1] = '\x80';
    CHECK(error_of(bad_key).message == "invalid UTF-8 in a string");
}

TEST_CASE("hostile input: size limit") {
    const std::string base = document(serial_channel, tcp_listener, route);
    // Padding to exactly the limit is accepted...
    std::string exact = base + std::string(max_config_file_size - base.size(), ' ');
    CHECK(config_of(exact).channels.size() == 1);
    // ...one byte more is not, and neither are 2 MiB.
    exact += ' ';
    const config_error e = error_of(exact);
    CHECK(e.line == 0);
    CHECK(e.message == "the file is larger than 1048576 bytes");
    const std::string two_mib(2 << 20, '{');
    CHECK(error_of(two_mib).message == "the file is larger than 1048576 bytes");
}

TEST_CASE("hostile input: a string of 2 MiB is refused in parse_config and from a file") {
    const temp_file big(std::string(2 << 20, ' '));
    const auto r = load_config_file(big.path);
    REQUIRE(std::holds_alternative<config_error>(r));
    const config_error& e = std::get<config_error>(r);
    CHECK(e.file == big.path.string());
    CHECK(e.line == 0);
    CHECK(e.to_string() == big.path.string() + ": the file is larger than 1048576 bytes");
}

TEST_CASE("load_config_file: a valid file, a missing one, a directory, an invalid one") {
    const temp_file good(document(serial_channel, tcp_listener, route));
    const auto ok = load_config_file(good.path);
    REQUIRE(std::holds_alternative<gateway_config>(ok));
    CHECK(std::get<gateway_config>(ok).routes.size() == 1);

    const auto missing = load_config_file(good.path.string() + ".does-not-exist");
    REQUIRE(std::holds_alternative<config_error>(missing));
    CHECK(std::get<config_error>(missing).message == "cannot open: No such file or directory");
    CHECK(std::get<config_error>(missing).line == 0);

    const auto directory = load_config_file(std::filesystem::temp_directory_path());
    REQUIRE(std::holds_alternative<config_error>(directory));
    CHECK(std::get<config_error>(directory).message == "cannot read: Is a directory");

    const temp_file bad("{\n  \"channels\": 1\n}\n", "bad.json");
    const auto b = load_config_file(bad.path);
    REQUIRE(std::holds_alternative<config_error>(b));
    CHECK(std::get<config_error>(b).to_string() ==
          bad.path.string() + ":2:15: channels: expected an array, got the number 1");

    const temp_file empty("", "empty.json");
    const auto em = load_config_file(empty.path);
    REQUIRE(std::holds_alternative<config_error>(em));
    CHECK(std::get<config_error>(em).to_string() ==
          empty.path.string() +
              ":1:1: no JSON object in the file (it is empty or holds only comments)");
}

TEST_CASE("the file name given to parse_config appears in every error") {
    const auto r = parse_config("[]", "/etc/gw/gateway.json");
    REQUIRE(std::holds_alternative<config_error>(r));
    CHECK(std::get<config_error>(r).to_string() ==
          "/etc/gw/gateway.json:1:1: expected a JSON object at the top level, got an array");
}
