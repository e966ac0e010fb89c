// libFuzzer harness for decode_mbap (include/gw/codec/mbap.hpp): the input is a Modbus TCP
// receive stream. Properties:
//  - each status agrees with an independent reading of the header (need_more / bad_header /
//    frame, consumed, header fields, the PDU as a span into the caller's buffer);
//  - streaming consistency: every prefix of the buffer gives need_more until the verdict, then
//    the same verdict (a bad header is reported as soon as its bytes are there, never later);
//  - round trip: encode_mbap_header + PDU rebuilds the bytes consumed;
//  - the stream cut into arbitrary receive chunks (as a connection delivers it) decodes into
//    the same frames as the whole buffer.

#include <gw/codec/mbap.hpp>
#include <gw/core/limits.hpp>

#include "../common/fuzz_support.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace {

using bytes_view = std::span<const std::uint8_t>;

std::uint16_t be16(bytes_view b, std::size_t at) {
    return static_cast<std::uint16_t>(b[at] << 8U | b[at + 1]);
}

// The verdict on a buffer, computed from the specification and not from the decoder.
gw::decode_status expected_status(bytes_view b) {
    const bool bad_pid = b.size() >= 4 && be16(b, 2) != 0;
    const bool bad_len =
        b.size() >= 6 && (be16(b, 4) < gw::min_mbap_length || be16(b, 4) > gw::max_mbap_length);
    if (bad_pid || bad_len) {
        return gw::decode_status::bad_header;
    }
    if (b.size() < 6 || b.size() < std::size_t{6} + be16(b, 4)) {
        return gw::decode_status::need_more;
    }
    return gw::decode_status::frame;
}

void check_one(bytes_view b, const gw::mbap_decode_result& r) {
    const gw::decode_status expected = expected_status(b);
    GW_FUZZ_CHECK(r.status == expected);
    if (r.status != gw::decode_status::frame) {
        GW_FUZZ_CHECK(r.consumed == 0);
        return;
    }
    const std::size_t length = be16(b, 4);
    GW_FUZZ_CHECK(r.consumed == 6 + length && r.consumed <= b.size());
    GW_FUZZ_CHECK(r.frame.header.transaction_id == be16(b, 0));
    GW_FUZZ_CHECK(r.frame.header.protocol_id == 0);
    GW_FUZZ_CHECK(r.frame.header.length == length);
    GW_FUZZ_CHECK(r.frame.header.unit == b[6]);
    // Zero copy: the PDU is the caller's bytes after the 7-byte header.
    GW_FUZZ_CHECK(r.frame.pdu.data() == b.data() + gw::mbap_header_size);
    GW_FUZZ_CHECK(r.frame.pdu.size() == length - 1);
    GW_FUZZ_CHECK(!r.frame.pdu.empty() && r.frame.pdu.size() <= gw::max_pdu_size);

    // Round trip.
    std::array<std::uint8_t, gw::max_tcp_adu_size> out{};
    const std::size_t h = gw::encode_mbap_header(r.frame.header.transaction_id, r.frame.header.unit,
                                                 r.frame.pdu.size(), out);
    GW_FUZZ_CHECK(h == gw::mbap_header_size);
    for (std::size_t i = 0; i < r.frame.pdu.size(); ++i) {
        out[h + i] = r.frame.pdu[i];
    }
    GW_FUZZ_CHECK(
        gw::fuzz::same_bytes(bytes_view{out}.first(h + r.frame.pdu.size()), b.first(r.consumed)));
}

// Every prefix sees need_more until the full verdict is reachable, then exactly that verdict.
void check_prefixes(bytes_view b, const gw::mbap_decode_result& whole) {
    const std::size_t limit =
        b.size() < gw::max_tcp_adu_size + 1 ? b.size() : gw::max_tcp_adu_size + 1;
    bool decided = false;
    for (std::size_t k = 0; k <= limit; ++k) {
        const auto r = gw::decode_mbap(b.first(k));
        check_one(b.first(k), r);
        if (decided) {
            GW_FUZZ_CHECK(r.status == whole.status && r.consumed == whole.consumed);
        } else if (r.status != gw::decode_status::need_more) {
            decided = true;
            GW_FUZZ_CHECK(r.status == whole.status && r.consumed == whole.consumed);
        }
    }
}

