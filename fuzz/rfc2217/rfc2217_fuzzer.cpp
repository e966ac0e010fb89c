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
//    option replies than option requests received (plus the five sent at start: no loop).

#include <gw/device_server/com_port_server.hpp>
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

// An order-sensitive digest of the decoder's events; data is hashed byte by byte so that how the
// runs were cut does not show.
struct digest_handler {
    std::uint64_t hash = 14695981039346656037ULL;
    std::size_t data_bytes = 0;
    std::size_t events = 0;
    std::size_t malformed = 0;
    std::size_t options = 0;
    std::size_t com_port = 0;
    bytes_view input{};  // when set, data runs must lie inside it
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
    void on_data(bytes_view) { GW_FUZZ_CHECK(false); }  // the server never sends data
    void on_option(ds::telnet_verb, std::uint8_t) { ++options; }
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
    output_checker out;
    // Counted independently of the server: every option request it was given.
    ds::telnet_decoder in_reader;
    digest_handler in_store{};
    auto* in = &in_store;

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
    return 0;
}
