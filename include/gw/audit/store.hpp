#pragma once
// gw::audit::store: the persistent, tamper-evident audit trail. A bounded ring of opaque records
// (the event encoding is the caller's) in one directory, normally `<state dir>/audit/`.
//
// On disk (docs/audit.md, "The store"): the directory (mode 0700) holds audit.key (chain.hpp)
// and at most two segment files `segment-<first sequence, 20 digits>.gwa` (mode 0600). A segment
// is a signed header (first sequence, the MAC the chain continues from, an HMAC of both)
// followed by records (record.hpp), appended and never rewritten. The newer segment takes
// appends; when it holds capacity/2 records a new one is started; when that would make three,
// the oldest is deleted (full_policy::overwrite) or the append is refused (full_policy::stop).
//
// Recovery (open): a torn tail of the newest segment (an incomplete record, or a damaged last
// record with nothing valid after it: a write cut by kill -9 or power loss) is cut off and
// reported. Anything else that does not verify (a gap in the sequence numbers, a MAC that does
// not follow, damage in the middle, a forged header, a wrong key) is tampering: reported, never
// repaired. The evidence is kept: the segment files are renamed to `<name>.tampered-<n>`
// untouched, and the store continues in a new segment whose sequence numbers go on from the
// highest seen (so nobody can silence the audit trail by editing one byte).
//
// Not thread-safe: one worker thread owns a store (blocking disk I/O; never the io thread). No
// exception escapes: every failure is a status with errno text (ENOSPC, EROFS, EIO, EFBIG...),
// and the store stays usable after it (the failed append leaves no trace in the file).

#include <gw/audit/chain.hpp>
#include <gw/audit/record.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace gw::audit {

enum class full_policy : std::uint8_t {
    overwrite,  ///< drop the oldest half of the ring to make room
    stop,       ///< refuse appends (append_status::full) until the operator clears the store
};

enum class durability : std::uint8_t {
    durable,  ///< fdatasync before append returns: for security events, before they are answered
    batched,  ///< written now, made durable by sync() or every store_options::sync_every appends
};

struct store_options {
    std::filesystem::path directory;  ///< created with mode 0700 if missing
    std::size_t capacity = 10'000;    ///< records held at most (rounded down to even)
    full_policy when_full = full_policy::overwrite;
    unsigned warn_percent = 80;   ///< 1..100: append reports crossing this fill
    std::size_t sync_every = 64;  ///< batched appends between two fdatasyncs
};

enum class append_status : std::uint8_t { ok, full, too_large, io_error };

constexpr std::string_view to_string(append_status s) noexcept {
    switch (s) {
        case append_status::ok:
            return "ok";
        case append_status::full:
            return "full";
        case append_status::too_large:
            return "too large";
        case append_status::io_error:
            return "io error";
    }
    return "unknown";
}

struct append_result {
    append_status status = append_status::io_error;
    std::uint64_t sequence = 0;  ///< the record's sequence number when ok, else 0
    bool crossed_warn = false;   ///< this append took the fill to warn_percent (once per crossing)
    std::string error;           ///< what failed, when not ok
    /// A batched append that triggered the periodic fdatasync, which failed: the record is
    /// written (status ok) but not yet durable; the next sync() tries again.
    std::string sync_error;
    bool ok() const noexcept { return status == append_status::ok; }
};

enum class verify_reason : std::uint8_t {
    none,            ///< everything verified
    gap,             ///< a sequence number is missing or out of order (a record deleted)
    mac_mismatch,    ///< a record's MAC does not follow the chain (edited, or another key)
    crc,             ///< a damaged record in the middle of a segment
    segment_header,  ///< a segment header is damaged or not signed with this key
    io_error,        ///< a file could not be read
};

constexpr std::string_view to_string(verify_reason r) noexcept {
    switch (r) {
        case verify_reason::none:
            return "none";
        case verify_reason::gap:
            return "gap";
        case verify_reason::mac_mismatch:
            return "mac mismatch";
        case verify_reason::crc:
            return "crc";
        case verify_reason::segment_header:
            return "segment header";
        case verify_reason::io_error:
            return "io error";
    }
    return "unknown";
}

