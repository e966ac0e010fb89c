#pragma once
// The console's live Modbus traffic monitor: every frame the channels write and read (the
// gateway's traffic tap, gw/gateway/traffic_tap.hpp) goes into a bounded ring, and from there
//   GET /api/v1/traffic?channel=&unit=&function=&after=SEQ&limit=N   the recent frames, JSON
//   GET /api/v1/traffic/stream?channel=&unit=&function=              server-sent events, live
//   GET /api/v1/traffic/pcap?channel=                                a pcapng capture
// all in the console's "monitor" section.
//
// Bounded everywhere: the ring holds `capacity` frames (the oldest give way), at most
// max_traffic_streams streams are open (a further one is 503), a stream whose client cannot
// keep up is cut off (https_server's max_stream_queue) and EventSource comes back with
// Last-Event-ID, from which the ring replays what it still holds. A stream ends when its
// session does (checked at each keep-alive comment, every traffic_keepalive).
//
// The capture is pcapng with one interface per channel, named after it, and a link type per
// framing: RTU frames LINKTYPE_USER0 (147), MBAP ADUs LINKTYPE_USER1 (148), ASCII lines
// LINKTYPE_USER2 (149). Wireshark's "DLT User" table maps them to its dissectors; the command is
// in docs/management.md.

#include <gw/gateway/traffic_tap.hpp>
#include <gw/mgmt/api_extension.hpp>
#include <gw/mgmt/request_parsing.hpp>
#include <gw/mgmt/traffic_frame.hpp>
#include <gw/router/channel_options.hpp>
#include <gw/transport/asio.hpp>

#include <boost/json.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gw::mgmt {

inline constexpr std::size_t default_traffic_capacity = 2048;
inline constexpr std::size_t max_traffic_streams = 4;
inline constexpr std::chrono::seconds traffic_keepalive{10};
/// Frames one GET answers at most.
inline constexpr std::size_t max_traffic_answer = 1000;

/// A channel as the monitor names and decodes it.
struct traffic_channel {
    std::string name;
    router::channel_framing framing = router::channel_framing::rtu;
};

class traffic_monitor {
public:
    /// Whether the session of a stream still lives (checked at each keep-alive).
    using session_check = std::function<bool()>;

    traffic_monitor(net::io_context& io, std::vector<traffic_channel> channels,
                    std::size_t capacity = default_traffic_capacity)
        : io_{io}, channels_{std::move(channels)}, ring_(capacity == 0 ? 1 : capacity) {}
    traffic_monitor(const traffic_monitor&) = delete;
    traffic_monitor& operator=(const traffic_monitor&) = delete;
    ~traffic_monitor() { stop(); }

    /// The gateway's tap (io thread): one copy into the ring, and to the streams that want it.
    void record(const gateway::traffic_frame& f) {
        if (f.channel >= channels_.size()) return;
        traffic_entry& e = ring_[next_seq_ % ring_.size()];
        e.seq = next_seq_++;
        e.unix_us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
        e.channel = static_cast<std::uint16_t>(f.channel);
        e.direction = f.direction;
        e.size = static_cast<std::uint16_t>(std::min(f.bytes.size(), e.bytes.size()));
        e.truncated = f.truncated || f.bytes.size() > e.bytes.size();
        std::copy_n(f.bytes.begin(), e.size, e.bytes.begin());
        if (streams_.empty()) return;
        const auto framing = channels_[e.channel].framing;
        std::optional<std::string> event;  // formatted once, for every stream that wants it
        std::erase_if(streams_, [&](const stream& s) {
            if (!s.out->open()) return true;
            if (!s.filter.matches(e, framing)) return false;
            if (!event) event = sse_event(e);
            return !s.out->send(*event);
        });
    }

    /// A reload may rename nothing (channels are kept by name), but their count and framing
    /// are the plan's.
    void set_channels(std::vector<traffic_channel> channels) { channels_ = std::move(channels); }

    std::uint64_t recorded() const noexcept { return next_seq_; }
    std::size_t streams() const noexcept { return streams_.size(); }

