#include <gw/device_server/packer.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace gw::device_server;
using namespace std::chrono_literals;
using gw::timestamp;

namespace {

struct packets {
    std::vector<std::string> got;
    std::vector<const std::uint8_t*> starts;
    void operator()(std::span<const std::uint8_t> p) {
        got.emplace_back(p.begin(), p.end());
        starts.push_back(p.data());
    }
};

std::span<const std::uint8_t> bytes_of(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

template <std::size_t N>
void put(packer<N>& p, const std::string& s, timestamp now, packets& out) {
    p.put(bytes_of(s), now, out);
}

packer_settings delimited(char d, delimiter_process process = delimiter_process::keep) {
    packer_settings s;
    s.delimiter = {static_cast<std::uint8_t>(d), 0};
    s.delimiter_size = 1;
    s.process = process;
    return s;
}

packer_settings crlf(delimiter_process process) {
    packer_settings s;
    s.delimiter = {'\r', '\n'};
    s.delimiter_size = 2;
    s.process = process;
    return s;
}

}  // namespace

TEST_CASE("defaults: each read goes out at once, not copied") {
    packer<> p;
    packets out;
    const std::string in = "\x01\x03\x02\x00\x2A";
    p.put(bytes_of(in), timestamp{0}, out);
    REQUIRE(out.got.size() == 1);
    CHECK(out.got[0] == in);
    CHECK(out.starts[0] == bytes_of(in).data());
    CHECK(p.buffered() == 0);
    CHECK_FALSE(p.deadline());
    p.put({}, timestamp{1}, out);  // nothing read: nothing emitted
    CHECK(out.got.size() == 1);
}

TEST_CASE("delimiter, kept: the packet ends with it; the rest waits") {
    packer<> p{delimited('\r')};
    packets out;
    put(p, "AB\rCD", timestamp{0}, out);
    CHECK(out.got == std::vector<std::string>{"AB\r"});
    CHECK(p.buffered() == 2);
    CHECK_FALSE(p.deadline());  // no force-transmit: waits for the delimiter
    put(p, "E\r", timestamp{5000}, out);
    CHECK(out.got == std::vector<std::string>{"AB\r", "CDE\r"});
}

TEST_CASE("delimiter, stripped") {
    packer<> p{delimited('\r', delimiter_process::strip)};
    packets out;
    put(p, "AB\r\rCD\r", timestamp{0}, out);
    CHECK(out.got == std::vector<std::string>{"AB", "CD"});  // an empty packet is not emitted
}

TEST_CASE("delimiter +1 and +2: the bytes after it go with it") {
    packer<> p1{delimited('\x03', delimiter_process::plus_one)};
    packets out;
    put(p1, "AB\x03", timestamp{0}, out);
    CHECK(out.got.empty());
    put(p1, "XCD", timestamp{1}, out);
    CHECK(out.got == std::vector<std::string>{"AB\x03X"});
    CHECK(p1.buffered() == 2);

    packer<> p2{delimited('\x03', delimiter_process::plus_two)};
    packets out2;
    put(p2, "AB\x03\x03YZ", timestamp{0}, out2);  // a delimiter inside the trailer is data
    CHECK(out2.got == std::vector<std::string>{"AB\x03\x03Y"});
    CHECK(p2.buffered() == 1);
}

TEST_CASE("two-byte delimiter CR LF, kept and stripped, also split between reads") {
    packer<> keep{crlf(delimiter_process::keep)};
    packets out;
    put(keep, "A\rB\n\r", timestamp{0}, out);  // CR B LF is no delimiter
    CHECK(out.got.empty());
    put(keep, "\nC\r\r\n", timestamp{1}, out);  // CR (split) LF; then CR CR LF
    CHECK(out.got == std::vector<std::string>{"A\rB\n\r\n", "C\r\r\n"});

    packer<> strip{crlf(delimiter_process::strip)};
    packets out2;
    put(strip, "AB\r", timestamp{0}, out2);
    put(strip, "\nC\r\r\nD", timestamp{1}, out2);
    CHECK(out2.got == std::vector<std::string>{"AB", "C\r"});
    CHECK(strip.buffered() == 1);
}

TEST_CASE("strip, two-byte delimiter whose first byte already went out") {
    packer_settings s = crlf(delimiter_process::strip);
    s.max_length = 3;
    packer<> p{s};
    packets out;
    put(p, "AB\r\nC", timestamp{0}, out);  // "AB\r" reaches max_length; LF then ends nothing held
    CHECK(out.got == std::vector<std::string>{"AB\r"});
    CHECK(p.buffered() == 1);  // "C": the LF was stripped, not taken for data
}

TEST_CASE("force-transmit: an idle gap after the last byte ends the packet") {
    packer_settings s;
    s.force_transmit_ms = 10;
    packer<> p{s};
    packets out;
    put(p, "AB", timestamp{0}, out);
    REQUIRE(p.deadline());
    CHECK(*p.deadline() == timestamp{10'000});
    put(p, "C", timestamp{9'999}, out);  // within the gap: restarts it
    CHECK(*p.deadline() == timestamp{19'999});
    p.poll(timestamp{19'998}, out);
    CHECK(out.got.empty());
    p.poll(timestamp{19'999}, out);
    CHECK(out.got == std::vector<std::string>{"ABC"});
    CHECK_FALSE(p.deadline());
    p.poll(timestamp{50'000}, out);  // nothing held: nothing more
    CHECK(out.got.size() == 1);
}

TEST_CASE("force-transmit: bytes after a gap nobody polled for start a new packet") {
    packer_settings s;
    s.force_transmit_ms = 10;
    packer<> p{s};
    packets out;
    put(p, "AB", timestamp{0}, out);
    put(p, "CD", timestamp{25'000}, out);  // the gap already ended "AB"
    CHECK(out.got == std::vector<std::string>{"AB"});
    CHECK(p.buffered() == 2);
}

TEST_CASE("force-transmit with a delimiter: whichever comes first") {
    packer_settings s = delimited('\n');
    s.force_transmit_ms = 5;
    packer<> p{s};
    packets out;
    put(p, "AB\nCD", timestamp{0}, out);
    CHECK(out.got == std::vector<std::string>{"AB\n"});
    p.poll(timestamp{5'000}, out);
    CHECK(out.got == std::vector<std::string>{"AB\n", "CD"});
}

TEST_CASE("max length cuts packets") {
    packer_settings s;
    s.max_length = 4;
    packer<> p{s};
    packets out;
    put(p, "ABCDEFGHIJ", timestamp{0}, out);
    CHECK(out.got == std::vector<std::string>{"ABCD", "EFGH"});
    CHECK(p.buffered() == 2);
    CHECK_FALSE(p.deadline());  // waits for two more bytes
}

TEST_CASE("the buffer's capacity bounds a packet whose delimiter never comes") {
    packer<8> p{delimited('\n')};
    packets out;
    put(p, "0123456789", timestamp{0}, out);
    CHECK(out.got == std::vector<std::string>{"01234567"});
    CHECK(p.buffered() == 2);
    packer_settings big;
    big.max_length = 1000;  // above the capacity: the capacity rules
    packer<8> q{big};
    packets out2;
    put(q, "0123456789", timestamp{0}, out2);
    CHECK(out2.got == std::vector<std::string>{"01234567"});
}

TEST_CASE("flush and reset") {
    packer<> p{delimited('\n')};
    packets out;
    put(p, "AB", timestamp{0}, out);
    p.flush(out);
    CHECK(out.got == std::vector<std::string>{"AB"});
    put(p, "CD", timestamp{1}, out);
    p.reset();
    CHECK(p.buffered() == 0);
    put(p, "\n", timestamp{2}, out);
    CHECK(out.got == std::vector<std::string>{"AB", "\n"});
}

TEST_CASE("the same bytes in any chunks make the same packets") {
    packer_settings s = crlf(delimiter_process::plus_one);
    s.max_length = 7;
    const std::string in = "ab\r\nXcdefghij\r\r\nYk\rl\n";
    std::vector<std::string> whole;
    {
        packer<> p{s};
        packets out;
        put(p, in, timestamp{0}, out);
        p.flush(out);
        whole = out.got;
    }
    CHECK(whole == std::vector<std::string>{"ab\r\nX", "cdefghi", "j\r\r\nY", "k\rl\n"});
    for (std::size_t cut = 0; cut <= in.size(); ++cut) {
        packer<> p{s};
        packets out;
        put(p, in.substr(0, cut), timestamp{0}, out);
        put(p, in.substr(cut), timestamp{0}, out);
        p.flush(out);
        CHECK_MESSAGE(out.got == whole, "cut at ", cut);
    }
}
