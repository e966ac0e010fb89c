// libFuzzer harness for the hostile-input boundary (include/gw/codec/pdu.hpp) and the device
// server behind it (include/gw/device/server.hpp). Input: pairs [request length][request]
// [response length][response] until the end; one server (one data model) sees every request in
// turn, so its state (listen-only mode, counters) carries over as on a real bus.
//
// Properties:
//  - validate_request answers 01, 02 or 03 (or nothing); user-defined codes are valid, codes 0
//    and >= 0x80 are 01; a valid request is 1..253 bytes;
//  - a valid request has a predicted length: predict_pdu_length(request) is known and equal to
//    its size (unknown only for user-defined codes, FC 8/0 and FC 43/13), and every proper prefix
//    asks for more (need_more with a length in (prefix, size]) or already knows that size: what
//    the RTU framer relies on to end a frame on its last byte;
//  - the request, RTU-encoded, is framed by rtu_framer (request direction, predicted) as itself;
//  - typed views (parse_*) of a valid request stay inside it and within the spec's limits;
//  - the device server answers every request (unless listen-only): an invalid one with
//    exactly [fc | 0x80, the code validate_request gave], a valid one with a response that
//    validate_response accepts for that request;
//  - validate_response on any response: accepted => the function echoes (or is the exception
//    form), the predicted response length equals its size, and rtu_framer (response direction,
//    predicted) frames it as itself.

#include <gw/codec/pdu.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/core/function_code.hpp>
#include <gw/core/limits.hpp>
#include <gw/device/server.hpp>
#include <gw/device/static_data_model.hpp>
#include <gw/transport/concepts.hpp>

#include "../common/fuzz_support.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace {

using namespace std::chrono_literals;
using bytes_view = std::span<const std::uint8_t>;
using gw::exception_code;
using gw::length_prediction;
using gw::pdu_direction;

// Large enough for in-range and out-of-range reads of every function (02 from the model).
using model_type = gw::static_data_model<2048, 2048, 512, 512>;

bool unpredictable_request(bytes_view q) {
    const std::uint8_t fc = q[0];
    return gw::is_user_defined(fc) || (fc == 8 && q.size() >= 3 && q[1] == 0 && q[2] == 0) ||
           (fc == 43 && q.size() >= 2 && q[1] == gw::mei_canopen_general_reference);
}

// Whether the framer of `dir` (predicted mode) hands `pdu` back unchanged.
void check_framed_as_itself(pdu_direction dir, bytes_view pdu) {
    std::array<std::uint8_t, gw::max_rtu_adu_size> adu{};
    const std::size_t n = gw::encode_rtu(0x21, pdu, adu);
    GW_FUZZ_CHECK(n == pdu.size() + 3);
    gw::rtu_framer f{dir, gw::rtu_framing::predicted, gw::rtu_timing_for_baud(19200)};
    gw::decode_result r = f.put(bytes_view{adu}.first(n), gw::transport::time_point{0us});
    if (r.status == gw::decode_status::need_more) {
        // An unpredictable length: the silence ends it.
        GW_FUZZ_CHECK(r.consumed == n);
        r = f.poll(gw::transport::time_point{1s});
    }
    GW_FUZZ_CHECK(r.status == gw::decode_status::frame);
    GW_FUZZ_CHECK(f.unit() == 0x21 && gw::fuzz::same_bytes(f.pdu(), pdu));
}

void check_prefix_predictions(bytes_view q) {
    for (std::size_t k = 1; k < q.size(); ++k) {
        const length_prediction p = gw::predict_pdu_length(pdu_direction::request, q.first(k));
        switch (p.kind) {
            case length_prediction::need_more:
                GW_FUZZ_CHECK(p.length > k && p.length <= q.size());
                break;
            case length_prediction::known:
                GW_FUZZ_CHECK(p.length == q.size());
                break;
            case length_prediction::unknown:
                GW_FUZZ_CHECK(unpredictable_request(q));
                break;
        }
    }
}

void check_typed_views(bytes_view q) {
    const std::uint8_t fc = q[0];
    const auto window_ok = [](std::uint32_t start, std::uint32_t quantity) {
        return start + quantity <= gw::address_space;
    };
    switch (fc) {
        case 1:
        case 2:
        case 3:
        case 4: {
            GW_FUZZ_CHECK(gw::is_read_request(q));
            const auto r = gw::parse_read_request(q);
            const std::uint16_t max = fc <= 2 ? gw::max_read_bits : gw::max_read_registers;
            GW_FUZZ_CHECK(r.quantity >= 1 && r.quantity <= max && window_ok(r.address, r.quantity));
            break;
        }
        case 5:
        case 6: {
            const auto w = gw::parse_write_single(q);
            GW_FUZZ_CHECK(fc == 6 || w.value == gw::coil_on || w.value == gw::coil_off);
            break;
        }
        case 15:
        case 16: {
            const auto w = gw::parse_write_multiple(q);
            const std::size_t expected =
                fc == 15 ? (std::size_t{w.quantity} + 7) / 8 : 2 * std::size_t{w.quantity};
            GW_FUZZ_CHECK(w.quantity >= 1 && window_ok(w.address, w.quantity));
            GW_FUZZ_CHECK(w.values.size() == expected && w.values.data() == q.data() + 6);
            GW_FUZZ_CHECK(w.values.data() + w.values.size() == q.data() + q.size());
            break;
        }
        case 22: {
            (void)gw::parse_mask_write(q);
            break;
        }
        case 23: {
            const auto rw = gw::parse_read_write(q);
            GW_FUZZ_CHECK(rw.read_quantity >= 1 && rw.read_quantity <= gw::max_rw_read_registers);
            GW_FUZZ_CHECK(rw.write_quantity >= 1 &&
                          rw.write_quantity <= gw::max_rw_write_registers);
            GW_FUZZ_CHECK(window_ok(rw.read_address, rw.read_quantity) &&
                          window_ok(rw.write_address, rw.write_quantity));
            GW_FUZZ_CHECK(rw.values.size() == 2 * std::size_t{rw.write_quantity});
            GW_FUZZ_CHECK(rw.values.data() + rw.values.size() == q.data() + q.size());
            break;
        }
        case 8: {
            const auto d = gw::parse_diagnostic(q);
            GW_FUZZ_CHECK(d.data.data() == q.data() + 3 && d.data.size() == q.size() - 3);
            break;
        }
        default:
            GW_FUZZ_CHECK(!gw::is_read_request(q));
            break;
    }
}