    /// The endpoints, all in the "monitor" section.
    std::vector<api_endpoint> endpoints() {
        return {{"traffic", api_section::monitor, [this](api_call c) { handle(std::move(c)); }}};
    }

    void stop() {
        for (auto& s : streams_)
            s.out->close();
        streams_.clear();
        if (timer_) timer_->cancel();
    }

    /// The JSON of one frame.
    boost::json::object to_json(const traffic_entry& e) const {
        boost::json::object o;
        o["seq"] = e.seq;
        o["time_us"] = e.unix_us;
        const auto& ch = channels_.at(e.channel);
        o["channel"] = ch.name;
        o["direction"] =
            e.direction == gateway::traffic_direction::to_device ? "to_device" : "from_device";
        if (const auto a = address_of(ch.framing, e.data())) {
            o["unit"] = a->unit;
            o["function"] = a->function & 0x7F;
            o["exception"] = (a->function & 0x80) != 0;
        }
        static constexpr char digits[] = "0123456789abcdef";
        std::string hex;
        hex.reserve(e.size * 2);
        for (const auto b : e.data()) {
            hex += digits[b >> 4];
            hex += digits[b & 0xF];
        }
        o["hex"] = std::move(hex);
        if (e.truncated) o["truncated"] = true;
        return o;
    }

private:
    struct stream {
        std::shared_ptr<event_stream> out;
        traffic_filter filter;
        session_check alive;
    };

    std::string sse_event(const traffic_entry& e) const {
        return "id: " + std::to_string(e.seq) + "\ndata: " + boost::json::serialize(to_json(e)) +
               "\n\n";
    }

    /// The query's filter, or why it is refused.
    std::optional<traffic_filter> filter_of(std::string_view target, std::string& why) const {
        traffic_filter f;
        if (const auto v = query_value(target, "channel"); v && !v->empty()) {
            for (std::size_t i = 0; i < channels_.size(); ++i)
                if (channels_[i].name == *v) f.channel = static_cast<std::uint16_t>(i);
            if (!f.channel) {
                why = "no channel of that name";
                return std::nullopt;
            }
        }
        const auto byte = [&](std::string_view key, std::uint32_t lo, std::uint32_t hi,
                              std::optional<std::uint8_t>& out) {
            const auto v = query_value(target, key);
            if (!v || v->empty()) return true;
            std::uint32_t n = 0;
            const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
            if (ec != std::errc{} || p != v->data() + v->size() || n < lo || n > hi) {
                why = std::string{key} + " is " + std::to_string(lo) + ".." + std::to_string(hi);
                return false;
            }
            out = static_cast<std::uint8_t>(n);
            return true;
        };
        if (!byte("unit", 0, 255, f.unit) || !byte("function", 1, 127, f.function))
            return std::nullopt;
        return f;
    }

    static std::optional<std::uint64_t> number(std::optional<std::string_view> v) {
        if (!v || v->empty()) return std::nullopt;
        std::uint64_t n = 0;
        const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
        if (ec != std::errc{} || p != v->data() + v->size()) return std::nullopt;
        return n;
    }

    /// The frames the ring still holds, oldest first, after `after` (exclusive).
    template <class F>
    void each_held(std::optional<std::uint64_t> after, F&& f) const {
        const std::uint64_t oldest = next_seq_ > ring_.size() ? next_seq_ - ring_.size() : 0;
        std::uint64_t from = after ? *after + 1 : oldest;
        if (from < oldest) from = oldest;
        for (std::uint64_t s = from; s < next_seq_; ++s)
            if (!f(ring_[s % ring_.size()])) return;
    }

    void handle(api_call c) {
        if (c.request.method() != http::verb::get)
            return c.fail(http::status::method_not_allowed, "GET only");
        const std::string_view target = c.request.target();
        std::string why;
        const auto filter = filter_of(target, why);
        if (!filter) return c.fail(http::status::bad_request, why);
        if (c.path == "traffic") return list(c, *filter, target);
        if (c.path == "traffic/stream") return open_stream(std::move(c), *filter);
        if (c.path == "traffic/pcap") return pcap(c, *filter);
        c.fail(http::status::not_found, "not found");
    }

