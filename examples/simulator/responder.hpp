#pragma once
// The simulated bus devices without any I/O: several Modbus units, each a gw::device::server on
// its own static data model, turning one checked request frame into the exact bytes a device on
// the line would send back, faults included. The I/O loop (simulator.hpp) only moves bytes and
// time; everything a test wants to assert byte for byte is decided here.

#include <gw/codec/ascii_framer.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/core/limits.hpp>
#include <gw/device/server.hpp>
#include <gw/device/static_data_model.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gw::sim {

enum class wire_mode : std::uint8_t { rtu, ascii };

constexpr std::string_view to_string(wire_mode m) noexcept {
    return m == wire_mode::rtu ? "RTU" : "ASCII";
}

/// What a faulty device does instead of answering properly.
enum class fault_kind : std::uint8_t {
    none,
    silence,     ///< no reply at all
    bad_crc,     ///< the reply with a wrong CRC (RTU) or LRC (ASCII)
    wrong_unit,  ///< a well-formed reply from another unit id
    garbage,     ///< line noise before an otherwise good reply
    truncated,   ///< only the first half of the reply
    noise,       ///< random line noise, a gap, then the good reply (noise at the turnaround)
};

inline constexpr std::array<fault_kind, 6> all_faults{fault_kind::silence,    fault_kind::bad_crc,
                                                      fault_kind::wrong_unit, fault_kind::garbage,
                                                      fault_kind::truncated,  fault_kind::noise};

constexpr std::string_view to_string(fault_kind f) noexcept {
    switch (f) {
        case fault_kind::none:
            return "none";
        case fault_kind::silence:
            return "silence";
        case fault_kind::bad_crc:
            return "bad_crc";
        case fault_kind::wrong_unit:
            return "wrong_unit";
        case fault_kind::garbage:
            return "garbage";
        case fault_kind::truncated:
            return "truncated";
        case fault_kind::noise:
            return "noise";
    }
    return "?";
}

constexpr std::optional<fault_kind> parse_fault(std::string_view text) noexcept {
    for (const auto f : all_faults) {
        if (to_string(f) == text) {
            return f;
        }
    }
    if (text == "none") {
        return fault_kind::none;
    }
    return std::nullopt;
}

/// The noise fault's longest burst.
inline constexpr std::size_t max_noise_bytes = 32;

struct fault_settings {
    fault_kind kind = fault_kind::none;
    std::optional<std::uint8_t> unit;  ///< only requests to this unit qualify (all when empty)
    std::uint32_t every = 1;           ///< the fault hits every Nth qualifying request
    /// noise: 1..noise_max bytes (at most max_noise_bytes), then a silence of noise_gap_min to
    /// noise_gap_max before the reply; the shapes and lengths come from `seed`.
    std::size_t noise_max = 8;
    std::chrono::microseconds noise_gap_min{2000};
    std::chrono::microseconds noise_gap_max{5000};
    std::uint32_t seed = 1;
};

/// A reply sent in two parts: the first `first` bytes, a silence of `gap`, then the rest.
struct reply_split {
    std::size_t first = 0;  ///< 0: the reply goes out in one piece
    std::chrono::microseconds gap{0};
};

struct responder_settings {
    wire_mode mode = wire_mode::rtu;
    std::vector<std::uint8_t> units{1};
    fault_settings fault;
    std::string server_id = "gw simulator";
};

/// Each unit's tables. 10000 entries per table covers the addresses test tools use; beyond them
/// a request gets exception 02, which is itself worth testing against.
using unit_model = static_data_model<10000, 10000, 10000, 10000>;

/// The initial contents, chosen so that every value read tells where it came from:
/// holding[i] = i, input[i] = unit * 1000 + i, coil[i] = (i % 3 == 0), discrete[i] = (i odd).
inline void fill_initial_values(unit_model& m, std::uint8_t unit) noexcept {
    for (std::size_t i = 0; i < unit_model::holding_register_count; ++i) {
        m.set_holding_register(i, static_cast<std::uint16_t>(i));
    }
    for (std::size_t i = 0; i < unit_model::input_register_count; ++i) {
        m.set_input_register(i, static_cast<std::uint16_t>(unit * 1000U + i));
    }
    for (std::size_t i = 0; i < unit_model::coil_count; ++i) {
        m.set_coil(i, i % 3 == 0);
    }
    for (std::size_t i = 0; i < unit_model::discrete_input_count; ++i) {
        m.set_discrete_input(i, i % 2 == 1);
    }
}

/// Bits on the line per character: RTU 1 start + 8 data + parity + 1 stop (or 2 stop, no
/// parity) = 11; ASCII 1 start + 7 data + parity + 1 stop = 10.
constexpr unsigned bits_per_char(wire_mode m) noexcept {
    return m == wire_mode::rtu ? 11 : 10;
}

/// How long `chars` characters take on the line at `baud`, rounded up to whole microseconds.
constexpr std::chrono::microseconds wire_time(std::size_t chars, wire_mode m,
                                              std::uint32_t baud) noexcept {
    if (baud == 0) {
        return std::chrono::microseconds{0};
    }
    const std::uint64_t bits = std::uint64_t{chars} * bits_per_char(m);
    return std::chrono::microseconds{
        static_cast<std::int64_t>((bits * 1'000'000U + baud - 1) / baud)};
}