struct frame_record {
    std::size_t offset;  // in the stream
    std::size_t size;
};

// Decodes the stream as a connection does: a fixed receive buffer, bytes appended in chunks,
// frames taken from the front. Returns how many frames were found, writing them to `frames`.
template <std::size_t N>
std::size_t decode_chunked(bytes_view stream, std::span<const std::uint8_t> cuts,
                           std::array<frame_record, N>& frames, gw::decode_status& last) {
    std::array<std::uint8_t, gw::max_tcp_adu_size> rx{};
    std::size_t held = 0;
    std::size_t fed = 0;
    std::size_t base = 0;  // stream offset of rx[0]
    std::size_t count = 0;
    std::size_t cut = 0;
    last = gw::decode_status::need_more;
    while (true) {
        // Take what is decodable out of the buffer first.
        for (;;) {
            const auto r = gw::decode_mbap(bytes_view{rx}.first(held));
            last = r.status;
            if (r.status != gw::decode_status::frame) {
                break;
            }
            if (count < N) {
                frames[count] = {base, r.consumed};
            }
            ++count;
            for (std::size_t i = r.consumed; i < held; ++i) {
                rx[i - r.consumed] = rx[i];
            }
            held -= r.consumed;
            base += r.consumed;
        }
        if (last == gw::decode_status::bad_header || fed == stream.size()) {
            return count;
        }
        std::size_t chunk = cuts.empty() ? 1 : std::size_t{cuts[cut++ % cuts.size()]} + 1;
        chunk = chunk < stream.size() - fed ? chunk : stream.size() - fed;
        chunk = chunk < rx.size() - held ? chunk : rx.size() - held;
        // A full buffer always holds a verdict (the largest ADU is 260 bytes).
        GW_FUZZ_CHECK(chunk > 0);
        for (std::size_t i = 0; i < chunk; ++i) {
            rx[held + i] = stream[fed + i];
        }
        held += chunk;
        fed += chunk;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const bytes_view all{data, size};

    // One ADU at the start of the buffer.
    const auto whole = gw::decode_mbap(all);
    check_one(all, whole);
    check_prefixes(all, whole);

    // A stream of ADUs, decoded whole (frames taken one after the other)...
    std::array<frame_record, 64> reference{};
    std::size_t reference_count = 0;
    gw::decode_status reference_last = gw::decode_status::need_more;
    for (std::size_t offset = 0;;) {
        const bytes_view rest = all.subspan(offset);
        const auto r = gw::decode_mbap(rest);
        check_one(rest, r);
        reference_last = r.status;
        if (r.status != gw::decode_status::frame) {
            break;
        }
        if (reference_count < reference.size()) {
            reference[reference_count] = {offset, r.consumed};
        }
        ++reference_count;
        offset += r.consumed;
    }

    // ...and cut into chunks whose sizes come from the input's first bytes: same frames.
    const bytes_view cuts = all.first(size < 8 ? size : 8);
    std::array<frame_record, 64> chunked{};
    gw::decode_status chunked_last = gw::decode_status::need_more;
    const std::size_t chunked_count = decode_chunked(all, cuts, chunked, chunked_last);
    GW_FUZZ_CHECK(chunked_count == reference_count);
    GW_FUZZ_CHECK(chunked_last == reference_last);
    for (std::size_t i = 0; i < reference_count && i < reference.size(); ++i) {
        GW_FUZZ_CHECK(chunked[i].offset == reference[i].offset);
        GW_FUZZ_CHECK(chunked[i].size == reference[i].size);
    }
    return 0;
}
