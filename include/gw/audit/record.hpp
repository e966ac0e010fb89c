#pragma once
// The audit record frame, sans-I/O (like the codec's decoders, after Beast's basic_parser):
// encode() writes one record into a caller buffer, decode() reads one from the front of a byte
// range and says how many bytes it used. The payload is opaque bytes (the event encoding is the
// caller's); the store (store.hpp) frames every event this way in its segment files.
//
//   offset     size  field
//   0          4     magic "GWA1"
//   4          8     sequence number, big-endian
//   12         4     payload length L, big-endian, 0..max_payload
//   16         L     payload
//   16+L       32    chain MAC: HMAC-SHA256(key, previous MAC || sequence || payload) (chain.hpp)
//   48+L       4     CRC-32C of bytes 0..48+L, big-endian
//
// The CRC finds torn writes and bit rot; it protects nothing against an editor, who can
// recompute it: the keyed chain MAC does that. Freestanding: no heap, no exceptions, no OS.

#include <gw/audit/crc32c.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace gw::audit {

inline constexpr std::array<std::byte, 4> record_magic{std::byte{'G'}, std::byte{'W'},
                                                       std::byte{'A'}, std::byte{'1'}};
inline constexpr std::size_t mac_size = 32;
inline constexpr std::size_t record_header_size = 16;             // magic, sequence, length
inline constexpr std::size_t record_trailer_size = mac_size + 4;  // MAC, CRC
inline constexpr std::size_t record_overhead = record_header_size + record_trailer_size;
/// The largest payload a record carries: an event is a few hundred bytes; the bound keeps a
/// hostile length field from making a reader wait for (or allocate) gigabytes.
inline constexpr std::size_t max_payload = 4096;
inline constexpr std::size_t max_record_size = record_overhead + max_payload;

constexpr std::size_t record_size(std::size_t payload_size) noexcept {
    return record_overhead + payload_size;
}

enum class record_status : std::uint8_t {
    need_more,   ///< the bytes so far are a prefix of a record: give more (nothing consumed)
    ok,          ///< a complete record with a good CRC
    bad_magic,   ///< the bytes do not start with "GWA1"
    bad_length,  ///< the payload length exceeds max_payload
    bad_crc,     ///< a complete record whose CRC does not match
};

constexpr std::string_view to_string(record_status status) noexcept {
    switch (status) {
        case record_status::need_more:
            return "need more";
        case record_status::ok:
            return "ok";
        case record_status::bad_magic:
            return "bad magic";
        case record_status::bad_length:
            return "bad length";
        case record_status::bad_crc:
            return "bad crc";
    }
    return "unknown";
}

/// A decoded record: views into the caller's buffer, valid as long as it is.
struct record_view {
    std::uint64_t sequence = 0;
    std::span<const std::byte> payload;
    std::span<const std::byte, mac_size> mac{static_cast<const std::byte*>(nullptr), mac_size};
};

struct record_decode_result {
    record_status status = record_status::need_more;
    std::size_t consumed = 0;  ///< the record's size when ok, else 0
    record_view record;        ///< meaningful when ok
};

namespace detail {
constexpr std::uint64_t get_be(std::span<const std::byte> b, std::size_t at,
                               std::size_t width) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) {
        v = v << 8 | static_cast<std::uint64_t>(b[at + i]);
    }
    return v;
}
constexpr void put_be(std::span<std::byte> b, std::size_t at, std::size_t width,
                      std::uint64_t v) noexcept {
    for (std::size_t i = 0; i < width; ++i) {
        b[at + width - 1 - i] = static_cast<std::byte>(v & 0xFFU);
        v >>= 8;
    }
}
}  // namespace detail

/// Writes the record into `out`; returns its size, or 0 (nothing meaningful written) when the
/// payload exceeds max_payload or `out` is too small.
constexpr std::size_t encode_record(std::uint64_t sequence, std::span<const std::byte> payload,
                                    std::span<const std::byte, mac_size> mac,
                                    std::span<std::byte> out) noexcept {
    if (payload.size() > max_payload || out.size() < record_size(payload.size())) {
        return 0;
    }
    for (std::size_t i = 0; i < record_magic.size(); ++i) {
        out[i] = record_magic[i];
    }
    detail::put_be(out, 4, 8, sequence);
    detail::put_be(out, 12, 4, payload.size());
    std::size_t at = record_header_size;
    for (const std::byte b : payload) {
        out[at++] = b;
    }
    for (const std::byte b : mac) {
        out[at++] = b;
    }
    detail::put_be(out, at, 4, crc32c(out.first(at)));
    return at + 4;
}

/// Decodes the record at the front of `in`. A verdict other than need_more is given as soon as
/// the bytes that decide it are there (a wrong magic byte at once, a bad length with the header),
/// so a reader never waits for bytes that cannot help.
constexpr record_decode_result decode_record(std::span<const std::byte> in) noexcept {
    record_decode_result r;
    const std::size_t magic_seen =
        in.size() < record_magic.size() ? in.size() : record_magic.size();
    for (std::size_t i = 0; i < magic_seen; ++i) {
        if (in[i] != record_magic[i]) {
            r.status = record_status::bad_magic;
            return r;
        }
    }
    if (in.size() < record_header_size) {
        return r;
    }
    const std::uint64_t length = detail::get_be(in, 12, 4);
    if (length > max_payload) {
        r.status = record_status::bad_length;
        return r;
    }
    const std::size_t size = record_size(static_cast<std::size_t>(length));
    if (in.size() < size) {
        return r;
    }
    const std::size_t crc_at = size - 4;
    if (crc32c(in.first(crc_at)) != detail::get_be(in, crc_at, 4)) {
        r.status = record_status::bad_crc;
        return r;
    }
    r.status = record_status::ok;
    r.consumed = size;
    r.record.sequence = detail::get_be(in, 4, 8);
    r.record.payload = in.subspan(record_header_size, static_cast<std::size_t>(length));
    r.record.mac = in.subspan(crc_at - mac_size).first<mac_size>();
    return r;
}

}  // namespace gw::audit
