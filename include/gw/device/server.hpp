#pragma once
// A Modbus server (slave) on a data model, sans-I/O: one request PDU in, one response PDU out.
//
// The request is validated by the codec first (gw::validate_request), so the model only sees
// quantities and address windows within the specification. FC 1, 2, 3, 4, 5, 6, 15, 16, 22 and 23
// go to the model; 7, 8, 11 and 17 are answered by the server itself from its own state and
// counters (Modbus Application Protocol v1.1b3, 6.7, 6.8, 6.9, 6.13); anything else gets 01.
//
// The unit id and broadcast are the caller's business: for a broadcast (unit 0) call
// handle_broadcast(), which executes the request and returns nothing to send.

#include <gw/codec/pdu.hpp>
#include <gw/core/endian.hpp>
#include <gw/core/exception_code.hpp>
#include <gw/core/function_code.hpp>
#include <gw/core/limits.hpp>
#include <gw/device/data_model.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace gw {

/// The counters of FC 8 sub-functions 11-18 (Modbus Application Protocol v1.1b3, 6.8.1).
struct diagnostic_counters {
    std::uint16_t bus_message = 0;              ///< 11: messages seen (see note_bus_message)
    std::uint16_t bus_communication_error = 0;  ///< 12: CRC errors (note_communication_error)
    std::uint16_t bus_exception_error = 0;      ///< 13: exception responses sent
    std::uint16_t server_message = 0;           ///< 14: messages addressed to this server
    std::uint16_t server_no_response = 0;       ///< 15: messages answered with nothing
    std::uint16_t server_nak = 0;               ///< 16: NAK exceptions
    std::uint16_t server_busy = 0;              ///< 17: busy exceptions
    std::uint16_t bus_character_overrun = 0;    ///< 18: overruns (note_character_overrun)
};

/// FC 8 sub-function codes.
enum class diagnostic_sub_function : std::uint16_t {
    return_query_data = 0,
    restart_communications = 1,
    return_diagnostic_register = 2,
    force_listen_only = 4,
    clear_counters = 10,
    return_bus_message_count = 11,
    return_bus_communication_error_count = 12,
    return_bus_exception_error_count = 13,
    return_server_message_count = 14,
    return_server_no_response_count = 15,
    return_server_nak_count = 16,
    return_server_busy_count = 17,
    return_bus_character_overrun_count = 18,
    clear_overrun_counter = 20,
};

template <data_model M>
class server {
public:
    /// Longest server id FC 17 can carry: byte count 1 + id + run indicator within 253 bytes.
    static constexpr std::size_t max_server_id_size = max_pdu_size - 3;

    constexpr explicit server(M& model, std::span<const std::uint8_t> server_id = {}) noexcept
        : model_{model}
        , server_id_{server_id.size() <= max_server_id_size ? server_id
                                                            : server_id.first(max_server_id_size)} {
    }

    /// Handles one request PDU; writes the response PDU (or exception PDU) into `out` (253 bytes
    /// always suffice) and returns its length. Returns 0 when nothing must be sent: listen-only
    /// mode, FC 8/4, FC 8/1 leaving listen-only mode, an empty request or `out` < 2 bytes.
    std::size_t handle(std::span<const std::uint8_t> request_pdu,
                       std::span<std::uint8_t> out) noexcept {
        if (request_pdu.empty() || out.size() < 2) {
            return 0;
        }
        ++counters_.bus_message;
        ++counters_.server_message;
        const auto& q = request_pdu;
        const std::uint8_t fc = q[0];
        const bool restart =
            fc == to_byte(function_code::diagnostics) && q.size() == 5 && get_u16(q, 1) == 1;
        if (listen_only_ && !restart) {
            ++counters_.server_no_response;
            return 0;
        }
        if (const auto e = validate_request(q)) {
            return fail(fc, *e, out);
        }
        std::optional<std::size_t> n;
        switch (fc) {
            case 1:
                n = read_bits(q, out, &M::read_coils);
                break;
            case 2:
                n = read_bits(q, out, &M::read_discrete_inputs);
                break;
            case 3:
                n = read_registers(q, out, &M::read_holding_registers);
                break;
            case 4:
                n = read_registers(q, out, &M::read_input_registers);
                break;
            case 5:
                n = write_single_coil(q, out);
                break;
            case 6:
                n = write_single_register(q, out);
                break;
            case 7:
                n = read_exception_status(out);
                break;
            case 8:
                return diagnostics(q, out);
            case 11:
                n = comm_event_counter(out);
                break;
            case 15:
                n = write_many(q, out, true);
                break;
            case 16:
                n = write_many(q, out, false);
                break;
            case 17:
                n = report_server_id(out);
                break;
            case 22:
                n = mask_write_register(q, out);
                break;
            case 23:
                n = read_write_registers(q, out);
                break;
            default:
                return fail(fc, exception_code::illegal_function, out);
        }
        if (!n) {
            return fail(fc, pending_exception_, out);
        }
        if (fc != to_byte(function_code::get_comm_event_counter)) {
            ++event_counter_;
        }
        return *n;
    }

