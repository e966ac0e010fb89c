#pragma once
// An audit event as the payload of one audit store record, and back (sans-I/O, no heap, no
// exceptions). The store frames, checksums and chains records; this is what is inside.
//
// Payload, little-endian, version 1:
//   u8  version (1)
//   i64 utc_us         wall-clock time, microseconds since 1970-01-01T00:00:00Z
//   i64 monotonic_us   the gateway's steady clock (orders events across a clock step)
//   u8  category, u8 severity, u8 kind (the stable event id), u8 outcome
//   u16 source         listener or channel index
//   u8  n, n bytes     source name (the listener's or channel's configured name)
//   u8  family         0: no peer, 4: IPv4 (4 bytes follow), 6: IPv6 (16 bytes follow)
//   u16 peer_port
//   u8  reason, u8 unit, u8 function
//   u32 repeats, u16 address, u16 quantity
//   u8  n, n bytes     role
//   u8  n, n bytes     detail
// The decoder checks every length against the bounds above and every enumeration against its
// range, and refuses trailing bytes: a record that does not decode is reported, never guessed at.

#include <gw/policy/audit_event.hpp>
#include <gw/policy/identity.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace gw::audit {

/// Names of listeners and channels are at most this long in a record (config names are shorter).
using source_name = policy::bounded_string<64>;

/// An event as recorded: the engine's event, the times the audit trail stamped it with, and the
/// name of its source.
struct recorded_event {
    policy::audit_event event{};
    std::int64_t utc_us = 0;
    std::int64_t monotonic_us = 0;
    source_name source{};
};

/// The largest payload encode() writes.
inline constexpr std::size_t max_event_payload =
    1 + 8 + 8 + 4 + 2 + 1 + source_name::capacity() + 1 + 16 + 2 + 3 + 4 + 2 + 2 + 1 +
    policy::role_name::capacity() + 1 + policy::event_detail::capacity();

enum class event_decode_status : std::uint8_t { ok, truncated, bad_version, bad_field, trailing };

constexpr std::string_view to_string(event_decode_status s) noexcept {
    constexpr std::array<std::string_view, 5> names{"ok", "truncated", "unknown version",
                                                    "field out of range", "trailing bytes"};
    return names[static_cast<std::size_t>(s)];
}

namespace detail {

class payload_writer {
public:
    explicit payload_writer(std::span<std::byte, max_event_payload> out) noexcept : out_{out} {}
    template <class T>
    void put(T v) noexcept {
        auto u = static_cast<std::uint64_t>(v);
        for (std::size_t i = 0; i < sizeof(T); ++i) {
            out_[at_++] = static_cast<std::byte>(u & 0xffu);
            u >>= 8u;
        }
    }
    void put_text(std::string_view s) noexcept {
        put(static_cast<std::uint8_t>(s.size()));
        for (const char c : s)
            out_[at_++] = static_cast<std::byte>(c);
    }
    void put_bytes(std::span<const std::uint8_t> b) noexcept {
        for (const auto x : b)
            out_[at_++] = static_cast<std::byte>(x);
    }
    std::size_t size() const noexcept { return at_; }

private:
    std::span<std::byte, max_event_payload> out_;
    std::size_t at_ = 0;
};

class payload_reader {
public:
    explicit payload_reader(std::span<const std::byte> in) noexcept : in_{in} {}
    template <class T>
    bool get(T& v) noexcept {
        if (in_.size() - at_ < sizeof(T)) return false;
        std::uint64_t u = 0;
        for (std::size_t i = 0; i < sizeof(T); ++i)
            u |= std::uint64_t{static_cast<std::uint8_t>(in_[at_ + i])} << (8u * i);
        at_ += sizeof(T);
        v = static_cast<T>(u);
        return true;
    }
    template <std::size_t N>
    bool get_text(policy::bounded_string<N>& s, bool& fits) noexcept {
        std::uint8_t n = 0;
        if (!get(n)) return false;
        if (in_.size() - at_ < n) return false;
        std::array<char, 255> text{};
        for (std::size_t i = 0; i < n; ++i)
            text[i] = static_cast<char>(in_[at_ + i]);
        at_ += n;
        fits = s.assign({text.data(), n});
        return true;
    }
    bool get_bytes(std::span<std::uint8_t> b) noexcept {
        if (in_.size() - at_ < b.size()) return false;
        for (auto& x : b)
            x = static_cast<std::uint8_t>(in_[at_++]);
        return true;
    }
    bool done() const noexcept { return at_ == in_.size(); }

private:
    std::span<const std::byte> in_;
    std::size_t at_ = 0;
};

}  // namespace detail