struct verify_report {
    std::size_t records_checked = 0;                  ///< records that verified before any problem
    std::optional<std::uint64_t> first_bad_sequence;  ///< the sequence number where it broke
    verify_reason reason = verify_reason::none;
    std::string detail;  ///< file, offset and what was found
    bool ok() const noexcept { return reason == verify_reason::none; }
};

/// What open() found and did.
struct recovery_report {
    std::size_t records = 0;  ///< records held after recovery
    std::uint64_t next_sequence = 1;
    std::size_t dropped_bytes = 0;    ///< torn tail cut off (an incomplete or damaged last write)
    std::size_t dropped_records = 0;  ///< records the torn tail held (at most one started record)
    bool tampering = false;           ///< the files did not verify: see `tamper`, `quarantined`
    verify_report tamper;
    std::vector<std::filesystem::path> quarantined;  ///< segment files renamed aside as evidence
    bool key_created = false;  ///< a new key: a new install (or the key file was missing)
};

struct fill_level {
    std::size_t records = 0;
    std::size_t capacity = 0;
};

struct io_result {
    std::string error;  ///< empty on success
    bool ok() const noexcept { return error.empty(); }
};

struct read_result {
    std::size_t records = 0;  ///< records passed to the callback
    std::string error;        ///< a file unreadable, or damage found while reading
    bool ok() const noexcept { return error.empty(); }
};

class store;
struct open_result;

