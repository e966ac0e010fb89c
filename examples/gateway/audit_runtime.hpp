#pragma once
// The gateway program's audit trail: the persistent store in <state-dir>/audit, the syslog
// client on its own io_context and thread, and the trail's worker between them. Built from the
// configuration's "audit" object; every setting that cannot be applied is a start error naming
// its key (never a weaker trail).
//
//   gateway (io thread) --push--> audit_trail worker --append--> store
//                                                    \--post---> syslog client (audit thread)

#include <gw/audit/audit_store_sink.hpp>
#include <gw/audit/audit_trail.hpp>
#include <gw/audit/store.hpp>
#include <gw/audit/syslog_client.hpp>
#include <gw/audit/syslog_event.hpp>
#include <gw/config/gateway_config.hpp>
#include <gw/gateway/gateway_status.hpp>
#include <gw/gateway/log_sink.hpp>
#include <gw/transport/asio.hpp>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace gw::examples {

/// The audit store's options as the configuration says.
inline audit::store_options store_options_of(const config::audit_config& c,
                                             const std::string& state_dir) {
    audit::store_options o;
    o.directory = std::filesystem::path{state_dir} / "audit";
    o.capacity = c.capacity;
    o.when_full = c.when_full == config::audit_when_full::stop ? audit::full_policy::stop
                                                               : audit::full_policy::overwrite;
    o.warn_percent = c.warn_percent;
    o.sync_every = c.batch_records;
    return o;
}

inline audit::syslog_severity syslog_level_of(config::log_level l) noexcept {
    switch (l) {
        case config::log_level::error:
            return audit::syslog_severity::error;
        case config::log_level::warning:
            return audit::syslog_severity::warning;
        case config::log_level::notice:
            return audit::syslog_severity::notice;
        case config::log_level::info:
            return audit::syslog_severity::informational;
        case config::log_level::debug:
            return audit::syslog_severity::debug;
    }
    return audit::syslog_severity::notice;
}

inline audit::trail_settings trail_settings_of(const config::audit_config& c) {
    audit::trail_settings s;
    const config::event_keep levels[] = {c.events.system,      c.events.network, c.events.security,
                                         c.events.maintenance, c.events.modbus,  c.events.serial};
    for (std::size_t i = 0; i < audit::category_count; ++i)
        s.filter.least_severe[i] = static_cast<audit::keep_level>(levels[i]);
    s.batch_records = c.batch_records;
    s.durable_security = c.durable_security;
    s.reconnaissance = {c.reconnaissance.threshold, c.reconnaissance.window};
    return s;
}

class audit_runtime {
public:
    using log_fn = std::function<void(policy::event_severity, std::string_view)>;

    audit_runtime() = default;
    audit_runtime(const audit_runtime&) = delete;
    audit_runtime& operator=(const audit_runtime&) = delete;
    ~audit_runtime() { stop(); }

    /// Opens the store (recovering it) and starts the syslog client and the worker. Returns
    /// the error (naming the key) when something cannot be applied.
    std::string start(const config::audit_config& c, const std::string& state_dir, log_fn log) {
        log_ = std::move(log);
        if (const auto why = trail_settings_of(c).filter.refusal(); !why.empty())
            return "audit.events.security: " + std::string{why};
        if (auto error = lock_state(state_dir); !error.empty()) return error;
        auto opened = audit::store::open(store_options_of(c, state_dir));
        if (!opened.ok()) return "audit: the store in " + state_dir + "/audit: " + opened.error;
        store_.emplace(std::move(*opened.audit_store));
        sink_ = std::make_unique<audit::audit_store_sink>(*store_);

        std::vector<audit::syslog_server_settings> servers;
        for (const auto& s : c.syslog) {
            audit::syslog_server_settings x;
            x.transport =
                s.transport == config::syslog_transport::tls   ? audit::syslog_transport::tls
                : s.transport == config::syslog_transport::tcp ? audit::syslog_transport::tcp
                                                               : audit::syslog_transport::udp;
            x.host = s.host;
            x.port = s.port;
            x.minimum_severity = syslog_level_of(s.level);
            x.tls.ca_file = s.tls.ca;
            x.tls.certificate_chain_file = s.tls.certificate;
            x.tls.private_key_file = s.tls.private_key;
            x.server_name = s.tls.server_name;
            servers.push_back(std::move(x));
            names_.push_back(
                std::string{to_string(s.transport)} + "://" + s.host + ":" +
                std::to_string(s.port != 0 ? s.port : audit::default_port(x.transport)));
        }
        identity_.enterprise = c.enterprise_number;
        char host[256] = {};
        if (::gethostname(host, sizeof host - 1) == 0) identity_.hostname = host;
        identity_.procid = std::to_string(::getpid());
        if (!servers.empty()) {
            syslog_.emplace(audit_io_.get_executor(), std::move(servers),
                            [this](std::size_t i, std::string why) {
                                if (trail_)
                                    trail_->raise(policy::event_kind::syslog_failed,
                                                  policy::event_severity::warning,
                                                  "syslog server " + std::to_string(i) + " (" +
                                                      names_.at(i) + "): " + why);
                            });
            if (auto error = syslog_->start(); !error.empty()) return "audit.syslog: " + error;
            work_.emplace(net::make_work_guard(audit_io_));
            thread_ = std::thread{[this] {
                audit_io_.run();
                tls::release_thread_caches();  // its TLS handshakes filled it
            }};
        }
        trail_.emplace(
            *sink_, trail_settings_of(c),
            [this](std::uint64_t seq, const audit::recorded_event& r) {
                if (syslog_) syslog_->post(audit::to_syslog_message(seq, r, identity_));
            },
            [this](policy::event_severity s, std::string_view line) {
                if (log_) log_(s, line);
            });
        report_recovery(opened.recovery, state_dir);
        return {};
    }