    /// Executes a broadcast request (unit 0): writes happen, nothing is answered. `scratch`
    /// (253 bytes) receives the response that is not sent.
    void handle_broadcast(std::span<const std::uint8_t> request_pdu,
                          std::span<std::uint8_t> scratch) noexcept {
        const std::uint16_t exceptions = counters_.bus_exception_error;
        if (handle(request_pdu, scratch) > 0) {
            ++counters_.server_no_response;
        }
        counters_.bus_exception_error = exceptions;  // nothing was sent
    }

    // Events the transport sees and the server cannot: they feed the FC 8 counters.
    void note_bus_message() noexcept { ++counters_.bus_message; }  ///< a frame for another unit
    void note_communication_error() noexcept { ++counters_.bus_communication_error; }
    void note_character_overrun() noexcept { ++counters_.bus_character_overrun; }

    const diagnostic_counters& counters() const noexcept { return counters_; }
    std::uint16_t event_counter() const noexcept { return event_counter_; }
    bool listen_only() const noexcept { return listen_only_; }

    /// The byte FC 7 answers (eight device-specific status bits).
    void set_exception_status(std::uint8_t status) noexcept { exception_status_ = status; }
    std::uint8_t exception_status() const noexcept { return exception_status_; }
    /// The word FC 8/2 answers.
    void set_diagnostic_register(std::uint16_t value) noexcept { diagnostic_register_ = value; }
    std::uint16_t diagnostic_register() const noexcept { return diagnostic_register_; }
    /// The run indicator FC 17 reports (0xFF on, 0x00 off).
    void set_run_indicator(bool on) noexcept { run_indicator_ = on; }
    void set_server_id(std::span<const std::uint8_t> id) noexcept {
        server_id_ = id.size() <= max_server_id_size ? id : id.first(max_server_id_size);
    }

private:
    using model_result = std::optional<exception_code>;
    using read_fn = model_result (M::*)(std::uint16_t, std::uint16_t, std::span<std::uint8_t>);

    std::size_t fail(std::uint8_t fc, exception_code e, std::span<std::uint8_t> out) noexcept {
        ++counters_.bus_exception_error;
        if (e == exception_code::negative_acknowledge) {
            ++counters_.server_nak;
        } else if (e == exception_code::server_device_busy) {
            ++counters_.server_busy;
        }
        return make_exception_response(fc, e, out);
    }
    // A model call's outcome: the response length, or nullopt with pending_exception_ set.
    std::optional<std::size_t> done(model_result r, std::size_t n) noexcept {
        if (r) {
            pending_exception_ = *r;
            return std::nullopt;
        }
        return n;
    }
    std::optional<std::size_t> no_room() noexcept {
        pending_exception_ = exception_code::server_device_failure;
        return std::nullopt;
    }
    static std::size_t echo(std::span<const std::uint8_t> q, std::size_t n,
                            std::span<std::uint8_t> out) noexcept {
        for (std::size_t i = 0; i < n; ++i) {
            out[i] = q[i];
        }
        return n;
    }

