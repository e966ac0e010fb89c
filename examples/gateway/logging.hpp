#pragma once
// Log lines for a foreground service. Under systemd (JOURNAL_STREAM set) each line carries a
// "<N>" priority prefix that journald turns into the entry's priority; on a terminal it gets a
// UTC timestamp (when the line was logged, not when it was written) and the severity word.
// The writing happens on gw::gateway::log_sink's worker thread, never on the io thread.

#include <gw/gateway/log_sink.hpp>
#include <gw/policy/audit_event.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>

namespace gw::examples {

class stderr_log {
public:
    stderr_log() : journald_{std::getenv("JOURNAL_STREAM") != nullptr} {}

    void operator()(const gateway::log_record& record) const {
        const auto& text = record.text;
        // syslog priorities: error 3, warning 4, notice 5, info 6.
        const int priority = static_cast<int>(record.severity) + 2;
        // Each line leaves in one fwrite: stderr is unbuffered, so a line written in pieces
        // could be read (by journald, a pipe, a tail) half-finished.
        std::string line;
        line.reserve(text.size() + 48);
        if (journald_) {
            line += '<';
            line += static_cast<char>('0' + priority);
            line += '>';
            line += text;
            line += '\n';
            std::fwrite(line.data(), 1, line.size(), stderr);
            return;
        }
        const std::time_t t = std::chrono::system_clock::to_time_t(record.time);
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(record.time.time_since_epoch())
                .count() %
            1000;
        std::tm utc{};
        gmtime_r(&t, &utc);
        char stamp[32];
        std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
        char millis[8];
        std::snprintf(millis, sizeof millis, ".%03dZ ", static_cast<int>(ms));
        line += stamp;
        line += millis;
        line += to_string(record.severity);
        line += ": ";
        line += text;
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stderr);
    }

private:
    bool journald_;
};

}  // namespace gw::examples
