// gw::tls::read_modbus_role (include/gw/tls/x509_role.hpp): real certificates made by openssl
// (tests/tls/fixtures/make.sh, committed), and hand-built DER for what openssl never writes.
#include <gw/tls/x509_role.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace {

using bytes = std::vector<std::uint8_t>;
using gw::tls::read_modbus_role;
using gw::tls::role_error;

bytes fixture(const char* name) {
    std::ifstream in{std::string{GW_X509_FIXTURES} + "/" + name, std::ios::binary};
    REQUIRE(in.good());
    return bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

// One element, with the minimal DER length.
bytes tlv(std::uint8_t tag, const bytes& content) {
    bytes out{tag};
    const std::size_t n = content.size();
    if (n < 0x80) {
        out.push_back(static_cast<std::uint8_t>(n));
    } else if (n < 0x100) {
        out.insert(out.end(), {0x81, static_cast<std::uint8_t>(n)});
    } else {
        out.insert(out.end(), {0x82, static_cast<std::uint8_t>(n >> 8U),
                               static_cast<std::uint8_t>(n & 0xFFU)});
    }
    out.insert(out.end(), content.begin(), content.end());
    return out;
}

bytes cat(std::initializer_list<bytes> parts) {
    bytes out;
    for (const auto& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

const bytes role_oid = {0x2B, 0x06, 0x01, 0x04, 0x01, 0x83, 0x89, 0x0C, 0x86, 0x22, 0x01};

bytes text(std::string_view s) {
    return bytes(s.begin(), s.end());
}

// Extension { extnID, extnValue } with `value` as the extnValue's content.
bytes extension(const bytes& oid, const bytes& value) {
    return tlv(0x30, cat({tlv(0x06, oid), tlv(0x04, value)}));
}

// A minimally shaped certificate around the given extensions (nullptr-free: empty = none) and
// subject content.
bytes certificate(const bytes& extensions, const bytes& subject = {}) {
    bytes tbs = cat({tlv(0x02, {0x01}), tlv(0x30, {}), tlv(0x30, {}), tlv(0x30, {}),
                     tlv(0x30, subject), tlv(0x30, {})});
    if (!extensions.empty()) {
        tbs = cat({tbs, tlv(0xA3, tlv(0x30, extensions))});
    }
    return tlv(0x30, cat({tlv(0x30, tbs), tlv(0x30, {}), tlv(0x03, {0x00})}));
}

// The smallest certificate with a role, written out byte by byte; the malformed cases below
// are this with one thing broken.
const bytes minimal = {
    0x30, 0x2F,              // Certificate SEQUENCE, 47 bytes
    0x30, 0x28,              //   tbsCertificate SEQUENCE, 40 bytes
    0x02, 0x01, 0x01,        //     serialNumber INTEGER 1
    0x30, 0x00,              //     signature AlgorithmIdentifier (shape only)
    0x30, 0x00,              //     issuer
    0x30, 0x00,              //     validity
    0x30, 0x00,              //     subject
    0x30, 0x00,              //     subjectPublicKeyInfo
    0xA3, 0x19,              //     [3] EXPLICIT extensions, 25 bytes
    0x30, 0x17,              //       SEQUENCE OF Extension, 23 bytes
    0x30, 0x15,              //         Extension SEQUENCE, 21 bytes
    0x06, 0x0B,              //           extnID OID, 11 bytes:
    0x2B, 0x06, 0x01, 0x04,  //             1.3.6.1.4
    0x01, 0x83, 0x89, 0x0C,  //             .1.50316
    0x86, 0x22, 0x01,        //             .802.1
    0x04, 0x06,              //           extnValue OCTET STRING, 6 bytes
    0x0C, 0x04,              //             UTF8String, 4 bytes
    0x72, 0x6F, 0x6C, 0x65,  //             "role"
    0x30, 0x00,              //   signatureAlgorithm
    0x03, 0x01, 0x00,        //   signatureValue BIT STRING, no unused bits
};

role_error error_of(const bytes& der) {
    const auto r = read_modbus_role(der);
    REQUIRE_FALSE(r.ok());
    return *r.error;
}

}  // namespace

TEST_CASE("openssl certificates: the role, a view into the DER") {
    const bytes op = fixture("operator.der");
    const auto r = read_modbus_role(op);
    REQUIRE(r.ok());
    CHECK(r.role == "operator");
    const auto* first = static_cast<const void*>(r.role.data());
    CHECK(first >= static_cast<const void*>(op.data()));
    CHECK(first < static_cast<const void*>(op.data() + op.size()));

    const bytes viewer = fixture("viewer.der");  // alive while its role is: the role is a view
    const auto v = read_modbus_role(viewer);
    REQUIRE(v.ok());
    CHECK(v.role == "viewer");
}

TEST_CASE("openssl certificates: what is refused") {
    CHECK(error_of(fixture("no_role.der")) == role_error::no_role_extension);
    CHECK(error_of(fixture("printable.der")) == role_error::not_utf8string);
    CHECK(error_of(fixture("long_role.der")) == role_error::role_too_long);
}

TEST_CASE("every truncation of a real certificate is malformed") {
    const bytes op = fixture("operator.der");
    for (std::size_t n = 0; n < op.size(); ++n) {
        const bytes cut(op.begin(), op.begin() + static_cast<std::ptrdiff_t>(n));
        CAPTURE(n);
        CHECK(error_of(cut) == role_error::malformed);
    }
    bytes longer = op;
    longer.push_back(0x00);  // a byte after the Certificate
    CHECK(error_of(longer) == role_error::malformed);
}

TEST_CASE("the hand-written minimal certificate, and the builder agrees with it") {
    CHECK(certificate(extension(role_oid, tlv(0x0C, text("role")))) == minimal);
    const auto r = read_modbus_role(minimal);
    REQUIRE(r.ok());
    CHECK(r.role == "role");
}

TEST_CASE("malformed DER") {
    SUBCASE("truncated length") {
        CHECK(error_of({0x30}) == role_error::malformed);              // no length byte
        CHECK(error_of({0x30, 0x82, 0x01}) == role_error::malformed);  // 2 length bytes, 1 there
    }
    SUBCASE("indefinite length") {
        bytes b = minimal;
        b[1] = 0x80;                      // Certificate, indefinite
        b.insert(b.end(), {0x00, 0x00});  // with its end-of-contents: still refused
        CHECK(error_of(b) == role_error::malformed);
    }
    SUBCASE("non-minimal length") {
        // The UTF8String's length 4 as 81 04; every parent one byte longer to stay consistent.
        bytes b = minimal;
        b[1] = 0x30;   // Certificate
        b[3] = 0x29;   // tbsCertificate
        b[18] = 0x1A;  // [3]
        b[20] = 0x18;  // SEQUENCE OF
        b[22] = 0x16;  // Extension
        b[37] = 0x07;  // OCTET STRING
        b[39] = 0x04;
        b.insert(b.begin() + 39, 0x81);  // UTF8String length 81 04
        // Consistent otherwise: the same lengths with the role one byte longer read fine.
        bytes fine = b;
        fine.erase(fine.begin() + 39);
        fine[39] = 0x05;
        fine.insert(fine.begin() + 40, 0x73);  // "srole"
        CHECK(read_modbus_role(fine).role == "srole");
        CHECK(error_of(b) == role_error::malformed);
        // The brief's example, 81 05, on a 5-byte value.
        CHECK(error_of(tlv(0x30, cat({bytes{0x04, 0x81, 0x05}, text("abcde")}))) ==
              role_error::malformed);
        // A leading zero length byte: 82 00 05.
        CHECK(error_of(cat({bytes{0x30, 0x82, 0x00, 0x05}, text("abcde")})) ==
              role_error::malformed);
    }
    SUBCASE("length past the parent") {
        bytes b = minimal;
        b[39] = 0x05;  // the UTF8String claims 5 bytes, its OCTET STRING holds 4 after the header
        CHECK(error_of(b) == role_error::malformed);
        bytes c = minimal;
        c[3] = 0x2E;  // the tbsCertificate claims one byte more than the Certificate holds
        CHECK(error_of(c) == role_error::malformed);
    }
    SUBCASE("long-form tag") {
        bytes b = minimal;
        b[13] = 0x1F;  // subject: tag 0x1F starts a multi-byte tag
        CHECK(error_of(b) == role_error::malformed);
    }
    SUBCASE("nested too deep") {
        bytes deep = tlv(0x05, {});  // NULL at the bottom
        for (int k = 0; k < 20; ++k) {
            deep = tlv(0x30, deep);
        }
        CHECK(error_of(certificate(extension(role_oid, tlv(0x0C, text("role"))), deep)) ==
              role_error::malformed);
        // At the bound exactly: the subject is at depth 3, so 8 SEQUENCEs inside it put the NULL
        // at depth 12 = max_der_depth, and one more is refused. Only the depth decides.
        const auto nested = [](int levels) {
            bytes b = tlv(0x05, {});
            for (int k = 0; k < levels; ++k) {
                b = tlv(0x30, b);
            }
            return certificate(extension(role_oid, tlv(0x0C, text("role"))), b);
        };
        static_assert(gw::tls::max_der_depth == 12);
        CHECK(read_modbus_role(nested(8)).role == "role");
        CHECK(error_of(nested(9)) == role_error::malformed);
    }
    SUBCASE("critical encoded as FALSE, or not as one FF byte") {
        const bytes value = tlv(0x04, tlv(0x0C, text("role")));
        for (const bytes& flag : {tlv(0x01, {0x00}), tlv(0x01, {0x01}), tlv(0x01, {})}) {
            CHECK(error_of(certificate(tlv(0x30, cat({tlv(0x06, role_oid), flag, value})))) ==
                  role_error::malformed);
        }
        CHECK(read_modbus_role(
                  certificate(tlv(0x30, cat({tlv(0x06, role_oid), tlv(0x01, {0xFF}), value}))))
                  .role == "role");
    }
    SUBCASE("something after the UTF8String in extnValue") {
        CHECK(error_of(certificate(
                  extension(role_oid, cat({tlv(0x0C, text("role")), tlv(0x05, {})})))) ==
              role_error::malformed);
    }
}

TEST_CASE("extensions") {
    const bytes other = extension({0x55, 0x1D, 0x0E}, tlv(0x04, {0x01, 0x02}));  // SKID
    const bytes role = extension(role_oid, tlv(0x0C, text("operator")));
    CHECK(read_modbus_role(certificate(cat({other, role, other}))).role == "operator");
    CHECK(error_of(certificate(other)) == role_error::no_role_extension);
    CHECK(error_of(certificate({})) == role_error::no_role_extension);
    CHECK(error_of(certificate(cat({role, other, role}))) == role_error::duplicate_extension);
    // A malformed extension after the role still refuses the certificate.
    CHECK(error_of(certificate(cat({role, tlv(0x30, tlv(0x06, {0x55}))}))) ==
          role_error::malformed);
    // An OID that only starts like the role's is another extension.
    bytes longer_oid = role_oid;
    longer_oid.push_back(0x01);
    CHECK(error_of(certificate(extension(longer_oid, tlv(0x0C, text("x"))))) ==
          role_error::no_role_extension);
}

TEST_CASE("the role's text") {
    // The role copied out: the certificate is a temporary here, and the result views into it.
    const auto role_of = [](const bytes& s) {
        const bytes der = certificate(extension(role_oid, tlv(0x0C, s)));
        const auto r = read_modbus_role(der);
        return r.ok() ? std::string{r.role} : std::string{"<error>"};
    };
    const auto error_with = [](const bytes& s) {
        const bytes der = certificate(extension(role_oid, tlv(0x0C, s)));
        const auto r = read_modbus_role(der);
        REQUIRE_FALSE(r.ok());
        return *r.error;
    };
    CHECK(role_of(text("a")) == "a");
    CHECK(role_of(bytes(64, 'r')) == std::string(64, 'r'));
    CHECK(error_with(bytes(65, 'r')) == role_error::role_too_long);
    CHECK(error_with({}) == role_error::empty_role);
    CHECK(role_of(text("b\xC3\xA9tise \xE2\x82\xAC \xF0\x9F\x94\x91")) ==
          "b\xC3\xA9tise \xE2\x82\xAC \xF0\x9F\x94\x91");                 // 2, 3, 4 bytes
    CHECK(error_with({0xC0, 0xAF}) == role_error::bad_utf8);              // overlong '/'
    CHECK(error_with({0xE0, 0x80, 0xAF}) == role_error::bad_utf8);        // overlong, 3 bytes
    CHECK(error_with({0xED, 0xA0, 0x80}) == role_error::bad_utf8);        // surrogate U+D800
    CHECK(error_with({0xF4, 0x90, 0x80, 0x80}) == role_error::bad_utf8);  // U+110000
    CHECK(error_with({0x61, 0xC3}) == role_error::bad_utf8);              // truncated
    CHECK(error_with({0x80}) == role_error::bad_utf8);                    // lone continuation
    CHECK(error_with({0xFF}) == role_error::bad_utf8);
    CHECK(error_with(text("a\nb")) == role_error::control_character);
    CHECK(error_with({0x61, 0x00}) == role_error::control_character);
    CHECK(error_with({0x7F}) == role_error::control_character);
    CHECK(error_with({0xC2, 0x85}) == role_error::control_character);  // U+0085 NEL
    CHECK(role_of({0xC2, 0xA0}) == "\xC2\xA0");                        // U+00A0, not C1
}
