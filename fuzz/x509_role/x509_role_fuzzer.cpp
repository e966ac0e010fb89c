// libFuzzer harness for the certificate role reader: gw::tls::read_modbus_role
// (include/gw/tls/x509_role.hpp), which reads a TLS peer's certificate, bytes the peer chose.
// Input: the DER itself.
//
// Properties:
//  - a role is a view into the input, 1..max_role_bytes long, directly behind its UTF8String
//    header (0C, one length byte equal to its size);
//  - the role is valid UTF-8 by an independent check (the well-formed byte sequences of Unicode
//    Table 3-7) and holds no control character;
//  - the answer is a function of the input: a second reading gives the same;
//  - the bytes after a complete Certificate make it malformed (nothing may follow it);
//  - and, by ASan / UBSan / _GLIBCXX_ASSERTIONS, no read outside the input.

#include <gw/tls/x509_role.hpp>

#include "../common/fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace {

// Unicode 15, Table 3-7: the well-formed UTF-8 byte sequences, range by range.
bool valid_utf8(const std::uint8_t* s, std::size_t n) {
    std::size_t i = 0;
    while (i < n) {
        const std::uint8_t a = s[i];
        const auto in = [&](std::size_t k, std::uint8_t lo, std::uint8_t hi) {
            return i + k < n && s[i + k] >= lo && s[i + k] <= hi;
        };
        if (a <= 0x7F) {
            i += 1;
        } else if (a >= 0xC2 && a <= 0xDF && in(1, 0x80, 0xBF)) {
            i += 2;
        } else if (a == 0xE0 && in(1, 0xA0, 0xBF) && in(2, 0x80, 0xBF)) {
            i += 3;
        } else if (((a >= 0xE1 && a <= 0xEC) || a == 0xEE || a == 0xEF) && in(1, 0x80, 0xBF) &&
                   in(2, 0x80, 0xBF)) {
            i += 3;
        } else if (a == 0xED && in(1, 0x80, 0x9F) && in(2, 0x80, 0xBF)) {
            i += 3;
        } else if (a == 0xF0 && in(1, 0x90, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF)) {
            i += 4;
        } else if (a >= 0xF1 && a <= 0xF3 && in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) &&
                   in(3, 0x80, 0xBF)) {
            i += 4;
        } else if (a == 0xF4 && in(1, 0x80, 0x8F) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF)) {
            i += 4;
        } else {
            return false;
        }
    }
    return true;
}

// C0 and DEL are single bytes; C1 (U+0080..U+009F) is C2 80..C2 9F.
bool has_control(const std::uint8_t* s, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        if (s[i] < 0x20 || s[i] == 0x7F || (s[i] == 0xC2 && i + 1 < n && s[i + 1] <= 0x9F)) {
            return true;
        }
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> der{data, size};
    const gw::tls::role_result r = gw::tls::read_modbus_role(der);

    const gw::tls::role_result again = gw::tls::read_modbus_role(der);
    GW_FUZZ_CHECK(r.error == again.error);
    GW_FUZZ_CHECK(r.role.data() == again.role.data() && r.role.size() == again.role.size());

    if (!r.ok()) {
        GW_FUZZ_CHECK(r.role.empty());
        return 0;
    }
    const auto* role = static_cast<const std::uint8_t*>(static_cast<const void*>(r.role.data()));
    const std::size_t n = r.role.size();
    GW_FUZZ_CHECK(n >= 1 && n <= gw::tls::max_role_bytes);
    GW_FUZZ_CHECK(role >= data + 2 && role + n <= data + size);
    const std::size_t offset = static_cast<std::size_t>(role - data);
    GW_FUZZ_CHECK(data[offset - 2] == 0x0C && data[offset - 1] == n);
    GW_FUZZ_CHECK(valid_utf8(role, n));
    GW_FUZZ_CHECK(!has_control(role, n));

    // A certificate with a role, followed by anything, is not a certificate.
    std::vector<std::uint8_t> longer(data, data + size);
    longer.push_back(0x00);
    const auto extended = gw::tls::read_modbus_role(longer);
    GW_FUZZ_CHECK(extended.error == gw::tls::role_error::malformed);
    return 0;
}
