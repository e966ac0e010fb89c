// Writes the seed corpora of the gw fuzzers: fuzz/<name>/corpus/<seed>. The committed seeds were
// made by this program (cmake --build <dir> --target gw_fuzz_seeds); run it again after changing
// a harness's input format. Frames come from tests/codec/vectors.hpp (a request/response pair for
// every function code), encoded in each harness's input format (see the comment at the top of
// each harness).
//
// Usage: gw_fuzz_make_seeds <fuzz directory>

#include <gw/audit/record.hpp>
#include <gw/codec/ascii_framer.hpp>
#include <gw/codec/mbap.hpp>
#include <gw/codec/pdu.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/device_server/telnet_codec.hpp>

#include <codec/vectors.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using bytes = std::vector<std::uint8_t>;

std::filesystem::path root;
std::size_t written = 0;

void write(const std::string& fuzzer, std::string name, const bytes& data) {
    for (char& c : name) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
        c = keep ? (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) : '_';
    }
    const auto dir = root / fuzzer / "corpus";
    std::filesystem::create_directories(dir);
    std::ofstream out{dir / name, std::ios::binary};
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    ++written;
}

bytes cat(std::initializer_list<bytes> parts) {
    bytes out;
    for (const auto& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

bytes text(std::string_view s) {
    return {s.begin(), s.end()};
}

bytes rtu(std::uint8_t unit, const bytes& pdu) {
    bytes out(pdu.size() + 3);
    out.resize(gw::encode_rtu(unit, pdu, out));
    return out;
}

bytes ascii(std::uint8_t unit, const bytes& pdu) {
    bytes out(gw::ascii_frame_size(pdu.size()));
    out.resize(gw::encode_ascii(unit, pdu, out));
    return out;
}

bytes mbap(std::uint16_t tid, std::uint8_t unit, const bytes& pdu) {
    bytes out(gw::mbap_header_size);
    gw::encode_mbap_header(tid, unit, pdu.size(), out);
    out.insert(out.end(), pdu.begin(), pdu.end());
    return out;
}

// ---- RTU and ASCII raw mode: records [head][step] + bytes (head < 0x80 = length, else poll).
struct records {
    bytes out;
    explicit records(std::initializer_list<std::uint8_t> header) : out{header} {}
    records& put(const bytes& data, std::uint8_t step = 0) {
        for (std::size_t pos = 0; pos < data.size() || pos == 0; pos += 127) {
            const std::size_t n = data.size() - pos < 127 ? data.size() - pos : 127;
            out.push_back(static_cast<std::uint8_t>(n));
            out.push_back(pos == 0 ? step : 0);
            out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(pos),
                       data.begin() + static_cast<std::ptrdiff_t>(pos + n));
            if (data.empty()) {
                break;
            }
        }
        return *this;
    }
    records& bytewise(const bytes& data, std::uint8_t step) {
        for (std::uint8_t b : data) {
            put({b}, step);
        }
        return *this;
    }
    records& poll(std::uint8_t step = 0xFF) {
        out.push_back(0x80);
        out.push_back(step);
        return *this;
    }
};

// ---- RTU structured mode: the PDU as read_predicted_pdu reads it (a length byte where the
// prediction gives up).
bytes structured_pdu(gw::pdu_direction dir, const bytes& pdu) {
    bytes out;
    bytes prefix;
    std::size_t pos = 0;
    const auto take = [&](std::size_t n) {
        while (prefix.size() < n && pos < pdu.size()) {
            prefix.push_back(pdu[pos]);
            out.push_back(pdu[pos++]);
        }
    };
    take(1);
    for (;;) {
        const auto l = gw::detail::predict(dir, prefix);
        if (l.kind == gw::detail::pdu_length_kind::unknown) {
            out.push_back(static_cast<std::uint8_t>(pdu.size() - prefix.size()));
            take(pdu.size());
            return out;
        }
        if (l.kind == gw::detail::pdu_length_kind::invalid) {
            return out;
        }
        take(l.length);
        if (l.kind == gw::detail::pdu_length_kind::known || pos == pdu.size()) {
            return out;
        }
    }
}

void rtu_seeds(const std::string& fuzzer, gw::pdu_direction dir) {
    const bool req = dir == gw::pdu_direction::request;
    const auto& pairs = gw::test::pdu_pairs();
    bytes all_structured{0x10};
    bytes all_structured_silence{0x11};
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        const auto& pair = pairs[i];
        const bytes& pdu = req ? pair.request : pair.response;
        const bytes adu = rtu(0x11, pdu);
        const std::string base = std::string{pair.name};
        write(fuzzer, base + "_predicted", records{0x00}.put(adu).poll().out);
        if (i % 3 == 0) {
            write(fuzzer, base + "_silence", records{0x01}.put(adu).poll().out);
            write(fuzzer, base + "_bytewise_9600", records{0x04}.bytewise(adu, 10).poll().out);
        }
        const bytes s = structured_pdu(dir, pdu);
        write(fuzzer, base + "_structured", cat({{0x10, 0x11, 0x00, 0x23}, s}));
        all_structured = cat({all_structured, {static_cast<std::uint8_t>(i + 1), 0x01, 0x40}, s});
        all_structured_silence =
            cat({all_structured_silence, {static_cast<std::uint8_t>(i + 1), 0x10, 0xF2}, s});
    }
    write(fuzzer, "all_functions_structured_back_to_back", all_structured);
    write(fuzzer, "all_functions_structured_silence", all_structured_silence);

    const bytes good =
        req ? rtu(1, {0x03, 0x00, 0x00, 0x00, 0x02}) : rtu(1, {0x03, 0x04, 0x00, 0x0A, 0x00, 0x0B});
    const bytes other =
        req ? rtu(2, {0x06, 0x00, 0x01, 0x00, 0x03}) : rtu(2, {0x06, 0x00, 0x01, 0x00, 0x03});
    bytes bad_crc = good;
    bad_crc.back() ^= 0x5A;
    write(fuzzer, "garbage_then_frame",
          records{0x00}.put(cat({{0x00, 0xFF, 0x13}, good})).poll().out);
    write(fuzzer, "garbage_then_frame_silence",
          records{0x01}.put(cat({{0x7E, 0x99}, good})).poll().out);
    write(fuzzer, "bad_crc_then_frame", records{0x00}.put(cat({bad_crc, good})).poll().out);
    write(fuzzer, "two_frames_back_to_back", records{0x00}.put(cat({good, other})).poll().out);
    write(fuzzer, "two_frames_one_silence_between",
          records{0x01}.put(good).put(other, 0xFF).poll().out);
    write(fuzzer, "split_frame_in_time",
          records{0x00}
              .put(bytes(good.begin(), good.begin() + 3))
              .put(bytes(good.begin() + 3, good.end()), 40)
              .poll()
              .out);
    write(fuzzer, "split_frame_timeout",
          records{0x00}
              .put(bytes(good.begin(), good.begin() + 3))
              .poll()
              .put(bytes(good.begin() + 3, good.end()), 1)
              .poll()
              .out);
    write(fuzzer, "strict_t1_5_gap",
          records{0x02}
              .put(bytes(good.begin(), good.begin() + 4))
              .put(bytes(good.begin() + 4, good.end()), 30)
              .poll()
              .out);
    write(fuzzer, "silence_too_long",
          records{0x01}.put(bytes(300, 0x55)).poll().put(good, 0xFF).poll().out);
    write(fuzzer, "predicted_unknown_too_long",
          records{0x00}.put(cat({{0x01, 0x41}, bytes(280, 0x33)})).poll().out);
    write(fuzzer, "silence_noise_glued_in_front",
          records{0x01}.put(cat({{0x42, 0x42}, good})).poll().out);
    write(fuzzer, "user_defined_silence_framed",
          records{0x00}.put(rtu(5, {0x41, 0x01, 0x02, 0x03})).poll().out);
    write(fuzzer, "fc8_echo_silence_framed",
          records{0x00}.put(rtu(5, {0x08, 0x00, 0x00, 0xA5, 0x37, 0x01})).poll().out);
    if (!req) {
        write(fuzzer, "exception_response", records{0x00}.put(rtu(1, {0x83, 0x02})).poll().out);
        write(fuzzer, "exception_0x80_invalid", records{0x00}.put(rtu(1, {0x80, 0x02})).poll().out);
    } else {
        write(fuzzer, "request_with_exception_bit",
              records{0x00}.put(rtu(1, {0x83, 0x02})).poll().out);
    }
    write(fuzzer, "empty", {});
    write(fuzzer, "only_polls", records{0x00}.poll(0).poll().out);
}