    template <class Fn>
    std::optional<std::size_t> read_bits(std::span<const std::uint8_t> q,
                                         std::span<std::uint8_t> out, Fn fn) noexcept {
        const read_request r = parse_read_request(q);
        const std::size_t count = (std::size_t{r.quantity} + 7) / 8;
        if (out.size() < 2 + count) {
            return no_room();
        }
        out[0] = q[0];
        out[1] = static_cast<std::uint8_t>(count);
        return done((model_.*fn)(r.address, r.quantity, out.subspan(2, count)), 2 + count);
    }
    template <class Fn>
    std::optional<std::size_t> read_registers(std::span<const std::uint8_t> q,
                                              std::span<std::uint8_t> out, Fn fn) noexcept {
        const read_request r = parse_read_request(q);
        const std::size_t count = 2 * std::size_t{r.quantity};
        if (out.size() < 2 + count) {
            return no_room();
        }
        out[0] = q[0];
        out[1] = static_cast<std::uint8_t>(count);
        return done((model_.*fn)(r.address, r.quantity, out.subspan(2, count)), 2 + count);
    }
    std::optional<std::size_t> write_single_coil(std::span<const std::uint8_t> q,
                                                 std::span<std::uint8_t> out) noexcept {
        if (out.size() < 5) {
            return no_room();
        }
        const write_single w = parse_write_single(q);
        const std::uint8_t packed[1] = {w.value == coil_on ? std::uint8_t{1} : std::uint8_t{0}};
        return done(model_.write_coils(w.address, 1, packed), echo(q, 5, out));
    }
    std::optional<std::size_t> write_single_register(std::span<const std::uint8_t> q,
                                                     std::span<std::uint8_t> out) noexcept {
        if (out.size() < 5) {
            return no_room();
        }
        const write_single w = parse_write_single(q);
        return done(model_.write_registers(w.address, 1, q.subspan(3, 2)), echo(q, 5, out));
    }
    std::optional<std::size_t> write_many(std::span<const std::uint8_t> q,
                                          std::span<std::uint8_t> out, bool bits) noexcept {
        if (out.size() < 5) {
            return no_room();
        }
        const gw::write_multiple w = parse_write_multiple(q);
        const model_result r = bits ? model_.write_coils(w.address, w.quantity, w.values)
                                    : model_.write_registers(w.address, w.quantity, w.values);
        return done(r, echo(q, 5, out));
    }
    std::optional<std::size_t> mask_write_register(std::span<const std::uint8_t> q,
                                                   std::span<std::uint8_t> out) noexcept {
        if (out.size() < 7) {
            return no_room();
        }
        const mask_write m = parse_mask_write(q);
        std::array<std::uint8_t, 2> reg{};
        if (const model_result r = model_.read_holding_registers(m.address, 1, reg)) {
            return done(r, 0);
        }
        const std::uint16_t current = get_u16(reg, 0);
        // Result = (Current AND And_Mask) OR (Or_Mask AND (NOT And_Mask)), spec 6.16.
        const auto value =
            static_cast<std::uint16_t>((current & m.and_mask) | (m.or_mask & ~m.and_mask));
        put_u16(reg, 0, value);
        return done(model_.write_registers(m.address, 1, reg), echo(q, 7, out));
    }
    // The write is performed before the read (spec 6.17).
    std::optional<std::size_t> read_write_registers(std::span<const std::uint8_t> q,
                                                    std::span<std::uint8_t> out) noexcept {
        const read_write rw = parse_read_write(q);
        const std::size_t count = 2 * std::size_t{rw.read_quantity};
        if (out.size() < 2 + count) {
            return no_room();
        }
        if (const model_result r =
                model_.write_registers(rw.write_address, rw.write_quantity, rw.values)) {
            return done(r, 0);
        }
        out[0] = q[0];
        out[1] = static_cast<std::uint8_t>(count);
        return done(
            model_.read_holding_registers(rw.read_address, rw.read_quantity, out.subspan(2, count)),
            2 + count);
    }
    std::optional<std::size_t> read_exception_status(std::span<std::uint8_t> out) noexcept {
        out[0] = to_byte(function_code::read_exception_status);
        out[1] = exception_status_;
        return 2;
    }
    std::optional<std::size_t> comm_event_counter(std::span<std::uint8_t> out) noexcept {
        if (out.size() < 5) {
            return no_room();
        }
        out[0] = to_byte(function_code::get_comm_event_counter);
        put_u16(out, 1, 0x0000);  // status: never busy, a request is handled synchronously
        put_u16(out, 3, event_counter_);
        return 5;
    }
    std::optional<std::size_t> report_server_id(std::span<std::uint8_t> out) noexcept {
        const std::size_t count = server_id_.size() + 1;
        if (out.size() < 2 + count) {
            return no_room();
        }
        out[0] = to_byte(function_code::report_server_id);
        out[1] = static_cast<std::uint8_t>(count);
        for (std::size_t i = 0; i < server_id_.size(); ++i) {
            out[2 + i] = server_id_[i];
        }
        out[2 + server_id_.size()] = run_indicator_ ? std::uint8_t{0xFF} : std::uint8_t{0x00};
        return 2 + count;
    }

