#pragma once
// `gw_gateway --audit-log` and `--audit-verify`: read the audit store in <state-dir>/audit,
// read-only (the running gateway is its only writer), filter and print it, or check it.

#include <gw/audit/event_codec.hpp>
#include <gw/audit/event_format.hpp>
#include <gw/audit/store.hpp>

#include <charconv>
#include <cstdint>
#include <ctime>
#include <deque>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

namespace gw::examples {

struct audit_query {
    std::optional<std::string> since;     ///< RFC 3339 UTC time, or a sequence number
    std::optional<std::string> category;  ///< one category
    std::optional<std::string> severity;  ///< this severity and the more severe ones
    bool json = false;
};

/// "2026-12-02T09:30:01Z" or with a fraction of up to 6 digits, UTC only: microseconds since
/// the epoch, or nothing when the text is not such a time.
inline std::optional<std::int64_t> parse_rfc3339_utc(std::string_view s) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    const auto num = [&](std::size_t at, std::size_t n, int& out) {
        if (at + n > s.size()) return false;
        const auto [p, ec] = std::from_chars(s.data() + at, s.data() + at + n, out);
        return ec == std::errc{} && p == s.data() + at + n;
    };
    if (s.size() < 20 || !num(0, 4, y) || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' ||
        !num(8, 2, d) || (s[10] != 'T' && s[10] != 't') || !num(11, 2, h) || s[13] != ':' ||
        !num(14, 2, mi) || s[16] != ':' || !num(17, 2, sec))
        return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    std::size_t at = 19;
    std::int64_t micros = 0;
    if (s[at] == '.') {
        ++at;
        std::size_t digits = 0;
        while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
            if (digits < 6) micros = micros * 10 + (s[at] - '0');
            ++digits;
            ++at;
        }
        if (digits == 0) return std::nullopt;
        for (; digits < 6; ++digits)
            micros *= 10;
    }
    if (at + 1 != s.size() || (s[at] != 'Z' && s[at] != 'z')) return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    const std::time_t t = timegm(&tm);
    return static_cast<std::int64_t>(t) * 1'000'000 + micros;
}

/// Prints the records the query selects, oldest first. Exit code: 0, 1 when the store cannot be
/// read or holds damage (what was printed before it stands), 2 for a bad query.
inline int print_audit_log(const std::string& state_dir, const audit_query& q) {
    std::uint64_t since_seq = 0;
    std::optional<std::int64_t> since_us;
    if (q.since) {
        std::uint64_t n = 0;
        const auto& s = *q.since;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec == std::errc{} && p == s.data() + s.size()) {
            since_seq = n;
        } else if (auto t = parse_rfc3339_utc(s)) {
            since_us = t;
        } else {
            std::cerr << "gw_gateway: --since " << s
                      << ": not a sequence number or an RFC 3339 UTC time such as "
                         "2026-12-02T09:30:00Z\n";
            return 2;
        }
    }
    std::optional<policy::event_severity> worst_kept;
    if (q.severity) {
        for (int v = 1; v <= 4; ++v) {
            const auto sv = static_cast<policy::event_severity>(v);
            if (to_string(sv) == *q.severity) worst_kept = sv;
        }
    }
    const auto dir = std::filesystem::path{state_dir} / "audit";
    auto opened = audit::store::open_read_only(dir);
    if (!opened.ok()) {
        std::cerr << "gw_gateway: " << dir.string() << ": " << opened.error << "\n";
        return 1;
    }
    std::size_t undecodable = 0;
    const auto result = opened.audit_store->for_each(
        since_seq, [&](std::uint64_t seq, std::span<const std::byte> payload) {
            audit::recorded_event r;
            if (const auto st = audit::decode_event(payload, r);
                st != audit::event_decode_status::ok) {
                ++undecodable;
                std::cerr << "gw_gateway: record " << seq << ": " << to_string(st) << "\n";
                return;
            }
            if (since_us && r.utc_us < *since_us) return;
            if (q.category && to_string(r.event.category) != *q.category) return;
            if (worst_kept && r.event.severity > *worst_kept) return;
            std::cout << (q.json ? audit::format_json(seq, r) : audit::format_text(seq, r)) << "\n";
        });
    std::cout.flush();
    if (!result.ok()) {
        std::cerr << "gw_gateway: " << dir.string() << ": " << result.error
                  << " (gw_gateway --audit-verify says more)\n";
        return 1;
    }
    return undecodable == 0 ? 0 : 1;
}

/// The console's audit log view (GET /api/v1/audit): the newest `limit` records of the category
/// (empty: any) and of `severity` and above (empty: any), newest first, as a JSON array; or
/// nothing, and why in `error`. Reads the store read-only: the worker thread's, not the io's.
inline std::optional<std::string> audit_records_json(const std::string& state_dir,
                                                     const std::optional<std::string>& category,
                                                     const std::optional<std::string>& severity,
                                                     std::size_t limit, std::string& error) {
    std::optional<policy::event_severity> worst_kept;
    if (severity) {
        for (int v = 1; v <= 4; ++v) {
            const auto sv = static_cast<policy::event_severity>(v);
            if (to_string(sv) == *severity) worst_kept = sv;
        }
    }
    auto opened = audit::store::open_read_only(std::filesystem::path{state_dir} / "audit");
    if (!opened.ok()) {
        error = opened.error;
        return std::nullopt;
    }
    std::deque<std::string> newest;  // at most `limit`: the oldest give way
    const auto result =
        opened.audit_store->for_each(0, [&](std::uint64_t seq, std::span<const std::byte> payload) {
            audit::recorded_event r;
            if (audit::decode_event(payload, r) != audit::event_decode_status::ok) return;
            if (category && to_string(r.event.category) != *category) return;
            if (worst_kept && r.event.severity > *worst_kept) return;
            newest.push_back(audit::format_json(seq, r));
            if (newest.size() > limit) newest.pop_front();
        });
    if (!result.ok()) {
        error = result.error;
        return std::nullopt;
    }
    std::string out = "[";
    for (auto it = newest.rbegin(); it != newest.rend(); ++it) {
        if (out.size() > 1) out += ',';
        out += *it;
    }
    return out + "]";
}

/// Checks the whole store: sequence, checksums, the keyed hash chain. 0: intact.
inline int verify_audit_log(const std::string& state_dir) {
    const auto dir = std::filesystem::path{state_dir} / "audit";
    auto opened = audit::store::open_read_only(dir);
    if (!opened.ok()) {
        std::cerr << "gw_gateway: " << dir.string() << ": " << opened.error << "\n";
        return 1;
    }
    const auto report = opened.audit_store->verify();
    if (report.ok()) {
        std::cout << dir.string() << ": OK, " << report.records_checked
                  << " records verified (sequence, checksums, hash chain)\n";
        return 0;
    }
    std::cout << dir.string() << ": NOT INTACT: " << to_string(report.reason);
    if (report.first_bad_sequence) std::cout << " at record " << *report.first_bad_sequence;
    std::cout << " (" << report.detail << "); " << report.records_checked
              << " records verified before it\n";
    return 1;
}

}  // namespace gw::examples