void ascii_seeds() {
    const std::string f = "ascii";
    const auto& pairs = gw::test::pdu_pairs();
    bytes all{0x10, 0x20};
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        const auto& pair = pairs[i];
        const std::string base{pair.name};
        write(f, base + "_request", records{0x00, 0x20}.put(ascii(0x11, pair.request)).out);
        write(f, base + "_response", records{0x00, 0x20}.put(ascii(0x11, pair.response)).out);
        const bytes& pdu = pair.request;
        all =
            cat({all,
                 {static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i % 2 == 0 ? 0x33 : 0x02),
                  static_cast<std::uint8_t>(pdu.size()), 0x80},
                 pdu,
                 i % 2 == 0 ? bytes{'x', '\r', '\n'} : bytes{}});
    }
    write(f, "all_functions_structured", all);
    const bytes good = ascii(1, {0x03, 0x00, 0x00, 0x00, 0x02});
    bytes lower = good;
    for (auto& c : lower) {
        c = (c >= 'A' && c <= 'F') ? static_cast<std::uint8_t>(c - 'A' + 'a') : c;
    }
    bytes bad_lrc = good;
    bad_lrc[bad_lrc.size() - 3] = bad_lrc[bad_lrc.size() - 3] == '0' ? '1' : '0';
    write(f, "lower_case", records{0x00, 0x20}.put(lower).out);
    write(f, "junk_then_frame", records{0x00, 0x20}.put(cat({text("junk\r\n"), good})).out);
    write(f, "bad_lrc_then_frame", records{0x00, 0x20}.put(cat({bad_lrc, good})).out);
    write(f, "colon_inside_frame",
          records{0x00, 0x20}.put(cat({bytes(good.begin(), good.begin() + 5), good})).out);
    write(f, "cr_without_lf", records{0x00, 0x20}.put(text(":0103000000020A\rX")).put(good).out);
    write(f, "odd_digits", records{0x00, 0x20}.put(text(":010300000002F\r\n")).put(good).out);
    write(f, "too_short", records{0x00, 0x20}.put(text(":01\r\n")).put(good).out);
    write(f, "timeout_mid_frame",
          records{0x00, 0x02}
              .put(bytes(good.begin(), good.begin() + 6))
              .poll()
              .put(bytes(good.begin() + 6, good.end()), 1)
              .put(good)
              .out);
    write(f, "slow_but_in_time", records{0x00, 0x40}.bytewise(good, 150).out);
    bytes longest{':'};
    for (int i = 0; i < 600; ++i) {
        longest.push_back('A');
    }
    write(f, "too_long", records{0x00, 0x20}.put(cat({longest, text("\r\n"), good})).out);
    write(f, "structured_lower_split",
          cat({{0x10, 0x05, 0x07, 0x31, 0x05, 0x40}, {0x03, 0x00, 0x00, 0x00, 0x02}}));
    write(f, "empty", {});
}