void check_request(bytes_view q, const std::optional<exception_code>& verdict) {
    if (q.empty()) {
        GW_FUZZ_CHECK(verdict == exception_code::illegal_function);
        return;
    }
    const std::uint8_t fc = q[0];
    if (q.size() <= gw::max_pdu_size) {
        if (gw::is_user_defined(fc)) {
            GW_FUZZ_CHECK(!verdict);
        }
        if (fc == 0 || gw::is_exception(fc)) {
            GW_FUZZ_CHECK(verdict == exception_code::illegal_function);
        }
    }
    if (verdict) {
        GW_FUZZ_CHECK(*verdict == exception_code::illegal_function ||
                      *verdict == exception_code::illegal_data_address ||
                      *verdict == exception_code::illegal_data_value);
        return;
    }
    // A valid request.
    GW_FUZZ_CHECK(q.size() <= gw::max_pdu_size);
    GW_FUZZ_CHECK(gw::is_public(fc) || gw::is_user_defined(fc));
    const length_prediction whole = gw::predict_pdu_length(pdu_direction::request, q);
    if (unpredictable_request(q)) {
        GW_FUZZ_CHECK(whole.kind == length_prediction::unknown ||
                      (whole.kind == length_prediction::known && whole.length == q.size()));
    } else {
        GW_FUZZ_CHECK(whole.kind == length_prediction::known && whole.length == q.size());
    }
    check_prefix_predictions(q);
    check_framed_as_itself(pdu_direction::request, q);
    check_typed_views(q);
}

void check_response(bytes_view q, bytes_view r) {
    if (!gw::validate_response(q, r)) {
        return;
    }
    GW_FUZZ_CHECK(!q.empty() && !r.empty() && r.size() <= gw::max_pdu_size);
    if (r[0] != q[0]) {
        // The exception form.
        GW_FUZZ_CHECK(r[0] == (q[0] | gw::exception_flag) && r.size() == 2);
        GW_FUZZ_CHECK(!gw::is_exception(q[0]));
    }
    if (gw::validate_request(q)) {
        return;  // the length rules below assume the request itself was valid
    }
    const length_prediction p = gw::predict_pdu_length(pdu_direction::response, r);
    GW_FUZZ_CHECK(p.kind != length_prediction::need_more);
    if (p.kind == length_prediction::known) {
        GW_FUZZ_CHECK(p.length == r.size());
    } else {
        GW_FUZZ_CHECK(r[0] == q[0] && unpredictable_request(q));
    }
    check_framed_as_itself(pdu_direction::response, r);
}

void check_server(gw::server<model_type>& server, bytes_view q,
                  const std::optional<exception_code>& verdict) {
    if (q.empty()) {
        return;
    }
    const bool was_listen_only = server.listen_only();
    std::array<std::uint8_t, gw::max_pdu_size> out{};
    const std::size_t n = server.handle(q, out);
    GW_FUZZ_CHECK(n <= out.size());
    const bytes_view answer = bytes_view{out}.first(n);
    const bool restart = q[0] == 8 && q.size() == 5 && q[1] == 0 && q[2] == 1;
    if (was_listen_only && !restart) {
        GW_FUZZ_CHECK(n == 0 && server.listen_only());
        return;
    }
    if (verdict) {
        GW_FUZZ_CHECK(n == 2 && out[0] == (q[0] | gw::exception_flag) &&
                      out[1] == static_cast<std::uint8_t>(*verdict));
        return;
    }
    if (n == 0) {
        // Only FC 8/4 (enter listen-only) and FC 8/1 leaving listen-only are silent.
        GW_FUZZ_CHECK(q[0] == 8 && q[1] == 0 && (q[2] == 4 || (q[2] == 1 && was_listen_only)));
        return;
    }
    GW_FUZZ_CHECK(gw::validate_response(q, answer));
    check_response(q, answer);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    gw::fuzz::input_reader in{data, size};
    model_type model;
    static constexpr std::array<std::uint8_t, 7> server_id{'g', 'w', '-', 'f', 'u', 'z', 'z'};
    gw::server<model_type> server{model, server_id};
    while (!in.empty()) {
        const bytes_view q = in.take(in.u8());
        const bytes_view r = in.take(in.u8());
        const auto verdict = gw::validate_request(q);
        check_request(q, verdict);
        check_server(server, q, verdict);
        check_response(q, r);
        std::array<std::uint8_t, 2> exception{};
        const std::uint8_t fc = q.empty() ? std::uint8_t{0} : q[0];
        GW_FUZZ_CHECK(
            gw::make_exception_response(fc, exception_code::illegal_data_value, exception) == 2);
        GW_FUZZ_CHECK(gw::validate_response(q, exception) == (!q.empty() && !gw::is_exception(fc)));
    }
    return 0;
}
