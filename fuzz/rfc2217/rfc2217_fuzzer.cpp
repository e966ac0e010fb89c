// libFuzzer harness for the serial device server's Telnet / RFC 2217 side:
// telnet_decoder, escape_data and com_port_server (include/gw/device_server/). Input: one
// configuration byte (bit 0: 1.5 stop bits supported, bit 1: no mark/space parity, bit 2: the
// server's output is drained only every fourth receive, bits 3-7: seed of the chunk sizes), then
// the network stream a client sends.
//
// Properties:
//  - the decoder's events (data bytes, options, commands, COM-PORT commands, malformed reports)
//    are the same however the stream is cut: whole, in chunks, byte by byte;
//  - data runs are non-empty views into the caller's input, and at most the input comes out;
//    each COM-PORT command has a known code, a value of its command's size, a bounded text;
//  - escape_data of any bytes, through output buffers of any size >= 2, decodes back to exactly
//    those bytes and nothing else (the decoder's data round trip);
//  - the server consumes everything when drained (liveness), pauses only when its queue cannot
//    take another reply, never drops a reply, keeps settings its capabilities allow, and writes
//    a well-formed stream: only server COM-PORT codes and negotiation, never data, no more
//    option replies than option requests received (plus the five sent at start), and never a
//    second WILL or DO for an option before a refusal on that side (RFC 854: no loop);
//  - the packer (settings from the stream's first bytes): packets non-empty and within the
//    limit, every byte delivered (bar stripped delimiters), the same packets in any chunks.

#include <gw/device_server/com_port_server.hpp>
#include <gw/device_server/packer.hpp>
#include <gw/device_server/telnet_codec.hpp>

#include "../common/fuzz_support.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace {

namespace ds = gw::device_server;
using bytes_view = std::span<const std::uint8_t>;

constexpr std::size_t max_input = 4096;

// What the server has agreed to or requested and not seen refused since ([0]: its side, WILL;
// [1]: the client's side, DO). RFC 854: a party never repeats a positive it is already in, so a
// second positive before a negative on that side would be the start of a loop.
using said_yes_flags = std::array<std::array<bool, 256>, 2>;

// An order-sensitive digest of the decoder's events; data is hashed byte by byte so that how the
// runs were cut does not show.
struct digest_handler {
    std::uint64_t hash = 14695981039346656037ULL;
    std::size_t data_bytes = 0;
    std::size_t events = 0;
    std::size_t malformed = 0;
    std::size_t options = 0;
    std::size_t com_port = 0;
    bytes_view input{};                  // when set, data runs must lie inside it
    said_yes_flags* said_yes = nullptr;  // when set, the client's refusals clear it
    std::array<std::uint8_t, max_input> data{};

