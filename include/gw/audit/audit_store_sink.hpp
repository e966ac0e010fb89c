#pragma once
// The audit trail's record_sink over gw::audit::store: durable appends for what the trail marks
// durable, batched for the rest.

#include <gw/audit/audit_trail.hpp>
#include <gw/audit/store.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

namespace gw::audit {

class audit_store_sink final : public record_sink {
public:
    explicit audit_store_sink(store& s) noexcept : store_{s} {}

    append_outcome append(std::span<const std::byte> payload, bool durable) override {
        auto r = store_.append(payload, durable ? durability::durable : durability::batched);
        append_outcome out;
        out.seq = r.sequence;
        out.crossed_warning = r.crossed_warn;
        switch (r.status) {
            case append_status::ok:
                out.result = append_outcome::status::ok;
                // Written, but the periodic sync failed: not durable yet, and a failure to say.
                if (!r.sync_error.empty()) {
                    pending_sync_error_ = std::move(r.sync_error);
                }
                break;
            case append_status::full:
                out.result = append_outcome::status::full;
                break;
            case append_status::too_large:  // the trail's payloads are bounded below the limit
            case append_status::io_error:
                out.result = append_outcome::status::io_error;
                out.error = std::move(r.error);
                break;
        }
        return out;
    }

    std::string sync() override {
        auto r = store_.sync();
        if (!r.ok()) return std::move(r.error);
        return std::exchange(pending_sync_error_, {});
    }

    std::pair<std::uint64_t, std::uint64_t> fill() const override {
        const auto f = store_.fill();
        return {f.records, f.capacity};
    }

private:
    store& store_;
    std::string pending_sync_error_;
};

}  // namespace gw::audit