void mbap_seeds() {
    const std::string f = "mbap";
    const auto& pairs = gw::test::pdu_pairs();
    bytes stream;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        const auto& pair = pairs[i];
        const std::string base{pair.name};
        const auto tid = static_cast<std::uint16_t>(0x0100 + i);
        write(f, base + "_request", mbap(tid, 0x11, pair.request));
        write(f, base + "_response", mbap(tid, 0x11, pair.response));
        stream = cat({stream, mbap(tid, 0xFF, pair.request)});
    }
    write(f, "stream_all_functions", stream);
    const bytes good = mbap(1, 1, {0x03, 0x00, 0x00, 0x00, 0x02});
    write(f, "bad_protocol_id",
          {0x00, 0x01, 0x00, 0x01, 0x00, 0x06, 0x01, 0x03, 0x00, 0x00, 0x00, 0x02});
    write(f, "length_1", {0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01});
    write(f, "length_255", {0x00, 0x01, 0x00, 0x00, 0x00, 0xFF, 0x01, 0x03});
    write(f, "length_254_full",
          cat({{0x00, 0x01, 0x00, 0x00, 0x00, 0xFE, 0x01, 0x10}, bytes(252, 0x00)}));
    write(f, "truncated", bytes(good.begin(), good.end() - 2));
    write(f, "header_only_4", {0x12, 0x34, 0x00, 0x00});
    write(f, "two_then_bad", cat({good, good, {0x00, 0x02, 0x12, 0x34, 0x00, 0x06}}));
    write(f, "empty", {});
}