/// Writes `r` into `out`; returns the payload's length (at most max_event_payload).
inline std::size_t encode_event(const recorded_event& r,
                                std::span<std::byte, max_event_payload> out) noexcept {
    const auto& e = r.event;
    detail::payload_writer w{out};
    w.put(std::uint8_t{1});
    w.put(r.utc_us);
    w.put(r.monotonic_us);
    w.put(static_cast<std::uint8_t>(e.category));
    w.put(static_cast<std::uint8_t>(e.severity));
    w.put(static_cast<std::uint8_t>(e.kind));
    w.put(static_cast<std::uint8_t>(e.outcome));
    w.put(e.source);
    w.put_text(r.source.view());
    if (e.peer_port == 0) {
        w.put(std::uint8_t{0});
    } else if (e.peer.v4) {
        w.put(std::uint8_t{4});
        w.put_bytes(std::span(e.peer.bytes).first(4));
    } else {
        w.put(std::uint8_t{6});
        w.put_bytes(e.peer.bytes);
    }
    w.put(e.peer_port);
    w.put(e.reason);
    w.put(e.unit);
    w.put(e.function);
    w.put(e.repeats);
    w.put(e.address);
    w.put(e.quantity);
    w.put_text(e.role.view());
    w.put_text(e.detail.view());
    return w.size();
}

/// Reads a payload written by encode_event (any version this build knows).
inline event_decode_status decode_event(std::span<const std::byte> in,
                                        recorded_event& out) noexcept {
    using S = event_decode_status;
    detail::payload_reader r{in};
    recorded_event x;
    auto& e = x.event;
    std::uint8_t version = 0;
    if (!r.get(version)) return S::truncated;
    if (version != 1) return S::bad_version;
    std::uint8_t category = 0;
    std::uint8_t severity = 0;
    std::uint8_t kind = 0;
    std::uint8_t outcome = 0;
    std::uint8_t family = 0;
    if (!r.get(x.utc_us) || !r.get(x.monotonic_us) || !r.get(category) || !r.get(severity) ||
        !r.get(kind) || !r.get(outcome) || !r.get(e.source))
        return S::truncated;
    // Every enumeration in range; the kind may be one this build does not name (a newer gw
    // wrote it), which the readers print by number.
    if (category > static_cast<std::uint8_t>(policy::event_category::serial) || severity < 1 ||
        severity > static_cast<std::uint8_t>(policy::event_severity::info) || kind == 0 ||
        outcome > static_cast<std::uint8_t>(policy::event_outcome::failed))
        return S::bad_field;
    e.category = static_cast<policy::event_category>(category);
    e.severity = static_cast<policy::event_severity>(severity);
    e.kind = static_cast<policy::event_kind>(kind);
    e.outcome = static_cast<policy::event_outcome>(outcome);
    bool fits = true;
    if (!r.get_text(x.source, fits)) return S::truncated;
    if (!fits) return S::bad_field;
    if (!r.get(family)) return S::truncated;
    if (family == 4) {
        e.peer.v4 = true;
        if (!r.get_bytes(std::span(e.peer.bytes).first(4))) return S::truncated;
    } else if (family == 6) {
        e.peer.v4 = false;
        if (!r.get_bytes(e.peer.bytes)) return S::truncated;
    } else if (family != 0) {
        return S::bad_field;
    }
    if (!r.get(e.peer_port) || !r.get(e.reason) || !r.get(e.unit) || !r.get(e.function) ||
        !r.get(e.repeats) || !r.get(e.address) || !r.get(e.quantity))
        return S::truncated;
    if ((family == 0) != (e.peer_port == 0)) return S::bad_field;
    if (!r.get_text(e.role, fits)) return S::truncated;
    if (!fits) return S::bad_field;
    if (!r.get_text(e.detail, fits)) return S::truncated;
    if (!fits) return S::bad_field;
    if (!r.done()) return S::trailing;
    out = x;
    return S::ok;
}

}  // namespace gw::audit