    void push(const policy::audit_event& e, std::string_view source) {
        if (trail_) trail_->push(e, source);
    }

    /// Everything queued stored, then syslog given up to `grace` to send what it holds.
    void stop(std::chrono::milliseconds grace = std::chrono::seconds{2}) {
        if (std::exchange(stopped_, true)) return;
        if (trail_) trail_->stop();
        if (syslog_) {
            auto sent = std::make_shared<std::promise<void>>();
            auto done = sent->get_future();
            syslog_->async_flush([sent] { sent->set_value(); });
            if (done.wait_for(grace) != std::future_status::ready && log_)
                log_(policy::event_severity::warning,
                     "audit: syslog servers still had unsent events at exit");
            syslog_->stop();
            work_.reset();
        }
        if (thread_.joinable()) thread_.join();
    }

    /// The trail's and the syslog servers' counters, for the status JSON.
    gateway::audit_trail_status status() const {
        gateway::audit_trail_status s;
        if (!trail_) return s;
        const auto t = trail_->status();
        s.enabled = true;
        s.recorded = t.recorded;
        s.filtered = t.filtered;
        s.dropped = t.dropped;
        s.not_stored = t.not_stored;
        s.storage_errors = t.storage_errors;
        s.storage_ok = t.storage_ok;
        s.last_seq = t.last_seq;
        s.held = t.held;
        s.capacity = t.capacity;
        s.last_error = t.last_error;
        if (syslog_) {
            const auto counters = syslog_->counters();
            for (std::size_t i = 0; i < counters.size(); ++i) {
                const auto& c = counters[i];
                s.syslog.push_back({i < names_.size() ? names_[i] : std::string{}, c.sent,
                                    c.dropped, c.reconnects, c.backlog, c.connected, c.last_error});
            }
        }
        return s;
    }

    /// Waits until every event pushed so far is stored (start-up, before "ready").
    void flush() {
        if (trail_) trail_->flush();
    }

private:
    /// One gateway per state directory: a second one would append to the same store and break
    /// its chain. An exclusive lock (released by the kernel when the process ends, kill -9
    /// included) on <state>/audit.lock decides.
    std::string lock_state(const std::string& state_dir) {
        std::error_code ec;
        std::filesystem::create_directories(state_dir, ec);
        if (ec)
            return "audit: cannot create the state directory " + state_dir + ": " + ec.message();
        const auto path = state_dir + "/audit.lock";
        lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock_fd_ < 0)
            return "audit: cannot open " + path + ": " +
                   std::error_code{errno, std::generic_category()}.message();
        if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
            return "audit: another gw_gateway uses the state directory " + state_dir +
                   " (its audit.lock is held); give this one its own --state-dir";
        return {};
    }

    /// What the store's recovery found, as events and log lines: tampering is a security
    /// error (the evidence files are kept aside), a torn last record a notice.
    void report_recovery(const audit::recovery_report& r, const std::string& state_dir) {
        if (r.tampering) {
            std::string where = r.tamper.detail;
            for (const auto& q : r.quarantined)
                where += "; kept as " + q.string();
            policy::audit_event e;
            e.kind = policy::event_kind::audit_tampering_detected;
            e.category = policy::event_category::security;
            e.severity = policy::event_severity::error;
            e.outcome = policy::event_outcome::failed;
            policy::set_detail(e.detail, std::string{to_string(r.tamper.reason)} + ": " + where);
            e.time = std::chrono::duration_cast<timestamp>(
                std::chrono::steady_clock::now().time_since_epoch());
            trail_->push(e, {});
            if (log_)
                log_(policy::event_severity::error,
                     "audit: the store in " + state_dir + "/audit does not verify (" +
                         std::string{to_string(r.tamper.reason)} + ": " + where +
                         "): recording goes on in a new segment");
        }
        if (r.dropped_bytes > 0) {
            const auto text = "recovered after an unclean stop: a torn last record (" +
                              std::to_string(r.dropped_bytes) + " bytes) cut off";
            trail_->raise(policy::event_kind::audit_storage_recovered,
                          policy::event_severity::notice, text, policy::event_outcome::success);
            if (log_) log_(policy::event_severity::notice, "audit: " + text);
        }
        if (log_)
            log_(policy::event_severity::notice,
                 "audit: " + std::to_string(r.records) + " records in " + state_dir +
                     "/audit, next sequence " + std::to_string(r.next_sequence) +
                     (r.key_created ? " (new chain key)" : ""));
    }

    log_fn log_;
    bool stopped_ = false;
    int lock_fd_ = -1;  // held until the process ends
    std::optional<audit::store> store_;
    std::unique_ptr<audit::audit_store_sink> sink_;
    net::io_context audit_io_;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
    std::optional<audit::syslog_client> syslog_;
    std::vector<std::string> names_;
    audit::syslog_identity identity_;
    std::optional<audit::audit_trail> trail_;  // after what it uses: destroyed first
    std::thread thread_;
};

}  // namespace gw::examples