void pdu_seeds() {
    const std::string f = "pdu_validation";
    const auto pair_of = [](const bytes& q, const bytes& r) {
        return cat(
            {{static_cast<std::uint8_t>(q.size())}, q, {static_cast<std::uint8_t>(r.size())}, r});
    };
    bytes all;
    for (const auto& pair : gw::test::pdu_pairs()) {
        const bytes one = pair_of(pair.request, pair.response);
        write(f, std::string{pair.name}, one);
        all = cat({all, one});
    }
    write(f, "all_functions_one_server", all);
    const std::vector<std::pair<std::string, bytes>> invalid{
        {"empty_request", {}},
        {"fc0", {0x00}},
        {"fc_exception_bit", {0x83, 0x00, 0x00, 0x00, 0x01}},
        {"unknown_public_fc9", {0x09, 0x01}},
        {"fc3_alone", {0x03}},
        {"fc3_quantity_0", {0x03, 0x00, 0x00, 0x00, 0x00}},
        {"fc3_quantity_126", {0x03, 0x00, 0x00, 0x00, 0x7E}},
        {"fc1_address_overflow", {0x01, 0xFF, 0xFF, 0x00, 0x02}},
        {"fc5_bad_value", {0x05, 0x00, 0x01, 0x12, 0x34}},
        {"fc15_byte_count_mismatch_cve_2019_14462", {0x0F, 0x00, 0x00, 0x00, 0x10, 0x01, 0xFF}},
        {"fc16_byte_count_mismatch_cve_2019_14463",
         {0x10, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x01}},
        {"fc23_write_window_overflow_cve_2022_0367",
         {0x17, 0x00, 0x00, 0x00, 0x01, 0xFF, 0xFF, 0x00, 0x02, 0x04, 0, 0, 0, 0}},
        {"fc8_sub3", {0x08, 0x00, 0x03, 0x00, 0x00}},
        {"fc8_sub1_bad_data", {0x08, 0x00, 0x01, 0x12, 0x34}},
        {"fc20_record_too_big", {0x14, 0x07, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x80}},
        {"fc21_short_sub_request",
         {0x15, 0x09, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00}},
        {"fc43_mei_15", {0x2B, 0x0F, 0x01, 0x00}},
        {"user_defined_65", {0x41}},
        {"user_defined_110_data", {0x6E, 0x01, 0x02, 0x03}},
    };
    for (const auto& [name, q] : invalid) {
        write(f, name,
              pair_of(q, {static_cast<std::uint8_t>(q.empty() ? 0x80 : q[0] | 0x80), 0x03}));
    }
    write(f, "too_long_254", pair_of(cat({{0x41}, bytes(253, 0x00)}), {}));
    write(f, "listen_only_cycle",
          cat({pair_of({0x08, 0x00, 0x04, 0x00, 0x00}, {}),
               pair_of({0x03, 0x00, 0x00, 0x00, 0x01}, {}),
               pair_of({0x08, 0x00, 0x01, 0x00, 0x00}, {}),
               pair_of({0x03, 0x00, 0x00, 0x00, 0x01}, {}),
               pair_of({0x08, 0x00, 0x0E, 0x00, 0x00}, {})}));
    write(f, "write_then_read_back",
          cat({pair_of({0x10, 0x00, 0x00, 0x00, 0x02, 0x04, 0x12, 0x34, 0x56, 0x78}, {}),
               pair_of({0x16, 0x00, 0x00, 0x00, 0xF2, 0x00, 0x25}, {}),
               pair_of({0x03, 0x00, 0x00, 0x00, 0x02}, {0x03, 0x04, 0x12, 0x34, 0x56, 0x78})}));
}

void conversion_seeds() {
    const std::string f = "rtu_mbap_conversion";
    for (const auto& pair : gw::test::pdu_pairs()) {
        const std::string base{pair.name};
        write(f, base + "_pdu", cat({{0x11, 0x12, 0x34}, pair.request}));
        write(f, base + "_rtu", rtu(0x11, pair.response));
        write(f, base + "_mbap", mbap(0x9876, 0x11, pair.request));
    }
    write(f, "max_pdu", cat({{0x01, 0x00, 0x01}, {0x10}, bytes(252, 0xA5)}));
    write(f, "too_long_pdu", cat({{0x01, 0x00, 0x01}, bytes(254, 0x5A)}));
    write(f, "empty_pdu", {0x01, 0x00, 0x01});
    write(f, "rtu_bad_crc", {0x01, 0x03, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00});
    write(f, "empty", {});
}

