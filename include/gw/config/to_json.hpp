#pragma once
// Writes a configuration back as JSON that parse_config() reads into an equal gateway_config:
// every key is written, defaults included, so a saved file documents what the gateway runs with.
// Needs no JSON library.

#include <gw/config/gateway_config.hpp>
#include <gw/config/ip_network.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gw::config {

namespace detail {

/// An indenting writer: objects one member per line, arrays of scalars on one line.
class json_writer {
public:
    std::string out;

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }

    void key(std::string_view k) {
        separate();
        string(k);
        out += ": ";
        after_key_ = true;
    }
    void value(std::string_view s) {
        separate();
        string(s);
    }
    void value(const char* s) { value(std::string_view{s}); }
    void value(bool b) {
        separate();
        out += b ? "true" : "false";
    }
    void value(std::int64_t n) {
        separate();
        out += std::to_string(n);
    }
    template <class Enum>
    requires requires { enum_names<Enum>::values; }
    void value(Enum e) { value(to_string(e)); }

    /// Arrays of scalars stay on one line: "reopen_backoff_ms": [100, 5000].
    void inline_array(const std::vector<std::string>& items, bool quote) {
        separate();
        out += '[';
        for (std::size_t i = 0; i < items.size(); ++i) {
            out += i == 0 ? "" : ", ";
            if (quote) {
                string(items[i]);
            } else {
                out += items[i];
            }
        }
        out += ']';
    }

private:
    void open(char c) {
        separate();
        out += c;
        ++depth_;
        first_ = true;
    }
    void close(char c) {
        --depth_;
        if (!first_) {
            newline();
        }
        out += c;
        first_ = false;
    }
    void separate() {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        if (depth_ == 0) {
            return;
        }
        if (!first_) {
            out += ',';
        }
        newline();
        first_ = false;
    }
    void newline() {
        out += '\n';
        out.append(2 * depth_, ' ');
    }
    void string(std::string_view s) {
        out += '"';
        for (const char c : s) {
            const auto u = static_cast<unsigned char>(c);
            switch (c) {
                case '"':
                    out += "\\\"";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                default:
                    if (u < 0x20) {
                        char buf[8]{};
                        std::snprintf(buf, sizeof buf, "\\u%04x", unsigned{u});
                        out += buf;
                    } else {
                        out += c;
                    }
            }
        }
        out += '"';
    }

    std::size_t depth_ = 0;
    bool first_ = true;
    bool after_key_ = false;
};

inline std::string units_text(const unit_range& r) {
    return r.first == r.last ? std::to_string(r.first)
                             : std::to_string(r.first) + "-" + std::to_string(r.last);
}

inline void write_units(json_writer& w, const unit_range& r) {
    w.key("units");
    if (r.first == r.last) {
        w.value(std::int64_t{r.first});
    } else {
        w.value(units_text(r));
    }
}

inline void write_backoff(json_writer& w, const backoff_config& b) {
    w.key("reopen_backoff_ms");
    w.inline_array({std::to_string(b.initial.count()), std::to_string(b.max.count())}, false);
}

inline void write_serial_line(json_writer& w, const serial_line_config& s, bool with_mode) {
    w.key("device");
    w.value(s.device);
    w.key("baud");
    w.value(std::int64_t{s.baud});
    w.key("data_bits");
    w.value(std::int64_t{s.data_bits});
    w.key("parity");
    w.value(s.parity);
    w.key("stop_bits");
    w.value(std::int64_t{s.stop_bits});
    if (with_mode) {
        w.key("mode");
        w.value(s.mode);
    }
    if (s.mode == serial_mode::rtu) {
        w.key("framing");  // refused with ASCII, where it has no meaning
        w.value(s.framing);
    }
    w.key("rs485");
    w.begin_object();
    w.key("enabled");
    w.value(s.rs485.enabled);
    w.key("rts_on_send");
    w.value(s.rs485.rts_on_send);
    w.key("rts_after_send");
    w.value(s.rs485.rts_after_send);
    w.key("delay_before_send_ms");
    w.value(std::int64_t{s.rs485.delay_before_send.count()});
    w.key("delay_after_send_ms");
    w.value(std::int64_t{s.rs485.delay_after_send.count()});
    w.end_object();
    w.key("low_latency");
    w.value(s.low_latency);
    write_backoff(w, s.reopen_backoff);
}

