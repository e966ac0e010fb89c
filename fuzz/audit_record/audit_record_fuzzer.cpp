// libFuzzer harness for decode_record (include/gw/audit/record.hpp): the input is the bytes of
// an audit segment after its header (a run of records, possibly torn or edited). Properties:
//  - each status agrees with an independent reading of the frame (magic, length bound, CRC);
//  - streaming consistency: every prefix gives need_more until the verdict, then that verdict;
//  - round trip: encode_record of the decoded fields rebuilds the bytes consumed;
//  - the fields are views into the input, inside the bytes consumed.

#include <gw/audit/crc32c.hpp>
#include <gw/audit/record.hpp>

#include "../common/fuzz_support.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace {

using bytes_view = std::span<const std::byte>;

std::uint64_t be(bytes_view b, std::size_t at, std::size_t width) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) {
        v = (v << 8) | std::to_integer<std::uint64_t>(b[at + i]);
    }
    return v;
}

// The verdict, from the format description rather than the decoder.
gw::audit::record_status expected_status(bytes_view b) {
    using gw::audit::record_status;
    constexpr char magic[] = {'G', 'W', 'A', '1'};
    for (std::size_t i = 0; i < 4 && i < b.size(); ++i) {
        if (std::to_integer<char>(b[i]) != magic[i]) return record_status::bad_magic;
    }
    if (b.size() < 16) return record_status::need_more;
    const std::uint64_t length = be(b, 12, 4);
    if (length > gw::audit::max_payload) return record_status::bad_length;
    const std::size_t size = 16 + static_cast<std::size_t>(length) + 32 + 4;
    if (b.size() < size) return record_status::need_more;
    // A bitwise CRC-32C, independent of the table.
    std::uint32_t crc = 0xFFFFFFFFU;
    for (std::size_t i = 0; i + 4 < size; ++i) {
        crc ^= std::to_integer<std::uint32_t>(b[i]);
        for (int k = 0; k < 8; ++k)
            crc = (crc & 1U) != 0 ? (crc >> 1) ^ 0x82F63B78U : crc >> 1;
    }
    return ~crc == be(b, size - 4, 4) ? record_status::ok : record_status::bad_crc;
}

void check_one(bytes_view b, const gw::audit::record_decode_result& r) {
    GW_FUZZ_CHECK(r.status == expected_status(b));
    if (r.status != gw::audit::record_status::ok) {
        GW_FUZZ_CHECK(r.consumed == 0);
        return;
    }
    GW_FUZZ_CHECK(r.consumed <= b.size() && r.consumed <= gw::audit::max_record_size);
    GW_FUZZ_CHECK(r.record.sequence == be(b, 4, 8));
    GW_FUZZ_CHECK(r.record.payload.data() == b.data() + 16);
    GW_FUZZ_CHECK(r.record.payload.size() == be(b, 12, 4));
    GW_FUZZ_CHECK(r.record.mac.data() == b.data() + 16 + r.record.payload.size());
    std::array<std::byte, gw::audit::max_record_size> out{};
    const auto n = gw::audit::encode_record(r.record.sequence, r.record.payload, r.record.mac, out);
    GW_FUZZ_CHECK(n == r.consumed);
    for (std::size_t i = 0; i < n; ++i)
        GW_FUZZ_CHECK(out[i] == b[i]);
}

void check_prefixes(bytes_view b, const gw::audit::record_decode_result& whole) {
    const std::size_t limit =
        b.size() < gw::audit::max_record_size + 1 ? b.size() : gw::audit::max_record_size + 1;
    bool decided = false;
    for (std::size_t k = 0; k <= limit; ++k) {
        const auto r = gw::audit::decode_record(b.first(k));
        if (decided || r.status != gw::audit::record_status::need_more) {
            decided = true;
            GW_FUZZ_CHECK(r.status == whole.status && r.consumed == whole.consumed);
        }
    }
    GW_FUZZ_CHECK(decided || whole.status == gw::audit::record_status::need_more);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const bytes_view all = std::as_bytes(std::span<const std::uint8_t>{data, size});
    const auto whole = gw::audit::decode_record(all);
    check_one(all, whole);
    check_prefixes(all, whole);
    // A run of records, as the store reads a segment: each from where the previous ended.
    for (std::size_t at = 0; at < all.size();) {
        const auto rest = all.subspan(at);
        const auto r = gw::audit::decode_record(rest);
        check_one(rest, r);
        if (r.status != gw::audit::record_status::ok) break;
        at += r.consumed;
    }
    return 0;
}