// ---- channel: 7 option bytes then operations (see fuzz/channel/channel_fuzzer.cpp).
struct script {
    bytes out;
    // framing 0 rtu, 1 ascii, 2 mbap; flags: bit 0 silence, bit 1 coalesce, bits 2-3 retries.
    script(std::uint8_t framing, std::uint8_t flags, std::uint8_t queue_per_master = 8)
        : out{framing, flags, 0x20, 0x00, 0x04, 0x20, queue_per_master} {}
    script& submit(std::uint8_t master, std::uint8_t flags, std::uint8_t selector) {
        out.insert(out.end(), {0x00, master, flags, selector});
        return *this;
    }
    script& custom(std::uint8_t master, std::uint8_t flags, const bytes& pdu) {
        out.insert(out.end(), {0x00, master, flags, 0xF0, static_cast<std::uint8_t>(pdu.size())});
        out.insert(out.end(), pdu.begin(), pdu.end());
        return *this;
    }
    script& transmit(std::uint8_t step = 1) {
        out.insert(out.end(), {0x01, step});
        return *this;
    }
    script& reply(std::uint8_t flags = 0, std::uint8_t step = 1, bytes extra = {}) {
        out.insert(out.end(), {0x02, flags, step});
        out.insert(out.end(), extra.begin(), extra.end());
        return *this;
    }
    script& stray(const bytes& b) {
        out.insert(out.end(), {0x03, static_cast<std::uint8_t>(b.size())});
        out.insert(out.end(), b.begin(), b.end());
        return *this;
    }
    script& timer(std::uint8_t step = 0xFF) {
        out.insert(out.end(), {0x04, step});
        return *this;
    }
    script& drop(std::uint8_t master) {
        out.insert(out.end(), {0x05, master});
        return *this;
    }
    script& fail_all() {
        out.push_back(0x06);
        return *this;
    }
    script& reload(std::initializer_list<std::uint8_t> options) {
        out.push_back(0x07);
        out.insert(out.end(), options);
        return *this;
    }
};