inline void write_channel(json_writer& w, const channel_config& c) {
    w.begin_object();
    w.key("name");
    w.value(c.name);
    w.key("type");
    w.value(c.type());
    if (const auto* s = std::get_if<serial_line_config>(&c.link)) {
        write_serial_line(w, *s, true);
    } else if (const auto* t = std::get_if<tcp_device_config>(&c.link)) {
        w.key("host");
        w.value(t->host);
        w.key("port");
        w.value(std::int64_t{t->port});
        w.key("protocol");
        w.value(t->protocol);
        write_backoff(w, t->reconnect_backoff);
        w.key("connect_timeout_ms");
        w.value(std::int64_t{t->connect_timeout.count()});
    } else if (const auto* sim = std::get_if<simulator_config>(&c.link)) {
        write_units(w, sim->units);
    }
    w.key("response_timeout_ms");
    w.value(std::int64_t{c.response_timeout.count()});
    w.key("retries");
    w.value(std::int64_t{c.retries});
    w.key("inter_frame_delay_ms");
    w.value(std::int64_t{c.inter_frame_delay.count()});
    w.key("broadcast_turnaround_ms");
    w.value(std::int64_t{c.broadcast_turnaround.count()});
    w.key("coalesce_reads");
    w.value(c.coalesce_reads);
    w.key("queue_per_master");
    w.value(std::int64_t{c.queue_per_master});
    w.end_object();
}

inline void write_listener(json_writer& w, const listener_config& l) {
    w.begin_object();
    w.key("name");
    w.value(l.name);
    w.key("protocol");
    w.value(l.protocol);
    w.key("priority");
    w.value(l.priority);
    if (const auto* t = std::get_if<tcp_listener_config>(&l.endpoint)) {
        w.key("address");
        w.value(t->address);
        w.key("port");
        w.value(std::int64_t{t->port});
        w.key("max_connections");
        w.value(std::int64_t{t->max_connections});
        w.key("max_connections_per_source");
        w.value(std::int64_t{t->max_connections_per_source});
        w.key("idle_timeout_s");
        w.value(std::int64_t{t->idle_timeout.count()});
        w.key("write_timeout_s");
        w.value(std::int64_t{t->write_timeout.count()});
        std::vector<std::string> entries;
        for (const ip_network& n : t->allowlist) {
            entries.emplace_back(format_ip_network(n).view());
        }
        w.key("allowlist");
        w.inline_array(entries, true);
    } else if (const auto* s = std::get_if<serial_line_config>(&l.endpoint)) {
        write_serial_line(w, *s, false);
    }
    w.end_object();
}

}  // namespace detail

/// The configuration as JSON text (2-space indentation, every key present). Throws only
/// std::bad_alloc.
inline std::string to_json(const gateway_config& c) {
    detail::json_writer w;
    w.begin_object();
    w.key("channels");
    w.begin_array();
    for (const channel_config& ch : c.channels) {
        detail::write_channel(w, ch);
    }
    w.end_array();
    w.key("listeners");
    w.begin_array();
    for (const listener_config& l : c.listeners) {
        detail::write_listener(w, l);
    }
    w.end_array();
    w.key("routes");
    w.begin_array();
    for (const route_config& r : c.routes) {
        w.begin_object();
        detail::write_units(w, r.units);
        w.key("channel");
        w.value(r.channel);
        if (r.map_to) {
            w.key("map_to");
            w.value(std::int64_t{*r.map_to});
        }
        w.end_object();
    }
    w.end_array();
    w.key("limits");
    w.begin_object();
    w.key("max_connections");
    w.value(std::int64_t{c.limits.max_connections});
    w.end_object();
    w.key("log");
    w.begin_object();
    w.key("level");
    w.value(c.log.level);
    w.key("event_log_capacity");
    w.value(std::int64_t{c.log.event_log_capacity});
    w.end_object();
    w.end_object();
    w.out += '\n';
    return std::move(w.out);
}

}  // namespace gw::config