struct responder_counters {
    std::uint64_t requests = 0;     ///< checked frames received
    std::uint64_t replies = 0;      ///< replies produced (faulty ones included)
    std::uint64_t broadcasts = 0;   ///< unit 0 requests executed
    std::uint64_t other_units = 0;  ///< frames for units not simulated (ignored)
    std::uint64_t faults = 0;       ///< faults applied
};

class responder {
public:
    /// Longest reply: an ASCII frame of a full PDU plus the garbage or noise prefix.
    static constexpr std::size_t max_reply_size = max_ascii_frame_chars + max_noise_bytes;

    explicit responder(const responder_settings& settings)
        : settings_(settings), random_(settings.fault.seed) {
        for (const auto id : settings_.units) {
            if (id == 0 || by_id_[id] != nullptr) {
                continue;  // 0 is broadcast, duplicates are harmless
            }
            auto dev = std::make_unique<device>(id, server_id_bytes());
            by_id_[id] = dev.get();
            devices_.push_back(std::move(dev));
        }
    }
    // The servers hold views of settings_.server_id: the responder stays where it was built.
    responder(const responder&) = delete;
    responder& operator=(const responder&) = delete;

    /// One checked request frame (unit + PDU). Returns the bytes to put on the line, valid until
    /// the next call; empty when the device stays silent (broadcast, another unit, listen-only
    /// mode, or the silence fault).
    std::span<const std::uint8_t> respond(std::uint8_t unit, std::span<const std::uint8_t> pdu) {
        last_fault_ = fault_kind::none;
        last_split_ = {};
        ++counters_.requests;
        if (unit == 0) {
            ++counters_.broadcasts;
            for (auto& d : devices_) {
                d->server.handle_broadcast(pdu, pdu_out_);
            }
            return {};
        }
        device* dev = by_id_[unit];
        if (dev == nullptr) {
            ++counters_.other_units;
            for (auto& d : devices_) {
                d->server.note_bus_message();
            }
            return {};
        }
        const std::size_t n = dev->server.handle(pdu, pdu_out_);
        if (n == 0) {
            return {};
        }
        const auto reply_pdu = std::span<const std::uint8_t>(pdu_out_).first(n);
        const fault_kind fault = next_fault(unit);
        last_fault_ = fault;
        if (fault != fault_kind::none) {
            ++counters_.faults;
        }
        if (fault == fault_kind::silence) {
            return {};
        }
        ++counters_.replies;
        return shape(fault, unit, reply_pdu);
    }

    /// Frames that failed their check count as communication errors on every simulated unit,
    /// as on a shared bus (FC 8 sub-function 12).
    void note_communication_error() noexcept {
        for (auto& d : devices_) {
            d->server.note_communication_error();
        }
    }

    /// The encoded reply `respond` would give without a fault (for tests and logs).
    std::span<const std::uint8_t> encode(std::uint8_t unit, std::span<const std::uint8_t> pdu) {
        return shape(fault_kind::none, unit, pdu);
    }

    fault_kind last_fault() const noexcept { return last_fault_; }
    /// How the last reply goes on the line (the noise fault sends it in two parts).
    reply_split last_split() const noexcept { return last_split_; }
    const responder_counters& counters() const noexcept { return counters_; }
    const responder_settings& settings() const noexcept { return settings_; }

    /// The data model of a simulated unit, or nullptr.
    unit_model* model(std::uint8_t unit) noexcept {
        return by_id_[unit] != nullptr ? &by_id_[unit]->model : nullptr;
    }
    gw::server<unit_model>* server(std::uint8_t unit) noexcept {
        return by_id_[unit] != nullptr ? &by_id_[unit]->server : nullptr;
    }

private:
    struct device {
        device(std::uint8_t id, std::span<const std::uint8_t> server_id)
            : server(model, server_id) {
            fill_initial_values(model, id);
        }
        unit_model model;
        gw::server<unit_model> server;
    };

    std::span<const std::uint8_t> server_id_bytes() const noexcept {
        return {reinterpret_cast<const std::uint8_t*>(settings_.server_id.data()),
                settings_.server_id.size()};
    }

    fault_kind next_fault(std::uint8_t unit) noexcept {
        const auto& f = settings_.fault;
        if (f.kind == fault_kind::none || (f.unit && *f.unit != unit)) {
            return fault_kind::none;
        }
        ++qualifying_;
        return qualifying_ % (f.every == 0 ? 1 : f.every) == 0 ? f.kind : fault_kind::none;
    }

    std::size_t encode_frame(std::uint8_t unit, std::span<const std::uint8_t> pdu,
                             std::span<std::uint8_t> out) const noexcept {
        return settings_.mode == wire_mode::rtu ? encode_rtu(unit, pdu, out)
                                                : encode_ascii(unit, pdu, out);
    }