    void list(api_call& c, const traffic_filter& f, std::string_view target) {
        std::size_t limit = 200;
        if (const auto v = query_value(target, "limit"); v && !v->empty()) {
            const auto n = number(v);
            if (!n || *n == 0 || *n > max_traffic_answer)
                return c.fail(http::status::bad_request,
                              "limit is 1.." + std::to_string(max_traffic_answer));
            limit = static_cast<std::size_t>(*n);
        }
        const auto after = number(query_value(target, "after"));
        // The newest `limit` matching frames, oldest first.
        std::vector<const traffic_entry*> hits;
        each_held(after, [&](const traffic_entry& e) {
            if (f.matches(e, channels_[e.channel].framing)) hits.push_back(&e);
            return true;
        });
        const std::size_t skip = hits.size() > limit ? hits.size() - limit : 0;
        boost::json::object o;
        auto& frames = o["frames"].emplace_array();
        for (std::size_t i = skip; i < hits.size(); ++i)
            frames.emplace_back(to_json(*hits[i]));
        o["next"] = next_seq_;
        o["capacity"] = ring_.size();
        c.reply(http::status::ok, o);
    }

    void pcap(api_call& c, const traffic_filter& f) {
        pcapng_writer w;
        for (const auto& ch : channels_)
            w.interface(ch.name, ch.framing);
        each_held(std::nullopt, [&](const traffic_entry& e) {
            if (f.matches(e, channels_[e.channel].framing)) w.packet(e.channel, e);
            return true;
        });
        auto r = c.answer(http::status::ok, w.take(), "application/vnd.tcpdump.pcap");
        r.set(http::field::content_disposition, "attachment; filename=\"gw-traffic.pcapng\"");
        c.respond(std::move(r));
    }

    void open_stream(api_call c, const traffic_filter& f) {
        std::erase_if(streams_, [](const stream& s) { return !s.out->open(); });
        if (streams_.size() >= max_traffic_streams)
            return c.fail(http::status::service_unavailable,
                          "the traffic monitor has " + std::to_string(max_traffic_streams) +
                              " viewers already");
        if (!c.context.open_stream)
            return c.fail(http::status::not_implemented, "this server cannot stream");
        http::response_header<> head;
        head.result(http::status::ok);
        head.set(http::field::content_type, "text/event-stream");
        head.set(http::field::cache_control, "no-store");
        stream s{c.context.open_stream(std::move(head)), f, c.session_alive};
        // A reconnecting EventSource says where it was: what the ring still holds after that.
        const auto it = c.request.find("Last-Event-ID");
        if (it != c.request.end()) {
            if (const auto last = number(std::string_view{it->value()})) {
                const auto framing = [&](const traffic_entry& e) {
                    return channels_[e.channel].framing;
                };
                each_held(*last, [&](const traffic_entry& e) {
                    return !f.matches(e, framing(e)) || s.out->send(sse_event(e));
                });
            }
        }
        s.out->send("retry: 2000\n: gw traffic monitor\n\n");
        streams_.push_back(std::move(s));
        keepalive();
    }

    /// Every traffic_keepalive while streams are open: a comment to each (a dead client shows
    /// itself by a failed write), and streams whose session ended are closed.
    void keepalive() {
        if (timer_armed_) return;
        if (!timer_) timer_ = std::make_unique<net::steady_timer>(io_);
        timer_armed_ = true;
        timer_->expires_after(traffic_keepalive);
        timer_->async_wait([this](const transport::error_code& ec) {
            timer_armed_ = false;
            if (ec) return;
            std::erase_if(streams_, [](stream& s) {
                if (s.alive && !s.alive()) {
                    s.out->close();
                    return true;
                }
                return !s.out->send(": keep-alive\n\n");
            });
            if (!streams_.empty()) keepalive();
        });
    }

    net::io_context& io_;
    std::vector<traffic_channel> channels_;
    std::vector<traffic_entry> ring_;
    std::uint64_t next_seq_ = 0;
    std::vector<stream> streams_;
    std::unique_ptr<net::steady_timer> timer_;
    bool timer_armed_ = false;
};

}  // namespace gw::mgmt