    void mix(std::uint8_t b) {
        hash ^= b;
        hash *= 1099511628211ULL;
    }
    void on_data(bytes_view run) {
        GW_FUZZ_CHECK(!run.empty());
        if (!input.empty()) {
            GW_FUZZ_CHECK(run.data() >= input.data() &&
                          run.data() + run.size() <= input.data() + input.size());
        }
        for (const std::uint8_t b : run) {
            GW_FUZZ_CHECK(data_bytes < data.size());
            data[data_bytes++] = b;
            mix('d');
            mix(b);
        }
    }
    void on_option(ds::telnet_verb v, std::uint8_t option) {
        const auto vb = static_cast<std::uint8_t>(v);
        GW_FUZZ_CHECK(vb >= ds::telnet::will && vb <= ds::telnet::dont);
        if (said_yes != nullptr && v == ds::telnet_verb::dont) {
            (*said_yes)[0][option] = false;
        }
        if (said_yes != nullptr && v == ds::telnet_verb::wont) {
            (*said_yes)[1][option] = false;
        }
        ++events;
        ++options;
        mix('o');
        mix(vb);
        mix(option);
    }
    void on_com_port(const ds::com_port_command& c) {
        GW_FUZZ_CHECK(c.raw_code <= ds::com_port_last_code ||
                      (c.raw_code >= ds::com_port_server_offset &&
                       c.raw_code <= ds::com_port_server_offset + ds::com_port_last_code));
        GW_FUZZ_CHECK(c.text_size <= ds::max_signature);
        const auto code = c.code();
        if (code == ds::com_port_code::signature) {
            GW_FUZZ_CHECK(!c.has_value && c.value == 0);
        } else {
            GW_FUZZ_CHECK(c.text_size == 0);
        }
        if (code != ds::com_port_code::set_baudrate) {
            GW_FUZZ_CHECK(c.value <= 0xFF);
        }
        if (code == ds::com_port_code::flowcontrol_suspend ||
            code == ds::com_port_code::flowcontrol_resume) {
            GW_FUZZ_CHECK(!c.has_value);
        }
        ++events;
        ++com_port;
        mix('c');
        mix(c.raw_code);
        for (int shift = 24; shift >= 0; shift -= 8) {
            mix(static_cast<std::uint8_t>(c.value >> static_cast<unsigned>(shift)));
        }
        mix(c.has_value ? 1 : 0);
        for (const std::uint8_t t : c.signature()) {
            mix(t);
        }
    }
    void on_malformed(ds::telnet_malformed m) {
        ++events;
        ++malformed;
        mix('m');
        mix(static_cast<std::uint8_t>(m));
    }
    void on_command(std::uint8_t c) {
        GW_FUZZ_CHECK(c != ds::telnet::iac && c != ds::telnet::sb && c < ds::telnet::will);
        ++events;
        mix('x');
        mix(c);
    }
    void on_subnegotiation(std::uint8_t option, bytes_view payload) {
        GW_FUZZ_CHECK(option != ds::telnet::option_com_port);
        GW_FUZZ_CHECK(payload.size() < ds::max_subnegotiation);
        ++events;
        mix('s');
        mix(option);
        for (const std::uint8_t b : payload) {
            mix(b);
        }
    }
};

bool same(const digest_handler& a, const digest_handler& b) {
    return a.hash == b.hash && a.data_bytes == b.data_bytes && a.events == b.events &&
           a.malformed == b.malformed;
}

// Chunk sizes 1..64 from a small generator seeded by the input, so chunking is reproducible.
struct chunker {
    std::uint32_t state;
    std::size_t next() {
        state ^= state << 13U;
        state ^= state >> 17U;
        state ^= state << 5U;
        return 1 + state % 64U;
    }
};

struct server_sink {
    std::size_t data_bytes = 0;
    void on_data(bytes_view b) { data_bytes += b.size(); }
    void on_settings(const ds::serial_settings&) {}
    void on_purge(ds::purge p) {
        const auto v = static_cast<std::uint8_t>(p);
        GW_FUZZ_CHECK(v >= 1 && v <= 3);
    }
    void on_flow(bool) {}
};

// What the server wrote, read back by a decoder as a client would.
struct output_checker {
    std::size_t options = 0;
    said_yes_flags* said_yes = nullptr;
    void on_data(bytes_view) { GW_FUZZ_CHECK(false); }  // the server never sends data
    void on_option(ds::telnet_verb v, std::uint8_t option) {
        ++options;
        const bool positive = v == ds::telnet_verb::will || v == ds::telnet_verb::do_;
        const std::size_t side = v == ds::telnet_verb::will || v == ds::telnet_verb::wont ? 0 : 1;
        bool& flag = (*said_yes)[side][option];
        if (positive) {
            GW_FUZZ_CHECK(!flag);  // never a second WILL/DO without a refusal in between
        }
        flag = positive;
    }
    void on_com_port(const ds::com_port_command& c) { GW_FUZZ_CHECK(c.from_server()); }
    void on_malformed(ds::telnet_malformed) { GW_FUZZ_CHECK(false); }
    void on_command(std::uint8_t) { GW_FUZZ_CHECK(false); }
    void on_subnegotiation(std::uint8_t, bytes_view) { GW_FUZZ_CHECK(false); }
};