namespace detail {

inline constexpr std::array<std::byte, 4> segment_magic{std::byte{'G'}, std::byte{'W'},
                                                        std::byte{'S'}, std::byte{'1'}};
// magic (4), first sequence (8, big-endian), anchor MAC (32), HMAC of the previous 44 bytes (32)
inline constexpr std::size_t segment_header_size = 4 + 8 + mac_size + mac_size;

struct segment_scan {
    bool header_torn = false;  ///< shorter than a header: a crash while the file was created
    std::uint64_t first_sequence = 0;
    chain_mac anchor{};
    std::size_t records = 0;
    std::uint64_t next_sequence = 0;
    chain_mac last_mac{};
    std::size_t valid_end = 0;   ///< offset after the last record that verified
    std::size_t tail_bytes = 0;  ///< after valid_end, judged a torn write
    verify_reason problem = verify_reason::none;
    std::optional<std::uint64_t> bad_sequence;
    std::string detail;
};

inline bool make_segment_header(const chain_key& key, std::uint64_t first, const chain_mac& anchor,
                                std::array<std::byte, segment_header_size>& out) noexcept {
    std::copy(segment_magic.begin(), segment_magic.end(), out.begin());
    put_be(out, 4, 8, first);
    std::copy(anchor.begin(), anchor.end(), out.begin() + 12);
    chain_mac mac{};
    if (!hmac_sha256(key, {std::span<const std::byte>{out}.first(12 + mac_size)}, mac)) {
        return false;
    }
    std::copy(mac.begin(), mac.end(), out.begin() + 12 + mac_size);
    return true;
}

// Reads a segment and checks its header and chain. `torn_tail_allowed`: the newest segment at
// open, whose last write may have been cut; everywhere else a damaged tail is damage.
template <class OnRecord>
segment_scan scan_segment(std::span<const std::byte> file, const std::string& name,
                          const chain_key& key, bool torn_tail_allowed, OnRecord&& on_record) {
    segment_scan s;
    const auto fail = [&](verify_reason reason, std::optional<std::uint64_t> seq,
                          std::string detail) {
        s.problem = reason;
        s.bad_sequence = seq;
        s.detail = name + ": " + std::move(detail);
    };
    if (file.size() < segment_header_size) {
        s.header_torn = true;
        return s;
    }
    std::array<std::byte, segment_header_size> expected{};
    s.first_sequence = get_be(file, 4, 8);
    std::copy_n(file.begin() + 12, mac_size, s.anchor.begin());
    if (!std::equal(segment_magic.begin(), segment_magic.end(), file.begin()) ||
        !make_segment_header(key, s.first_sequence, s.anchor, expected) ||
        !std::equal(expected.begin(), expected.end(), file.begin())) {
        fail(verify_reason::segment_header, std::nullopt,
             "segment header damaged or not signed with this store's key");
        return s;
    }
    s.next_sequence = s.first_sequence;
    s.last_mac = s.anchor;
    std::size_t at = segment_header_size;
    while (at < file.size()) {
        const auto d = decode_record(file.subspan(at));
        if (d.status == record_status::ok) {
            if (d.record.sequence != s.next_sequence) {
                fail(verify_reason::gap, s.next_sequence,
                     "offset " + std::to_string(at) + ": sequence " +
                         std::to_string(d.record.sequence) + " where " +
                         std::to_string(s.next_sequence) + " was due");
                break;
            }
            chain_mac mac{};
            if (!next_mac(key, s.last_mac, d.record.sequence, d.record.payload, mac) ||
                !std::equal(mac.begin(), mac.end(), d.record.mac.begin())) {
                fail(verify_reason::mac_mismatch, d.record.sequence,
                     "offset " + std::to_string(at) + ": sequence " +
                         std::to_string(d.record.sequence) +
                         ": MAC does not follow the chain (edited, inserted or another key)");
                break;
            }
            on_record(d.record.sequence, d.record.payload);
            s.last_mac = mac;
            ++s.records;
            ++s.next_sequence;
            at += d.consumed;
            continue;
        }
        // Damage. At the very end of the newest segment it is a cut write; followed by anything
        // that still decodes it is damage in the middle, which no crash produces.
        bool later_record = false;
        if (d.status != record_status::need_more) {
            for (std::size_t q = at + 1; q + record_overhead <= file.size() && !later_record; ++q) {
                later_record = decode_record(file.subspan(q)).status == record_status::ok;
            }
        }
        if (torn_tail_allowed && !later_record) {
            s.tail_bytes = file.size() - at;
        } else {
            fail(verify_reason::crc, s.next_sequence,
                 "offset " + std::to_string(at) + ": " + std::string{to_string(d.status)} +
                     (later_record ? ", records follow" : " at the end"));
        }
        break;
    }
    s.valid_end = at;
    return s;
}

struct file_bytes {
    std::vector<std::byte> bytes;
    std::string error;
};

inline file_bytes read_whole_file(const std::filesystem::path& path, std::size_t limit) {
    file_bytes r;
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        r.error = errno_text(path.string(), "open", errno);
        return r;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        r.error = errno_text(path.string(), "fstat", errno);
        ::close(fd);
        return r;
    }
    std::size_t size = static_cast<std::size_t>(st.st_size);
    size = std::min(size, limit);
    r.bytes.resize(size);
    std::size_t done = 0;
    while (done < size) {
        const auto n = ::pread(fd, r.bytes.data() + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            r.error = errno_text(path.string(), "read", errno);
            break;
        }
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    r.bytes.resize(done);
    ::close(fd);
    return r;
}

// The highest sequence number of any record that still decodes in a damaged segment, so that a
// store continuing after tampering never reuses a number the evidence holds.
inline std::uint64_t highest_decodable(std::span<const std::byte> file) noexcept {
    std::uint64_t highest = 0;
    for (std::size_t at = 0; at + record_overhead <= file.size();) {
        const auto d = decode_record(file.subspan(at));
        if (d.status == record_status::ok) {
            highest = std::max(highest, d.record.sequence);
            at += d.consumed;
        } else {
            ++at;
        }
    }
    return highest;
}

inline bool pwrite_all(int fd, std::span<const std::byte> data, std::size_t offset) noexcept {
    std::size_t done = 0;
    while (done < data.size()) {
        const auto n =
            ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

inline std::string segment_name(std::uint64_t first) {
    std::string digits = std::to_string(first);
    return "segment-" + std::string(20 - digits.size(), '0') + digits + ".gwa";
}

inline bool is_segment_name(std::string_view n) noexcept {
    if (n.size() != 32 || n.substr(0, 8) != "segment-" || n.substr(28) != ".gwa") return false;
    return std::all_of(n.begin() + 8, n.begin() + 28, [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace detail

class store {
public:
    /// Opens (creating if needed) the store in options.directory and recovers it; see the
    /// header comment. Fails (no store, `error` says why) on bad options, a key it refuses, or
    /// a directory it cannot use; tampering is not a failure (the report says so).
    static open_result open(const store_options& options) noexcept;
    /// Opens the store in `directory` for reading only (for_each, verify): nothing is created,
    /// cut, renamed or synced, so a reader may run beside the gateway that writes it. The newest
    /// segment may end in a record being written: that partial tail is not reported.
    static open_result open_read_only(const std::filesystem::path& directory) noexcept;

    store(store&& other) noexcept { *this = std::move(other); }
    store& operator=(store&& other) noexcept {
        if (this != &other) {
            close();
            options_ = std::move(other.options_);
            key_ = other.key_;
            half_ = other.half_;
            old_ = std::move(other.old_);
            active_ = std::move(other.active_);
            fd_ = std::exchange(other.fd_, -1);
            end_ = other.end_;
            next_sequence_ = other.next_sequence_;
            last_mac_ = other.last_mac_;
            unsynced_ = other.unsynced_;
            warned_ = other.warned_;
            read_only_ = other.read_only_;
            buffer_ = std::move(other.buffer_);
        }
        return *this;
    }
    store(const store&) = delete;
    store& operator=(const store&) = delete;
    /// Syncs what is pending (best effort: a failure here has nobody to report to; call sync()
    /// first to know).
    ~store() { close(); }

    append_result append(std::span<const std::byte> payload, durability d) noexcept;
    io_result sync() noexcept;
    fill_level fill() const noexcept { return {held(), 2 * half_}; }
    std::uint64_t next_sequence() const noexcept { return next_sequence_; }

    /// Calls on_record(sequence, payload) for every record held with sequence >= since, oldest
    /// first. Stops at damage (read_result::error names it; verify() says more).
    template <class OnRecord>
    read_result for_each(std::uint64_t since, OnRecord&& on_record) const noexcept;

    /// Re-reads every segment and checks headers, sequence numbers, CRCs and the chain.
    verify_report verify() const noexcept;

private:
    struct segment {
        std::filesystem::path path;
        std::uint64_t first_sequence = 0;
        std::size_t records = 0;
    };

    store() = default;

    std::size_t held() const noexcept {
        return (old_ ? old_->records : 0) + (fd_ >= 0 ? active_.records : 0);
    }
    void close() noexcept {
        if (fd_ >= 0) {
            if (unsynced_ > 0) ::fdatasync(fd_);
            ::close(fd_);
            fd_ = -1;
        }
    }
    std::string start_segment();
    template <class OnSegment>
    verify_report walk(OnSegment&& on_record) const;

    store_options options_;
    chain_key key_{};
    std::size_t half_ = 1;
    std::optional<segment> old_;
    segment active_;
    int fd_ = -1;  // the active segment; -1 when it could not be created (retried on append)
    std::size_t end_ = 0;
    std::uint64_t next_sequence_ = 1;
    chain_mac last_mac_{};
    std::size_t unsynced_ = 0;
    bool warned_ = false;
    bool read_only_ = false;  // open_read_only: the files as they are, nothing written
    std::vector<std::byte> buffer_;
};

struct open_result {
    std::optional<store> audit_store;  ///< empty when open failed
    std::string error;
    recovery_report recovery;
    bool ok() const noexcept { return audit_store.has_value(); }
};

// Creates the active segment (first sequence next_sequence_, anchored at last_mac_): header
// written and synced, directory synced, before any record goes in.
inline std::string store::start_segment() {
    segment s;
    s.first_sequence = next_sequence_;
    s.path = options_.directory / detail::segment_name(next_sequence_);
    std::array<std::byte, detail::segment_header_size> header{};
    if (!detail::make_segment_header(key_, s.first_sequence, last_mac_, header)) {
        return s.path.string() + ": HMAC of the segment header failed (wolfCrypt)";
    }
    // A leftover of a creation cut short (header torn) would make O_EXCL fail forever.
    ::unlink(s.path.c_str());
    const int fd = ::open(s.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return detail::errno_text(s.path.string(), "create", errno);
    if (!detail::pwrite_all(fd, header, 0) || ::fdatasync(fd) != 0 ||
        !detail::fsync_directory(options_.directory)) {
        const auto error = detail::errno_text(s.path.string(), "write header", errno);
        ::close(fd);
        ::unlink(s.path.c_str());
        return error;
    }
    fd_ = fd;
    active_ = std::move(s);
    end_ = detail::segment_header_size;
    unsynced_ = 0;
    return {};
}

inline open_result store::open(const store_options& options) noexcept {
    open_result result;
    try {
        if (options.directory.empty()) {
            result.error = "audit store: no directory given";
            return result;
        }
        if (options.capacity < 2) {
            result.error = "audit store: capacity " + std::to_string(options.capacity) +
                           " records: at least 2 (two segments of capacity/2)";
            return result;
        }
        if (options.warn_percent < 1 || options.warn_percent > 100) {
            result.error = "audit store: warn_percent " + std::to_string(options.warn_percent) +
                           " outside 1..100";
            return result;
        }
        if (options.sync_every < 1) {
            result.error = "audit store: sync_every must be at least 1";
            return result;
        }
        const auto& dir = options.directory;
        if (dir.has_parent_path()) {
            std::error_code ec;
            std::filesystem::create_directories(dir.parent_path(), ec);
        }
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            result.error = detail::errno_text(dir.string(), "mkdir", errno);
            return result;
        }
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
            result.error = dir.string() + ": not a directory";
            return result;
        }
        if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
            result.error = detail::errno_text(dir.string(), "chmod 0700", errno);
            return result;
        }
        auto key = load_or_create_key(dir);
        if (!key.ok()) {
            result.error = key.error;
            return result;
        }
        result.recovery.key_created = key.created;

        store s;
        s.options_ = options;
        s.key_ = key.key;
        s.half_ = options.capacity / 2;
        s.buffer_.resize(max_record_size);

        std::vector<std::string> names;
        std::error_code ec;
        for (std::filesystem::directory_iterator it{dir, ec}, end; !ec && it != end;
             it.increment(ec)) {
            const auto n = it->path().filename().string();
            if (detail::is_segment_name(n)) names.push_back(n);
        }
        if (ec) {
            result.error = dir.string() + ": list: " + ec.message();
            return result;
        }
        std::sort(names.begin(), names.end());

        auto& report = result.recovery;
        verify_report problem;
        std::uint64_t highest = 0;  // highest sequence number seen anywhere, for continuing
        chain_mac last_mac{};
        const auto note = [&](verify_reason reason, std::optional<std::uint64_t> seq,
                              std::string detail) {
            if (problem.ok()) {
                problem.reason = reason;
                problem.first_bad_sequence = seq;
                problem.detail = std::move(detail);
            }
        };
        if (names.size() > 2) {
            note(verify_reason::segment_header, std::nullopt,
                 dir.string() + ": " + std::to_string(names.size()) +
                     " segment files, a store has at most 2");
        }
        std::optional<detail::segment_scan> previous;
        std::vector<segment> kept;
        for (std::size_t i = 0; i < names.size(); ++i) {
            const auto path = dir / names[i];
            const bool newest = i + 1 == names.size();
            auto file = detail::read_whole_file(path, SIZE_MAX);
            if (!file.error.empty()) {
                result.error = file.error;
                return result;
            }
            auto scan = detail::scan_segment(file.bytes, path.string(), s.key_, newest,
                                             [&](std::uint64_t seq, std::span<const std::byte>) {
                                                 highest = std::max(highest, seq);
                                             });
            if (scan.header_torn) {
                if (newest) {
                    // Cut while being created: nothing in it was ever acknowledged; its name
                    // still says where the sequence numbers were.
                    const auto first = std::stoull(names[i].substr(8, 20));
                    if (first > 0) highest = std::max(highest, std::uint64_t{first} - 1);
                    report.dropped_bytes += file.bytes.size();
                    if (::unlink(path.c_str()) != 0) {
                        result.error = detail::errno_text(path.string(), "unlink", errno);
                        return result;
                    }
                    continue;
                }
                note(verify_reason::segment_header, std::nullopt,
                     path.string() + ": shorter than a segment header");
                continue;
            }
            if (scan.problem != verify_reason::none) {
                note(scan.problem, scan.bad_sequence, scan.detail);
                highest = std::max(highest, detail::highest_decodable(file.bytes));
            } else if (previous && (scan.first_sequence != previous->next_sequence ||
                                    scan.anchor != previous->last_mac)) {
                note(scan.first_sequence != previous->next_sequence ? verify_reason::gap
                                                                    : verify_reason::mac_mismatch,
                     previous->next_sequence,
                     path.string() + ": does not continue the previous segment");
            }
            if (scan.problem == verify_reason::none) {
                report.tamper.records_checked += scan.records;
                highest = std::max(highest, scan.next_sequence - 1);
                last_mac = scan.last_mac;
            }
            if (scan.tail_bytes > 0 && problem.ok()) {
                if (::truncate(path.c_str(), static_cast<off_t>(scan.valid_end)) != 0) {
                    result.error = detail::errno_text(path.string(), "truncate torn tail", errno);
                    return result;
                }
                report.dropped_bytes += scan.tail_bytes;
                report.dropped_records += 1;
            }
            kept.push_back({path, scan.first_sequence, scan.records});
            s.end_ = scan.valid_end;
            previous = std::move(scan);
        }

        if (!problem.ok()) {
            // Tampering: keep the evidence untouched, out of the ring, and carry on.
            report.tampering = true;
            report.tamper.reason = problem.reason;
            report.tamper.first_bad_sequence = problem.first_bad_sequence;
            report.tamper.detail = problem.detail;
            const auto stamp = std::to_string(static_cast<long long>(std::time(nullptr)));
            for (const auto& n : names) {
                const auto from = dir / n;
                if (::access(from.c_str(), F_OK) != 0) continue;
                std::filesystem::path to;
                for (int k = 0;; ++k) {
                    to = dir / (n + ".tampered-" + stamp + (k ? "-" + std::to_string(k) : ""));
                    if (::access(to.c_str(), F_OK) != 0) break;
                }
                if (::rename(from.c_str(), to.c_str()) != 0) {
                    result.error = detail::errno_text(from.string(), "rename aside", errno);
                    return result;
                }
                report.quarantined.push_back(to);
            }
            detail::fsync_directory(dir);
            kept.clear();
            s.next_sequence_ = highest + 1;
            s.last_mac_ = chain_mac{};
        } else {
            s.next_sequence_ = kept.empty() ? highest + 1 : previous->next_sequence;
            s.last_mac_ = last_mac;
        }
        if (!kept.empty()) {
            s.active_ = kept.back();
            if (kept.size() == 2) s.old_ = kept.front();
            s.fd_ = ::open(s.active_.path.c_str(), O_WRONLY | O_CLOEXEC);
            if (s.fd_ < 0) {
                result.error = detail::errno_text(s.active_.path.string(), "open", errno);
                return result;
            }
            if (report.dropped_bytes > 0 && ::fdatasync(s.fd_) != 0) {
                result.error = detail::errno_text(s.active_.path.string(), "fdatasync", errno);
                return result;
            }
        } else if (auto error = s.start_segment(); !error.empty()) {
            result.error = error;
            return result;
        }
        report.records = s.held();
        report.next_sequence = s.next_sequence_;
        s.warned_ = s.held() * 100 >= s.fill().capacity * s.options_.warn_percent;
        result.audit_store.emplace(std::move(s));
    } catch (const std::exception& e) {
        result.audit_store.reset();
        result.error = std::string{"audit store: open: "} + e.what();
    } catch (...) {
        result.audit_store.reset();
        result.error = "audit store: open: unknown failure";
    }
    return result;
}

inline append_result store::append(std::span<const std::byte> payload, durability d) noexcept {
    append_result r;
    try {
        if (payload.size() > max_payload) {
            r.status = append_status::too_large;
            r.error = "audit record payload of " + std::to_string(payload.size()) +
                      " bytes: at most " + std::to_string(max_payload);
            return r;
        }
        if (fd_ >= 0 && active_.records >= half_) {
            // Rotate: the active segment is full. Two segments exist at most.
            if (old_) {
                if (options_.when_full == full_policy::stop) {
                    r.status = append_status::full;
                    r.error = "audit store full (" + std::to_string(held()) +
                              " records) and the policy is stop";
                    return r;
                }
                if (::unlink(old_->path.c_str()) != 0 && errno != ENOENT) {
                    r.error = detail::errno_text(old_->path.string(), "unlink oldest", errno);
                    return r;
                }
                old_.reset();
            }
            if (unsynced_ > 0 && ::fdatasync(fd_) != 0) {
                r.error = detail::errno_text(active_.path.string(), "fdatasync", errno);
                return r;
            }
            ::close(fd_);
            fd_ = -1;
            old_ = std::move(active_);
            active_ = {};
        }
        if (fd_ < 0) {
            // A segment to start (after a rotation, or a creation that failed before).
            if (auto error = start_segment(); !error.empty()) {
                r.error = std::move(error);
                return r;
            }
        }
        chain_mac mac{};
        if (!next_mac(key_, last_mac_, next_sequence_, payload, mac)) {
            r.error = "audit record MAC failed (wolfCrypt)";
            return r;
        }
        const std::size_t size = encode_record(next_sequence_, payload, mac, buffer_);
        const std::span<const std::byte> bytes{buffer_.data(), size};
        bool written = detail::pwrite_all(fd_, bytes, end_);
        const char* step = "write";
        if (written && d == durability::durable && ::fdatasync(fd_) != 0) {
            written = false;
            step = "fdatasync";
        }
        if (!written) {
            // Leave no part of the record behind: the next append writes at end_ anyway, and a
            // record not acknowledged must not reappear after a restart.
            r.error = detail::errno_text(active_.path.string(), step, errno);
            if (::ftruncate(fd_, static_cast<off_t>(end_)) == 0 && unsynced_ == 0) ::fdatasync(fd_);
            return r;
        }
        end_ += size;
        ++active_.records;
        r.status = append_status::ok;
        r.sequence = next_sequence_++;
        last_mac_ = mac;
        if (d == durability::batched) {
            if (++unsynced_ >= options_.sync_every) r.sync_error = sync().error;
        } else {
            unsynced_ = 0;  // fdatasync made every earlier write durable too
        }
        const bool above = held() * 100 >= fill().capacity * options_.warn_percent;
        r.crossed_warn = above && !warned_;
        warned_ = above;
    } catch (const std::exception& e) {
        r.status = append_status::io_error;
        r.error = std::string{"audit store: append: "} + e.what();
    } catch (...) {
        r.status = append_status::io_error;
        r.error = "audit store: append: unknown failure";
    }
    return r;
}

inline io_result store::sync() noexcept {
    io_result r;
    if (fd_ >= 0 && unsynced_ > 0) {
        if (::fdatasync(fd_) != 0) {
            try {
                r.error = detail::errno_text(active_.path.string(), "fdatasync", errno);
            } catch (...) {
                r.error.clear();
            }
            if (r.error.empty()) r.error = "fdatasync failed";
            return r;
        }
        unsynced_ = 0;
    }
    return r;
}

// Scans the segments held, oldest first, calling on_record(sequence, payload) on each record
// that verifies; the active segment only up to what this store wrote.
template <class OnRecord>
verify_report store::walk(OnRecord&& on_record) const {
    verify_report report;
    std::optional<detail::segment_scan> previous;
    const bool have_active = fd_ >= 0 || (read_only_ && !active_.path.empty());
    for (const segment* seg : {old_ ? &*old_ : nullptr, have_active ? &active_ : nullptr}) {
        if (seg == nullptr) continue;
        const bool active = seg == &active_;
        auto file = detail::read_whole_file(seg->path, active && !read_only_ ? end_ : SIZE_MAX);
        if (!file.error.empty()) {
            report.reason = verify_reason::io_error;
            report.detail = file.error;
            return report;
        }
        // A reader beside the writer may see the record being written: a torn tail of the
        // newest segment is not damage then.
        auto scan = detail::scan_segment(file.bytes, seg->path.string(), key_, read_only_ && active,
                                         on_record);
        report.records_checked += scan.records;
        if (scan.header_torn) {
            report.reason = verify_reason::segment_header;
            report.detail = seg->path.string() + ": shorter than a segment header";
            return report;
        }
        if (scan.problem == verify_reason::none && previous &&
            (scan.first_sequence != previous->next_sequence || scan.anchor != previous->last_mac)) {
            scan.problem = scan.first_sequence != previous->next_sequence
                               ? verify_reason::gap
                               : verify_reason::mac_mismatch;
            scan.bad_sequence = previous->next_sequence;
            scan.detail = seg->path.string() + ": does not continue the previous segment";
        }
        if (scan.problem == verify_reason::none && active && !read_only_ &&
            (scan.valid_end != end_ || file.bytes.size() != end_)) {
            scan.problem = verify_reason::crc;
            scan.bad_sequence = scan.next_sequence;
            scan.detail = seg->path.string() + ": shorter than what was written (truncated)";
        }
        if (scan.problem != verify_reason::none) {
            report.reason = scan.problem;
            report.first_bad_sequence = scan.bad_sequence;
            report.detail = std::move(scan.detail);
            return report;
        }
        previous = std::move(scan);
    }
    return report;
}

inline open_result store::open_read_only(const std::filesystem::path& dir) noexcept {
    open_result result;
    try {
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
            result.error = "no audit store here (the gateway makes it at its first start)";
            return result;
        }
        // Never make a key here: a reader that found none must say so, not start a new chain.
        if (::access((dir / key_file_name).c_str(), F_OK) != 0) {
            result.error = "no audit key (" + (dir / key_file_name).string() +
                           "): the records cannot be verified";
            return result;
        }
        auto key = load_or_create_key(dir);
        if (!key.ok()) {
            result.error = key.error;
            return result;
        }
        std::vector<std::string> names;
        std::error_code ec;
        for (std::filesystem::directory_iterator it{dir, ec}, end; !ec && it != end;
             it.increment(ec)) {
            const auto n = it->path().filename().string();
            if (detail::is_segment_name(n)) names.push_back(n);
        }
        if (ec) {
            result.error = dir.string() + ": list: " + ec.message();
            return result;
        }
        std::sort(names.begin(), names.end());
        store s;
        s.read_only_ = true;
        s.options_.directory = dir;
        s.key_ = key.key;
        if (!names.empty()) {
            s.active_.path = dir / names.back();
            if (names.size() >= 2) {
                s.old_ = segment{};
                s.old_->path = dir / names[names.size() - 2];
            }
        }
        result.audit_store.emplace(std::move(s));
    } catch (const std::exception& e) {
        result.error = std::string{"audit store: open: "} + e.what();
    }
    return result;
}

inline verify_report store::verify() const noexcept {
    try {
        return walk([](std::uint64_t, std::span<const std::byte>) {});
    } catch (...) {
        verify_report r;
        r.reason = verify_reason::io_error;
        r.detail = "audit store: verify: out of memory";
        return r;
    }
}

template <class OnRecord>
read_result store::for_each(std::uint64_t since, OnRecord&& on_record) const noexcept {
    read_result r;
    try {
        const auto report = walk([&](std::uint64_t seq, std::span<const std::byte> payload) {
            if (seq >= since) {
                on_record(seq, payload);
                ++r.records;
            }
        });
        if (!report.ok()) r.error = std::string{to_string(report.reason)} + ": " + report.detail;
    } catch (const std::exception& e) {
        r.error = std::string{"audit store: read: "} + e.what();
    } catch (...) {
        r.error = "audit store: read: unknown failure";
    }
    return r;
}

}  // namespace gw::audit
