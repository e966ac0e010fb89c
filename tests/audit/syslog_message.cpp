// gw/audit/syslog_message.hpp: RFC 5424 messages, byte for byte, and what happens to field
// contents the RFC forbids.
#include <gw/audit/syslog_message.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>

namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using gw::audit::format_rfc5424;
using gw::audit::syslog_message;
using gw::audit::syslog_severity;

sys_time<microseconds> at(year_month_day d, microseconds since_midnight) {
    return sys_days{d} + since_midnight;
}

syslog_message event() {
    syslog_message m;
    m.severity = syslog_severity::notice;
    m.timestamp = at(2026y / 12 / 2, 9h + 3min + 15s + 123456us);
    m.hostname = "gw1";
    m.procid = "4242";
    m.msgid = "tls_handshake_failed";
    m.structured_data = {
        {gw::audit::make_sd_id("event"), {{"seq", "17"}, {"category", "Security"}}},
        {gw::audit::make_sd_id("peer"), {{"address", "127.0.0.1"}, {"port", "50000"}}}};
    m.msg = "handshake failed";
    return m;
}

std::string formatted(const syslog_message& m) {
    std::string out = "stale contents";
    format_rfc5424(m, out);
    return out;
}

}  // namespace

TEST_CASE("syslog message: a whole event, byte for byte") {
    // <PRI = 13 (log audit) * 8 + 5 (notice)>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD
    // MSG
    CHECK(formatted(event()) ==
          "<109>1 2026-12-02T09:03:15.123456Z gw1 gw 4242 tls_handshake_failed "
          "[event@32473 seq=\"17\" category=\"Security\"]"
          "[peer@32473 address=\"127.0.0.1\" port=\"50000\"] handshake failed");
}

TEST_CASE("syslog message: empty fields are NILVALUE, an empty MSG is left out") {
    syslog_message m;
    m.app_name.clear();
    CHECK(formatted(m) == "<110>1 1970-01-01T00:00:00.000000Z - - - - -");
}

TEST_CASE("syslog message: PRI from facility and severity, out-of-range values bounded") {
    syslog_message m;
    m.facility = 0;
    m.severity = syslog_severity::emergency;
    CHECK(formatted(m).starts_with("<0>1 "));
    m.facility = 23;
    m.severity = syslog_severity::debug;
    CHECK(formatted(m).starts_with("<191>1 "));
    m.facility = 24;                               // not a facility: log audit
    m.severity = static_cast<syslog_severity>(9);  // not a severity: debug
    CHECK(formatted(m).starts_with("<111>1 "));
}

TEST_CASE("syslog message: timestamps in UTC with microseconds, outside 0000..9999 nil") {
    syslog_message m;
    m.timestamp = at(2024y / 2 / 29, 23h + 59min + 59s + 999999us);
    CHECK(formatted(m).starts_with("<110>1 2024-02-29T23:59:59.999999Z - gw "));
    m.timestamp = at(1969y / 12 / 31, 1us);  // before the epoch: floors to the day
    CHECK(formatted(m).starts_with("<110>1 1969-12-31T00:00:00.000001Z - gw "));
    m.timestamp = at(year{10000} / 1 / 1, 0us);
    CHECK(formatted(m) == "<110>1 - - gw - - -");
    m.timestamp = at(year{-1} / 1 / 1, 0us);
    CHECK(formatted(m) == "<110>1 - - gw - - -");
}

TEST_CASE(
    "syslog message: header fields are PRINTUSASCII, bytes outside become '_', cut to length") {
    syslog_message m;
    m.hostname = "gw host\x01\xC3\xA9";
    m.app_name = std::string(60, 'a');
    m.procid = std::string(130, '7');
    m.msgid = std::string(33, 'm');
    const auto out = formatted(m);
    CHECK(out == "<110>1 1970-01-01T00:00:00.000000Z gw_host___ " + std::string(48, 'a') + " " +
                     std::string(128, '7') + " " + std::string(32, 'm') + " -");
    m.hostname = std::string(300, 'h');
    CHECK(formatted(m).find(std::string(255, 'h') + " ") != std::string::npos);
    CHECK(formatted(m).find(std::string(256, 'h')) == std::string::npos);
}

TEST_CASE("syslog message: PARAM-VALUE escapes '\"', '\\' and ']' and nothing else") {
    syslog_message m;
    m.structured_data = {{"x@32473", {{"v", R"(a"b\c]d[e=f)"}}}};
    CHECK(formatted(m) ==
          R"(<110>1 1970-01-01T00:00:00.000000Z - gw - - [x@32473 v="a\"b\\c\]d[e=f"])");
}

TEST_CASE("syslog message: SD-NAME characters and length; an empty one is '_'") {
    syslog_message m;
    m.structured_data = {{"a b=c]d\"e", {{"", "1"}, {std::string(40, 'n'), "2"}}}, {"", {}}};
    CHECK(formatted(m) == "<110>1 1970-01-01T00:00:00.000000Z - gw - - [a_b_c_d_e _=\"1\" " +
                              std::string(32, 'n') + "=\"2\"][_]");
}

TEST_CASE("syslog message: values and MSG are valid UTF-8 without control characters") {
    const std::string fffd = "\xEF\xBF\xBD";
    syslog_message m;
    // A line feed, a lone continuation byte, an overlong '/', a surrogate, a byte above F4, a
    // truncated sequence at the end; then valid 2-, 3- and 4-byte characters kept as they are.
    m.structured_data = {{"x",
                          {{"v",
                            "a\nb\x80"
                            "c\xC0\xAF"
                            "d\xED\xA0\x80"
                            "e\xF5"
                            "f\xE2\x82"}}}};
    m.msg = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\x7F";
    CHECK(formatted(m) == "<110>1 1970-01-01T00:00:00.000000Z - gw - - [x v=\"a" + fffd + "b" +
                              fffd + "c" + fffd + fffd + "d" + fffd + fffd + fffd + "e" + fffd +
                              "f" + fffd + fffd +
                              "\"] \xEF\xBB\xBF\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80" + fffd);
}

TEST_CASE("syslog message: an ASCII MSG has no BOM, a UTF-8 one starts with it") {
    syslog_message m;
    m.msg = "plain";
    CHECK(formatted(m).ends_with("- - - plain"));
    m.msg = "caf\xC3\xA9";
    CHECK(
        formatted(m).ends_with("- - - \xEF\xBB\xBF"
                               "caf\xC3\xA9"));
}

TEST_CASE("syslog message: octet-counting framing appends LEN SP MSG") {
    std::string out = "5 hello";
    gw::audit::append_octet_counted("<110>1 - - - - - -", out);
    CHECK(out == "5 hello18 <110>1 - - - - - -");
    std::string empty;
    gw::audit::append_octet_counted("", empty);
    CHECK(empty == "0 ");
}

TEST_CASE("syslog message: SD-IDs with a configurable enterprise number") {
    CHECK(gw::audit::make_sd_id("event") == "event@32473");
    CHECK(gw::audit::make_sd_id("peer", 99999) == "peer@99999");
}

TEST_CASE("syslog message: severity filter keeps the minimum and more severe") {
    using gw::audit::at_least;
    CHECK(at_least(syslog_severity::error, syslog_severity::warning));
    CHECK(at_least(syslog_severity::warning, syslog_severity::warning));
    CHECK_FALSE(at_least(syslog_severity::notice, syslog_severity::warning));
}