void check_decoder(bytes_view stream, std::uint32_t seed) {
    ds::telnet_decoder whole;
    digest_handler a_store{};
    auto* a = &a_store;
    a->input = stream;
    GW_FUZZ_CHECK(whole.decode(stream, *a) == stream.size());
    GW_FUZZ_CHECK(a->data_bytes <= stream.size());
    GW_FUZZ_CHECK(whole.malformed_count() == a->malformed);

    ds::telnet_decoder chunked;
    digest_handler b_store{};
    auto* b = &b_store;
    chunker c{seed | 1U};
    for (std::size_t at = 0; at < stream.size();) {
        const std::size_t n = c.next();
        const auto part = stream.subspan(at, n < stream.size() - at ? n : stream.size() - at);
        b->input = part;
        GW_FUZZ_CHECK(chunked.decode(part, *b) == part.size());
        at += part.size();
    }
    GW_FUZZ_CHECK(same(*a, *b));
    GW_FUZZ_CHECK(whole.in_command() == chunked.in_command());

    ds::telnet_decoder single;
    digest_handler s_store{};
    auto* s = &s_store;
    for (std::size_t i = 0; i < stream.size(); ++i) {
        s->input = stream.subspan(i, 1);
        single.decode(stream.subspan(i, 1), *s);
    }
    GW_FUZZ_CHECK(same(*a, *s));
}

// escape_data(x) through an output buffer of `room` bytes, then decode: x and nothing else.
void check_escape_round_trip(bytes_view data, std::size_t room) {
    std::array<std::uint8_t, 2 * max_input> wire{};
    std::size_t size = 0;
    for (bytes_view rest = data; !rest.empty();) {
        const std::size_t k = room < wire.size() - size ? room : wire.size() - size;
        const auto r = ds::escape_data(rest, std::span<std::uint8_t>{wire}.subspan(size, k));
        GW_FUZZ_CHECK(r.consumed > 0 && r.written >= r.consumed && r.written <= k);
        GW_FUZZ_CHECK(r.written <= 2 * r.consumed);
        size += r.written;
        rest = rest.subspan(r.consumed);
    }
    ds::telnet_decoder d;
    digest_handler h_store{};
    auto* h = &h_store;
    d.decode(bytes_view{wire}.first(size), *h);
    GW_FUZZ_CHECK(h->events == 0 && !d.in_command());
    GW_FUZZ_CHECK(gw::fuzz::same_bytes(bytes_view{h->data}.first(h->data_bytes), data));
}

void check_server(bytes_view stream, std::uint8_t config) {
    ds::serial_capabilities caps{};
    caps.one_and_half_stop_bits = (config & 1U) != 0;
    caps.mark_space_parity = (config & 2U) == 0;
    const bool lazy = (config & 4U) != 0;
    ds::com_port_server server_store{{}, caps};
    auto* server = &server_store;
    server_sink sink;
    ds::telnet_decoder out_reader;
    said_yes_flags said_yes{};
    output_checker out;
    out.said_yes = &said_yes;
    // Counted independently of the server: every option request it was given.
    ds::telnet_decoder in_reader;
    digest_handler in_store{};
    auto* in = &in_store;
    in->said_yes = &said_yes;

    const auto drain = [&] {
        const auto o = server->output();
        GW_FUZZ_CHECK(out_reader.decode(o, out) == o.size());
        server->consume_output(o.size());
        GW_FUZZ_CHECK(server->output().empty());
    };
    server->start();
    drain();
    chunker c{static_cast<std::uint32_t>(config) * 2654435761U + 7U};
    std::size_t calls = 0;
    for (bytes_view rest = stream; !rest.empty();) {
        const std::size_t n = c.next();
        const auto part = rest.first(n < rest.size() ? n : rest.size());
        const std::size_t used = server->receive(part, sink);
        GW_FUZZ_CHECK(used <= part.size());
        if (used < part.size()) {
            // Paused: only because another reply might not fit.
            GW_FUZZ_CHECK(server->output().size() + ds::com_port_server::max_reply >
                          ds::com_port_server::output_capacity);
        }
        in->input = part.first(used);
        in_reader.decode(part.first(used), *in);
        rest = rest.subspan(used);
        GW_FUZZ_CHECK(ds::supported(server->settings(), caps));
        ++calls;
        if (!lazy || calls % 4 == 0 || used < part.size()) {
            drain();
            // Modem lines from the stream's bytes, while the queue has room.
            server->modem_lines(part.empty() ? 0 : part[0]);
            drain();
        }
        GW_FUZZ_CHECK(calls < 4 * stream.size() + 8);  // liveness: draining always makes room
    }
    drain();
    GW_FUZZ_CHECK(server->dropped_count() == 0);
    GW_FUZZ_CHECK(sink.data_bytes == in->data_bytes);
    GW_FUZZ_CHECK(server->malformed_count() == in->malformed);
    // No loop: each option frame sent answers one received, apart from the five requests.
    GW_FUZZ_CHECK(out.options <= in->options + 5);
}

