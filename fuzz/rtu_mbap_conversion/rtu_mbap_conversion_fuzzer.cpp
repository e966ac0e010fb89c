// libFuzzer harness for the zero-copy RTU <-> Modbus TCP conversion
// (include/gw/codec/adu_buffer.hpp) against the framings' own encoders and decoders. Input:
// [unit][transaction id, 2 bytes] then the PDU; the whole input is also tried as an RTU ADU and as
// an MBAP ADU.
//
// Properties:
//  - the PDU never moves: pdu().data() is the same before and after as_rtu() / as_mbap(), and
//    both framings' spans surround it (unit at -1, MBAP header at -7, CRC right after);
//  - the two framings coexist in the buffer: after as_rtu() and as_mbap() both are still valid;
//  - round trips: decode_mbap(as_mbap(tid)) and rtu_framer(as_rtu()) give back unit, PDU and
//    transaction id; as_rtu() equals encode_rtu, as_mbap() equals encode_mbap_header + PDU;
//  - RTU -> MBAP -> RTU and MBAP -> RTU -> MBAP rebuild the original bytes (CRC good ones);
//  - assign_* refuse exactly the sizes the limits forbid and leave the buffer unchanged then.

#include <gw/codec/adu_buffer.hpp>
#include <gw/codec/crc16.hpp>
#include <gw/codec/mbap.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/core/limits.hpp>
#include <gw/transport/concepts.hpp>

#include "../common/fuzz_support.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace {

using namespace std::chrono_literals;
using bytes_view = std::span<const std::uint8_t>;
using gw::fuzz::same_bytes;

// The RTU framer (request direction, silence framing: it takes any CRC-good ADU) finds exactly
// this unit and PDU in `adu`.
void check_rtu_decodes(bytes_view adu, std::uint8_t unit, bytes_view pdu) {
    gw::rtu_framer f{gw::pdu_direction::request, gw::rtu_framing::silence,
                     gw::rtu_timing_for_baud(19200)};
    const auto r1 = f.put(adu, gw::transport::time_point{0us});
    GW_FUZZ_CHECK(r1.status == gw::decode_status::need_more && r1.consumed == adu.size());
    const auto r2 = f.poll(gw::transport::time_point{1s});
    GW_FUZZ_CHECK(r2.status == gw::decode_status::frame);
    GW_FUZZ_CHECK(f.unit() == unit && same_bytes(f.pdu(), pdu));
}

void check_mbap_decodes(bytes_view adu, std::uint16_t tid, std::uint8_t unit, bytes_view pdu) {
    const auto r = gw::decode_mbap(adu);
    GW_FUZZ_CHECK(r.status == gw::decode_status::frame && r.consumed == adu.size());
    GW_FUZZ_CHECK(r.frame.header.transaction_id == tid && r.frame.header.unit == unit);
    GW_FUZZ_CHECK(same_bytes(r.frame.pdu, pdu));
}

void check_buffer(gw::adu_buffer& b, std::uint8_t unit, std::uint16_t tid, bytes_view pdu) {
    GW_FUZZ_CHECK(b.unit() == unit && b.pdu_size() == pdu.size() && same_bytes(b.pdu(), pdu));
    GW_FUZZ_CHECK(b.function() == (pdu.empty() ? 0 : pdu[0]));
    const std::uint8_t* const where = b.pdu().data();
    GW_FUZZ_CHECK(where == b.pdu_storage().data());

    const bytes_view rtu = b.as_rtu();
    GW_FUZZ_CHECK(b.pdu().data() == where && same_bytes(b.pdu(), pdu));
    GW_FUZZ_CHECK(rtu.data() == where - 1 && rtu.size() == pdu.size() + 3 && rtu[0] == unit);
    GW_FUZZ_CHECK(gw::crc16_ok(rtu));

    const bytes_view mbap = b.as_mbap(tid);
    GW_FUZZ_CHECK(b.pdu().data() == where && same_bytes(b.pdu(), pdu));
    GW_FUZZ_CHECK(mbap.data() == where - gw::mbap_header_size);
    GW_FUZZ_CHECK(mbap.size() == pdu.size() + gw::mbap_header_size && mbap[6] == unit);

    // Both framings are valid at once: as_mbap did not touch the CRC, as_rtu not the header.
    GW_FUZZ_CHECK(gw::crc16_ok(rtu));
    if (pdu.empty()) {
        // No such ADU on the wire: MBAP length 1 is a bad header, an RTU ADU needs a function.
        GW_FUZZ_CHECK(gw::decode_mbap(mbap).status == gw::decode_status::bad_header);
        return;
    }
    check_mbap_decodes(mbap, tid, unit, pdu);
    check_rtu_decodes(rtu, unit, pdu);

    // The encoders of the framings write the same bytes.
    std::array<std::uint8_t, gw::max_tcp_adu_size + 2> out{};
    GW_FUZZ_CHECK(gw::encode_rtu(unit, pdu, out) == rtu.size());
    GW_FUZZ_CHECK(same_bytes(bytes_view{out}.first(rtu.size()), rtu));
    GW_FUZZ_CHECK(gw::encode_mbap_header(tid, unit, pdu.size(), out) == gw::mbap_header_size);
    GW_FUZZ_CHECK(
        same_bytes(bytes_view{out}.first(gw::mbap_header_size), mbap.first(gw::mbap_header_size)));
}