    std::uint32_t random_below(std::uint32_t n) {
        return std::uniform_int_distribution<std::uint32_t>{0, n - 1}(random_);
    }

    // Noise at the RS-485 turnaround, in the shapes that trouble a framer: random bytes; a
    // header of the awaited reply with a large byte count; the reply's own first bytes (a false
    // start); another unit's header. ASCII: random characters other than ':'. By design never a
    // whole reply-shaped frame with a bad CRC (that is a damaged reply, the bad_crc fault).
    std::size_t make_noise(std::uint8_t unit, std::span<const std::uint8_t> pdu,
                           std::span<std::uint8_t> out) {
        const std::size_t most =
            std::clamp<std::size_t>(settings_.fault.noise_max, 1, max_noise_bytes);
        const std::size_t n = 1 + random_below(static_cast<std::uint32_t>(most));
        for (std::size_t i = 0; i < n; ++i) {
            out[i] = static_cast<std::uint8_t>(random_below(256));
        }
        const std::uint8_t fc = pdu.empty() ? 0 : pdu[0];
        if (settings_.mode == wire_mode::ascii) {
            for (std::size_t i = 0; i < n; ++i) {
                out[i] = out[i] == ':' ? '#' : out[i];
            }
            return n;
        }
        switch (random_below(4)) {
            case 1:  // unit, function, byte count 128..255
                out[0] = unit;
                if (n > 1) out[1] = fc;
                if (n > 2) out[2] = static_cast<std::uint8_t>(0x80 | out[2]);
                break;
            case 2:  // the reply's first bytes, never all of them: a false start
                out[0] = unit;
                for (std::size_t i = 1; i < n && i - 1 < pdu.size(); ++i) {
                    out[i] = pdu[i - 1];
                }
                return std::min(n, pdu.size() + 1);
            case 3:  // another unit's header
                out[0] = static_cast<std::uint8_t>(unit == 247 ? 1 : unit + 1);
                if (n > 1) out[1] = fc;
                break;
            default:
                break;
        }
        return n;
    }

    std::span<const std::uint8_t> shape(fault_kind fault, std::uint8_t unit,
                                        std::span<const std::uint8_t> pdu) {
        const bool rtu = settings_.mode == wire_mode::rtu;
        std::size_t prefix = 0;
        if (fault == fault_kind::noise) {
            prefix = make_noise(unit, pdu, reply_);
            const auto& f = settings_.fault;
            const auto low = f.noise_gap_min.count();
            const auto high = std::max(low, f.noise_gap_max.count());
            last_split_.first = prefix;
            last_split_.gap =
                std::chrono::microseconds{low + static_cast<std::int64_t>(random_below(
                                                    static_cast<std::uint32_t>(high - low + 1)))};
        }
        if (fault == fault_kind::garbage) {
            // RTU: bytes no function code starts with; ASCII: characters outside a frame.
            static constexpr std::array<std::uint8_t, 3> noise_rtu{0xFF, 0x00, 0xFF};
            static constexpr std::array<std::uint8_t, 3> noise_ascii{'#', '?', '#'};
            const auto& noise = rtu ? noise_rtu : noise_ascii;
            for (std::size_t i = 0; i < noise.size(); ++i) {
                reply_[i] = noise[i];
            }
            prefix = noise.size();
        }
        std::uint8_t reply_unit = unit;
        if (fault == fault_kind::wrong_unit) {
            reply_unit = static_cast<std::uint8_t>(unit == 247 ? 1 : unit + 1);
        }
        const auto out = std::span<std::uint8_t>(reply_).subspan(prefix);
        std::size_t size = encode_frame(reply_unit, pdu, out);
        if (size == 0) {
            return {};
        }
        if (fault == fault_kind::bad_crc) {
            if (rtu) {
                out[size - 1] ^= 0x5A;  // the CRC's high byte
            } else {
                // Rewrite the two LRC hex characters (before CR LF) with LRC + 1.
                const auto hex = [](std::uint8_t c) {
                    return static_cast<unsigned>(c <= '9' ? c - '0' : c - 'A' + 10);
                };
                const auto lrc = static_cast<std::uint8_t>(
                    ((hex(out[size - 4]) << 4U) | hex(out[size - 3])) + 1U);
                const auto digit = [](unsigned v) {
                    return static_cast<std::uint8_t>(v < 10 ? '0' + v : 'A' + v - 10);
                };
                out[size - 4] = digit(lrc >> 4U);
                out[size - 3] = digit(lrc & 0x0FU);
            }
        }
        if (fault == fault_kind::truncated) {
            size /= 2;
        }
        return std::span<const std::uint8_t>(reply_).first(prefix + size);
    }

    responder_settings settings_;
    std::vector<std::unique_ptr<device>> devices_;
    std::array<device*, 256> by_id_{};
    std::array<std::uint8_t, max_pdu_size> pdu_out_{};
    std::array<std::uint8_t, max_reply_size> reply_{};
    std::uint64_t qualifying_ = 0;
    fault_kind last_fault_ = fault_kind::none;
    reply_split last_split_;
    std::mt19937 random_;
    responder_counters counters_;
};

}  // namespace gw::sim