void channel_seeds() {
    const std::string f = "channel";
    for (std::uint8_t framing = 0; framing < 3; ++framing) {
        const std::string name = framing == 0 ? "rtu" : (framing == 1 ? "ascii" : "mbap");
        script every{framing, 0x04};
        for (std::uint8_t sel = 0; sel < 21; ++sel) {
            every.submit(static_cast<std::uint8_t>(sel % 4), 0x00, sel).transmit().reply();
        }
        write(f, name + "_every_request_answered", every.out);
        write(f, name + "_retry_after_corrupt_reply",
              script{framing, 0x08}
                  .submit(0, 0, 0)
                  .transmit()
                  .reply(0x01, 1, {3, 0x40})
                  .timer()
                  .transmit()
                  .reply()
                  .out);
        write(f, name + "_wrong_unit_then_timeout",
              script{framing, 0x04}
                  .submit(0, 0, 0)
                  .transmit()
                  .reply(0x02)
                  .timer()
                  .timer()
                  .transmit()
                  .timer()
                  .out);
        write(f, name + "_split_reply",
              script{framing, 0x00}.submit(1, 0x04, 2).transmit().reply(0x04, 1, {4, 3}).out);
        write(f, name + "_stray_bytes",
              script{framing, 0x00}
                  .stray({0x01, 0x03, 0x02})
                  .submit(0, 0, 0)
                  .transmit()
                  .stray({0x01})
                  .reply()
                  .out);
    }
    write(f, "mbap_stale_transaction_id",
          script{2, 0x04}.submit(0, 0, 0).transmit().reply(0x08).reply().out);
    write(f, "coalesced_reads",
          script{0, 0x02}
              .submit(0, 0, 1)
              .submit(1, 0, 0)
              .submit(2, 0, 0)
              .submit(3, 0, 0)
              .transmit()
              .reply()
              .transmit()
              .reply()
              .out);
    write(f, "broadcast_turnaround",
          script{0, 0x00}
              .submit(0, 0x02, 6)
              .submit(1, 0, 0)
              .transmit()
              .timer(3)
              .timer()
              .transmit()
              .reply()
              .out);
    write(f, "queue_full",
          script{0, 0x00, 2}
              .submit(0, 0, 0)
              .submit(0, 0, 1)
              .submit(0, 0, 2)
              .submit(4, 0, 0)
              .submit(1, 0, 0)
              .submit(1, 0, 0)
              .submit(2, 0, 0)
              .submit(2, 0, 0)
              .submit(3, 0, 0)
              .submit(3, 0, 0)
              .out);
    write(f, "priority_classes",
          script{0, 0x00}
              .submit(0, 0, 0)
              .submit(1, 0x01, 1)
              .submit(2, 0, 2)
              .transmit()
              .reply()
              .transmit()
              .reply()
              .out);
    write(f, "drop_master_in_flight_and_queued",
          script{0, 0x00}
              .submit(0, 0, 0)
              .submit(0, 0, 1)
              .submit(1, 0, 2)
              .transmit()
              .drop(0)
              .reply()
              .transmit()
              .reply()
              .out);
    write(f, "fail_all_with_queue",
          script{0, 0x00}
              .submit(0, 0, 0)
              .submit(1, 0, 1)
              .submit(2, 0x02, 5)
              .transmit()
              .fail_all()
              .submit(0, 0, 0)
              .transmit()
              .reply()
              .out);
    write(f, "broadcast_then_fail_all",
          script{0, 0x00}.submit(0, 0x02, 6).transmit().fail_all().out);
    write(f, "reload_mid_transaction",
          script{0, 0x00}
              .submit(0, 0, 0)
              .submit(1, 0, 0)
              .transmit()
              .reload({2, 0x02, 0x10, 0, 1, 1, 3})
              .reply()
              .transmit()
              .reply()
              .out);
    write(f, "fc8_echo_predicted_silence_end",
          script{0, 0x00}.submit(0, 0, 11).transmit().reply().out);
    write(f, "fc8_echo_silence_mode",
          script{0, 0x01}.submit(0, 0, 11).transmit().reply().timer().out);
    write(f, "listen_only_device",
          script{0, 0x04}
              .submit(0, 0, 18)
              .transmit()
              .reply()
              .submit(0, 0, 0)
              .transmit()
              .reply()
              .timer()
              .transmit()
              .reply()
              .out);
    write(f, "custom_fc16",
          script{0, 0x00}
              .custom(0, 0, {0x10, 0x00, 0x10, 0x00, 0x02, 0x04, 0xDE, 0xAD, 0xBE, 0xEF})
              .transmit()
              .reply()
              .out);
    write(f, "inter_frame_delay",
          bytes{0, 0x00, 0x20, 0xFF, 0x04, 0x20, 8, 0x00, 0, 0,    0,    0x00, 1,
                0, 0,    0x01, 1,    0x02, 0,    1, 0x01, 1, 0x04, 0xFF, 0x01, 0});
    write(f, "empty", {});
}

void ip_network_seeds() {
    const std::string f = "ip_network";
    const std::vector<std::pair<std::string, std::string>> seeds{
        {"v4_network_and_peer", "192.168.1.0/24\n192.168.1.77"},
        {"v4_host", "10.0.0.5\n10.0.0.5"},
        {"v4_any", "0.0.0.0/0\n203.0.113.9"},
        {"v4_host_bits_set", "192.168.1.5/24\n192.168.1.5"},
        {"v4_prefix_33", "10.0.0.0/33"},
        {"v4_leading_zero", "010.0.0.1"},
        {"v4_netmask", "192.168.1.0\n255.255.255.0"},
        {"v4_netmask_mgate_three_octets", "10.1.2.3\n255.255.255"},
        {"v4_netmask_not_contiguous", "10.0.0.0\n255.0.255.0"},
        {"v6_network_and_peer", "2001:db8::/32\n2001:db8:1::1"},
        {"v6_loopback", "::1\n::1"},
        {"v6_any", "::/0\n::ffff:10.0.0.1"},
        {"v6_full", "2001:0db8:0000:0000:0000:ff00:0042:8329/128\n2001:db8::ff00:42:8329"},
        {"v6_mapped_peer_v4_network", "10.0.0.0/8\n::ffff:10.1.2.3"},
        {"v6_mapped_host", "::ffff:10.0.0.1\n10.0.0.1"},
        {"v6_embedded_v4", "64:ff9b::192.0.2.33\n64:ff9b::c000:221"},
        {"v6_trailing_gap", "fe80::/10\nfe80::1"},
        {"v6_zone_index", "fe80::1%eth0"},
        {"v6_two_gaps", "1::2::3"},
        {"v6_nine_groups", "1:2:3:4:5:6:7:8:9"},
        {"v6_prefix_129", "::/129"},
        {"prefix_leading_zero_finding_5", "::/02"},
        {"mapped_network_prefix_finding_2", "::ffff:10.0.0.0/104\n10.1.2.3"},
        {"v4_prefix_leading_zero", "10.0.0.0/08\n10.1.1.1"},
        {"garbage", "not an address"},
        {"empty", ""},
    };
    for (const auto& [name, value] : seeds) {
        write(f, name, text(value));
    }
}