// The packer (not network-facing, but cheap to check here): settings from the stream's first
// bytes, then the stream as serial input. Packets are never empty nor over the limit, their
// bytes are the input's (with "strip", minus delimiters), and chunking does not change them.
struct packet_log {
    std::uint64_t hash = 14695981039346656037ULL;
    std::size_t packets = 0;
    std::size_t bytes = 0;
    std::size_t limit = 0;
    void operator()(bytes_view p) {
        GW_FUZZ_CHECK(!p.empty() && p.size() <= limit);
        ++packets;
        bytes += p.size();
        hash = (hash ^ 0x100U) * 1099511628211ULL;  // packet boundary
        for (const std::uint8_t b : p) {
            hash = (hash ^ b) * 1099511628211ULL;
        }
    }
};

void check_packer(bytes_view stream, std::uint32_t seed) {
    gw::fuzz::input_reader r{stream};
    ds::packer_settings s{};
    s.delimiter = {r.u8(), r.u8()};
    s.delimiter_size = static_cast<std::uint8_t>(r.below(3));
    s.process = static_cast<ds::delimiter_process>(r.below(4));
    s.max_length = static_cast<std::uint16_t>(r.below(4) == 0 ? 0 : 1 + r.below(40));
    const bytes_view serial = r.rest();
    constexpr std::size_t capacity = 32;
    // With nothing set, each put() goes out whole, whatever its size (no copy, no buffer).
    const bool immediate = s.delimiter_size == 0 && s.max_length == 0;
    const std::size_t limit = immediate           ? serial.size()
                              : s.max_length == 0 ? capacity
                                                  : s.max_length;

    ds::packer<capacity> whole{s};
    packet_log a{};
    a.limit = limit;
    whole.put(serial, gw::timestamp{0}, a);
    GW_FUZZ_CHECK(whole.buffered() < limit || (immediate && whole.buffered() == 0));
    whole.flush(a);
    if (s.delimiter_size == 0 || s.process != ds::delimiter_process::strip) {
        GW_FUZZ_CHECK(a.bytes == serial.size());
    } else {
        GW_FUZZ_CHECK(a.bytes <= serial.size());
    }

    ds::packer<capacity> chunked{s};
    packet_log b{};
    b.limit = limit;
    chunker c{seed | 1U};
    for (bytes_view rest = serial; !rest.empty();) {
        const std::size_t n = c.next();
        const auto part = rest.first(n < rest.size() ? n : rest.size());
        chunked.put(part, gw::timestamp{0}, b);
        rest = rest.subspan(part.size());
    }
    chunked.flush(b);
    GW_FUZZ_CHECK(a.bytes == b.bytes);
    if (!immediate) {  // immediate: each read is its own packet, by design
        GW_FUZZ_CHECK(a.hash == b.hash && a.packets == b.packets);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0 || size > max_input) {
        return 0;
    }
    const std::uint8_t config = data[0];
    const bytes_view stream{data + 1, size - 1};
    check_decoder(stream,
                  static_cast<std::uint32_t>(config) << 8U | static_cast<std::uint32_t>(size));
    check_escape_round_trip(stream, 2 + (config >> 3U));
    check_escape_round_trip(stream, max_input);
    check_server(stream, config);
    check_packer(stream, config);
    return 0;
}