    void clear_counters() noexcept {
        counters_ = diagnostic_counters{};
        diagnostic_register_ = 0;
    }

    std::size_t diagnostics(std::span<const std::uint8_t> q, std::span<std::uint8_t> out) noexcept {
        using sub = diagnostic_sub_function;
        const diagnostic_request d = parse_diagnostic(q);
        if (out.size() < q.size()) {
            return fail(q[0], exception_code::server_device_failure, out);
        }
        // Every sub-function but 0 answers fc, sub-function, one data word.
        const auto answer = [&](std::uint16_t data) noexcept {
            echo(q, 3, out);
            put_u16(out, 3, data);
            ++event_counter_;
            return std::size_t{5};
        };
        switch (static_cast<sub>(d.sub_function)) {
            case sub::return_query_data:
                ++event_counter_;
                return echo(q, q.size(), out);
            case sub::restart_communications:
                // Leaving listen-only mode is silent; otherwise the answer goes before the restart.
                if (listen_only_) {
                    listen_only_ = false;
                    clear_counters();
                    return 0;
                }
                clear_counters();
                event_counter_ = 0;
                echo(q, 5, out);
                return 5;
            case sub::return_diagnostic_register:
                return answer(diagnostic_register_);
            case sub::force_listen_only:
                listen_only_ = true;
                ++counters_.server_no_response;
                return 0;
            case sub::clear_counters:
                clear_counters();
                return answer(0);
            case sub::return_bus_message_count:
                return answer(counters_.bus_message);
            case sub::return_bus_communication_error_count:
                return answer(counters_.bus_communication_error);
            case sub::return_bus_exception_error_count:
                return answer(counters_.bus_exception_error);
            case sub::return_server_message_count:
                return answer(counters_.server_message);
            case sub::return_server_no_response_count:
                return answer(counters_.server_no_response);
            case sub::return_server_nak_count:
                return answer(counters_.server_nak);
            case sub::return_server_busy_count:
                return answer(counters_.server_busy);
            case sub::return_bus_character_overrun_count:
                return answer(counters_.bus_character_overrun);
            case sub::clear_overrun_counter:
                counters_.bus_character_overrun = 0;
                return answer(0);
        }
        return fail(q[0], exception_code::illegal_function, out);
    }

    M& model_;
    std::span<const std::uint8_t> server_id_;
    diagnostic_counters counters_{};
    std::uint16_t event_counter_ = 0;
    std::uint16_t diagnostic_register_ = 0;
    exception_code pending_exception_ = exception_code::server_device_failure;
    std::uint8_t exception_status_ = 0;
    bool listen_only_ = false;
    bool run_indicator_ = true;
};

}  // namespace gw