// audit_record: the bytes of a segment after its header. Records with a fixed MAC (the codec
// does not check it), then torn and edited variants.
bytes audit_record(std::uint64_t seq, std::size_t payload_size, std::uint8_t fill) {
    std::vector<std::byte> payload(payload_size, std::byte{fill});
    std::array<std::byte, gw::audit::mac_size> mac{};
    mac.fill(std::byte{0x5A});
    std::vector<std::byte> out(gw::audit::record_size(payload_size));
    out.resize(gw::audit::encode_record(seq, payload, mac, out));
    bytes b(out.size());
    for (std::size_t i = 0; i < out.size(); ++i)
        b[i] = std::to_integer<std::uint8_t>(out[i]);
    return b;
}

void audit_record_seeds() {
    const std::string f = "audit_record";
    const bytes one = audit_record(1, 200, 'e');
    write(f, "one_200", one);
    write(f, "empty_payload", audit_record(7, 0, 0));
    write(f, "max_payload", audit_record(0xFFFFFFFFFFFFFFFFU, gw::audit::max_payload, 'm'));
    write(f, "run_of_3",
          cat({audit_record(1, 10, 'a'), audit_record(2, 20, 'b'), audit_record(3, 30, 'c')}));
    write(f, "torn_tail", cat({one, bytes(one.begin(), one.begin() + 100)}));
    bytes bad_crc = one;
    bad_crc[50] ^= 0x01;
    write(f, "bad_crc", bad_crc);
    bytes bad_magic = one;
    bad_magic[3] = '2';
    write(f, "bad_magic", bad_magic);
    bytes bad_length = one;
    bad_length[12] = 0xFF;
    write(f, "bad_length", bad_length);
    write(f, "empty", {});
}

// rfc2217: [config byte] + what a client sends. Config 0x00: default capabilities, output drained
// after every receive; 0x04: drained every fourth; 0x21: 1.5 stop bits, other chunk sizes.
bytes telnet_option(gw::device_server::telnet_verb verb, std::uint8_t option) {
    bytes out(3);
    out.resize(gw::device_server::encode_option(verb, option, out));
    return out;
}

// A client's COM-PORT command (client codes 0..12; the encoder writes any code).
bytes com_port(std::uint8_t code, const bytes& value) {
    bytes out(gw::device_server::com_port_frame_capacity(value.size()));
    out.resize(gw::device_server::encode_com_port(code, value, out));
    return out;
}

bytes escaped(const bytes& data) {
    bytes out(2 * data.size());
    out.resize(gw::device_server::escape_data(data, out).written);
    return out;
}