void check_pdu_path(bytes_view input) {
    gw::fuzz::input_reader in{input};
    const std::uint8_t unit = in.u8();
    const std::uint16_t tid = in.u16();
    const bytes_view pdu = in.rest();

    gw::adu_buffer b;
    const bool fits = pdu.size() <= gw::max_pdu_size;
    GW_FUZZ_CHECK(b.assign_pdu(unit, pdu) == fits);
    if (!fits) {
        GW_FUZZ_CHECK(b.pdu_size() == 0 && b.unit() == 0);
        // set_pdu_size clamps rather than overflow the buffer.
        b.set_pdu_size(pdu.size());
        GW_FUZZ_CHECK(b.pdu_size() == gw::max_pdu_size);
        return;
    }
    check_buffer(b, unit, tid, pdu);

    // The answer is written in place and goes out in either framing: overwrite the PDU with its
    // reverse (a different PDU of the same size) and check again.
    std::vector<std::uint8_t> reversed(pdu.rbegin(), pdu.rend());
    const auto storage = b.pdu_storage();
    for (std::size_t i = 0; i < reversed.size(); ++i) {
        storage[i] = reversed[i];
    }
    b.set_pdu_size(reversed.size());
    check_buffer(b, unit, static_cast<std::uint16_t>(tid + 1), reversed);
}

// The whole input as an RTU ADU from the serial line: RTU -> MBAP -> RTU.
void check_rtu_path(bytes_view adu) {
    gw::adu_buffer b;
    const bool fits = adu.size() >= gw::min_rtu_adu_size && adu.size() <= gw::max_rtu_adu_size;
    GW_FUZZ_CHECK(b.assign_rtu(adu) == fits);
    if (!fits) {
        GW_FUZZ_CHECK(b.pdu_size() == 0);
        return;
    }
    const bytes_view pdu = adu.subspan(1, adu.size() - 3);
    const std::uint16_t tid = static_cast<std::uint16_t>(adu.size() * 257U);
    check_buffer(b, adu[0], tid, pdu);
    // as_rtu() recomputed the CRC: the original bytes come back if the CRC was good.
    GW_FUZZ_CHECK(same_bytes(b.as_rtu(), adu) == gw::crc16_ok(adu));
}

// The whole input as a Modbus TCP stream: MBAP -> RTU -> MBAP.
void check_mbap_path(bytes_view stream) {
    const auto r = gw::decode_mbap(stream);
    if (r.status != gw::decode_status::frame) {
        return;
    }
    gw::adu_buffer b;
    GW_FUZZ_CHECK(b.assign_pdu(r.frame.header.unit, r.frame.pdu));
    check_buffer(b, r.frame.header.unit, r.frame.header.transaction_id, r.frame.pdu);
    GW_FUZZ_CHECK(same_bytes(b.as_mbap(r.frame.header.transaction_id), stream.first(r.consumed)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const bytes_view input{data, size};
    check_pdu_path(input);
    check_rtu_path(input);
    check_mbap_path(input);
    return 0;
}