void rfc2217_seeds() {
    namespace ds = gw::device_server;
    using ds::telnet_verb;
    const std::string f = "rfc2217";
    // pyserial's Serial.open(): DO ECHO, WILL SGA, DO SGA, DO COM-PORT, WILL COM-PORT, then its
    // answers to our WILL/DO BINARY.
    const bytes opening = cat({telnet_option(telnet_verb::do_, ds::telnet::option_echo),
                               telnet_option(telnet_verb::will, ds::telnet::option_sga),
                               telnet_option(telnet_verb::do_, ds::telnet::option_sga),
                               telnet_option(telnet_verb::do_, ds::telnet::option_com_port),
                               telnet_option(telnet_verb::will, ds::telnet::option_com_port),
                               telnet_option(telnet_verb::do_, ds::telnet::option_binary),
                               telnet_option(telnet_verb::will, ds::telnet::option_binary)});
    // Its settings (19200 8E1), flow control none, DTR and RTS on, purges rx and tx.
    const bytes settings =
        cat({com_port(1, {0x00, 0x00, 0x4B, 0x00}), com_port(2, {8}), com_port(3, {3}),
             com_port(4, {1}), com_port(5, {1}), com_port(5, {8}), com_port(5, {11}),
             com_port(12, {1}), com_port(12, {2})});
    write(f, "pyserial_open", cat({{0x00}, opening, settings}));
    write(f, "pyserial_open_lazy_drain", cat({{0x04}, opening, settings}));
    write(f, "baud_115200", cat({{0x00}, com_port(1, {0x00, 0x01, 0xC2, 0x00})}));
    write(f, "baud_with_ff", cat({{0x00}, com_port(1, {0x00, 0x00, 0xFF, 0xFF})}));
    write(f, "queries",
          cat({{0x21},
               com_port(1, {0, 0, 0, 0}),
               com_port(2, {0}),
               com_port(3, {0}),
               com_port(4, {0}),
               com_port(5, {0}),
               com_port(5, {4}),
               com_port(5, {7}),
               com_port(5, {10}),
               com_port(5, {13}),
               com_port(0, {}),
               com_port(6, {}),
               com_port(7, {}),
               com_port(10, {0xFF}),
               com_port(11, {0x10})}));
    write(f, "unsupported_values",
          cat({{0x02},
               com_port(2, {9}),
               com_port(3, {4}),
               com_port(4, {3}),
               com_port(5, {17}),
               com_port(12, {4}),
               com_port(101, {0, 0, 0x25, 0x80})}));
    write(f, "flow_suspend_resume", cat({{0x00}, com_port(8, {}), com_port(9, {})}));
    write(f, "signature_text", cat({{0x00}, com_port(0, text("pyserial"))}));
    // Modbus RTU requests as data, one with 0xFF bytes (escaped), with a NOP and a BRK between.
    const bytes data = rtu(0xFF, {0x06, 0x00, 0xFF, 0xFF, 0xFF});
    write(f, "escaped_data",
          cat({{0x00},
               escaped(data),
               {0xFF, 0xF1},
               escaped(data),
               {0xFF, 0xF3},
               {0x0D, 0x00, 0x0D, 0x0A}}));
    // A truncated subnegotiation (no IAC SE), then one cut short by a command.
    write(f, "truncated_sb", cat({{0x00}, {0xFF, 0xFA, 0x2C, 0x01, 0x00, 0x00}}));
    write(
        f, "unterminated_sb",
        cat({{0x00}, {0xFF, 0xFA, 0x2C, 0x02, 0x08}, telnet_option(telnet_verb::will, 0), {0x41}}));
    bytes oversized{0x00, 0xFF, 0xFA, 0x2C, 0x00};
    oversized.insert(oversized.end(), 80, 'A');
    oversized.insert(oversized.end(), {0xFF, 0xF0, 0x42});
    write(f, "oversized_sb", oversized);
    write(f, "bad_lengths",
          cat({{0x00},
               com_port(1, {0x25, 0x80}),
               com_port(2, {}),
               com_port(8, {1}),
               {0xFF, 0xFA, 0xFF, 0xF0},
               {0xFF, 0xFA, 0x18, 0x01, 0xFF, 0xF0}}));
    bytes many{0x00};
    for (int i = 0; i < 100; ++i) {
        const bytes q = com_port(0, {});
        many.insert(many.end(), q.begin(), q.end());
    }
    write(f, "many_signature_requests", many);  // the output queue fills: receive() pauses
    write(f, "empty", {0x00});
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <fuzz directory>\n", argv[0]);
        return 2;
    }
    root = argv[1];
    rtu_seeds("rtu_request", gw::pdu_direction::request);
    rtu_seeds("rtu_response", gw::pdu_direction::response);
    ascii_seeds();
    mbap_seeds();
    pdu_seeds();
    conversion_seeds();
    channel_seeds();
    ip_network_seeds();
    audit_record_seeds();
    rfc2217_seeds();
    std::printf("wrote %zu seeds under %s\n", written, root.string().c_str());
    return 0;
}
