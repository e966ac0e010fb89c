// tests include/gw/audit/store.hpp (and chain.hpp): the ring on disk, recovery after torn
// writes and kill -9, tamper evidence, and storage failures.
#include <gw/audit/store.hpp>

#include <gw/audit/chain.hpp>

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace gw::audit;

namespace {

// Each test case its own directory, removed afterwards.
struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string pattern = (fs::temp_directory_path() / "gw-audit-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    fs::path audit() const { return path / "audit"; }
};

// The payload of sequence n: its number, padded to a length that varies with n.
std::vector<std::byte> payload_for(std::uint64_t n, std::size_t base = 200) {
    std::string text = "event " + std::to_string(n) + " ";
    text.resize(base + n % 17, static_cast<char>('a' + n % 26));
    std::vector<std::byte> out(text.size());
    std::memcpy(out.data(), text.data(), text.size());
    return out;
}

store_options options_in(const fs::path& dir, std::size_t capacity = 100) {
    store_options o;
    o.directory = dir;
    o.capacity = capacity;
    return o;
}

store open_ok(const store_options& o, recovery_report* report = nullptr) {
    auto r = store::open(o);
    INFO(r.error);
    REQUIRE(r.ok());
    if (report != nullptr) *report = r.recovery;
    return std::move(*r.audit_store);
}

void append_n(store& s, std::uint64_t first, std::uint64_t count,
              durability d = durability::batched) {
    for (std::uint64_t n = first; n < first + count; ++n) {
        const auto r = s.append(payload_for(n), d);
        INFO(r.error);
        REQUIRE(r.ok());
        REQUIRE(r.sequence == n);
    }
}

struct held_record {
    std::uint64_t sequence;
    std::vector<std::byte> payload;
};

std::vector<held_record> read_all(const store& s, std::uint64_t since = 0) {
    std::vector<held_record> out;
    const auto r = s.for_each(since, [&](std::uint64_t seq, std::span<const std::byte> p) {
        out.push_back({seq, {p.begin(), p.end()}});
    });
    INFO(r.error);
    CHECK(r.ok());
    CHECK(r.records == out.size());
    return out;
}

std::vector<fs::path> segments(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        const auto n = e.path().filename().string();
        if (n.rfind("segment-", 0) == 0 && n.size() == 32) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<char> slurp(const fs::path& p) {
    std::ifstream in{p, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, {}};
}
void spill(const fs::path& p, const std::vector<char>& data) {
    std::ofstream out{p, std::ios::binary | std::ios::trunc};
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// Offsets of the records in a segment file, from its own framing.
std::vector<std::size_t> record_offsets(const std::vector<char>& file) {
    std::vector<std::size_t> out;
    std::size_t at = detail::segment_header_size;
    while (at < file.size()) {
        const auto d = decode_record(std::as_bytes(std::span<const char>{file}.subspan(at)));
        if (d.status != record_status::ok) break;
        out.push_back(at);
        at += d.consumed;
    }
    return out;
}

}  // namespace

TEST_CASE("store: appended records read back in order, with new directory and key modes") {
    temp_dir t;
    recovery_report report;
    auto s = open_ok(options_in(t.audit()), &report);
    CHECK(report.key_created);
    CHECK(report.records == 0);
    CHECK(report.next_sequence == 1);
    append_n(s, 1, 10, durability::durable);
    append_n(s, 11, 5, durability::batched);
    CHECK(s.sync().ok());
    const auto all = read_all(s);
    REQUIRE(all.size() == 15);
    for (std::size_t i = 0; i < all.size(); ++i) {
        CHECK(all[i].sequence == i + 1);
        CHECK(all[i].payload == payload_for(i + 1));
    }
    CHECK(read_all(s, 12).size() == 4);
    CHECK(s.fill().records == 15);
    CHECK(s.fill().capacity == 100);
    CHECK(s.verify().ok());
    CHECK(s.verify().records_checked == 15);
    struct stat st {};
    REQUIRE(::stat(t.audit().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    REQUIRE(::stat((t.audit() / "audit.key").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(st.st_size == 32);
    for (const auto& seg : segments(t.audit())) {
        REQUIRE(::stat(seg.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
    }
}

TEST_CASE("store: a payload over max_payload is refused, and nothing is stored") {
    temp_dir t;
    auto s = open_ok(options_in(t.audit()));
    std::vector<std::byte> big(max_payload + 1);
    const auto r = s.append(big, durability::durable);
    CHECK(r.status == append_status::too_large);
    CHECK(r.error.find("4096") != std::string::npos);
    CHECK(s.fill().records == 0);
    append_n(s, 1, 1);
}

TEST_CASE("store: rotation at capacity/2 and ring overwrite keep the newest records") {
    temp_dir t;
    auto s = open_ok(options_in(t.audit(), 10));
    append_n(s, 1, 5);
    CHECK(segments(t.audit()).size() == 1);
    append_n(s, 6, 1);  // the first segment is full: a second starts
    CHECK(segments(t.audit()).size() == 2);
    append_n(s, 7, 4);
    CHECK(s.fill().records == 10);
    append_n(s, 11, 1);  // full: records 1..5 go
    CHECK(segments(t.audit()).size() == 2);
    CHECK(s.fill().records == 6);
    append_n(s, 12, 20);
    const auto all = read_all(s);
    REQUIRE(!all.empty());
    CHECK(all.front().sequence == 26);
    CHECK(all.back().sequence == 31);
    CHECK(s.verify().ok());
    // After a restart the ring and its chain verify, and the sequence goes on.
    s = open_ok(options_in(t.audit(), 10));
    CHECK(s.verify().ok());
    CHECK(s.next_sequence() == 32);
    append_n(s, 32, 3);
}

TEST_CASE("store: with policy stop a full ring refuses appends and keeps the oldest") {
    temp_dir t;
    auto o = options_in(t.audit(), 10);
    o.when_full = full_policy::stop;
    auto s = open_ok(o);
    append_n(s, 1, 10);
    const auto r = s.append(payload_for(11), durability::durable);
    CHECK(r.status == append_status::full);
    CHECK(r.sequence == 0);
    CHECK(!r.error.empty());
    CHECK(s.fill().records == 10);
    CHECK(read_all(s).front().sequence == 1);
    // Still full after a restart: the count comes from the files.
    s = open_ok(o);
    CHECK(s.append(payload_for(11), durability::batched).status == append_status::full);
}

TEST_CASE("store: the warning fires once per crossing of warn_percent") {
    temp_dir t;
    auto o = options_in(t.audit(), 10);
    o.warn_percent = 80;
    auto s = open_ok(o);
    std::vector<std::uint64_t> crossed;
    for (std::uint64_t n = 1; n <= 30; ++n) {
        const auto r = s.append(payload_for(n), durability::batched);
        REQUIRE(r.ok());
        if (r.crossed_warn) crossed.push_back(n);
    }
    // 8 of 10 at n = 8; the overwrite at 11 drops to 6, 8 again at 13, 18, 23, 28.
    CHECK(crossed == std::vector<std::uint64_t>{8, 13, 18, 23, 28});
}

TEST_CASE("store: sequence numbers continue across restarts") {
    temp_dir t;
    {
        auto s = open_ok(options_in(t.audit()));
        append_n(s, 1, 7, durability::batched);
    }  // the destructor syncs
    recovery_report report;
    auto s = open_ok(options_in(t.audit()), &report);
    CHECK(!report.key_created);
    CHECK(report.records == 7);
    CHECK(report.next_sequence == 8);
    CHECK(report.dropped_bytes == 0);
    append_n(s, 8, 3);
    CHECK(read_all(s).size() == 10);
}

TEST_CASE("store: the last record truncated at every offset recovers every complete record") {
    temp_dir t;
    {
        auto s = open_ok(options_in(t.audit()));
        append_n(s, 1, 4, durability::durable);
    }
    const auto seg = segments(t.audit()).at(0);
    const auto original = slurp(seg);
    const auto offsets = record_offsets(original);
    REQUIRE(offsets.size() == 4);
    const std::size_t last = offsets.back();
    for (std::size_t cut = last; cut < original.size(); ++cut) {
        CAPTURE(cut);
        spill(seg, {original.begin(), original.begin() + static_cast<std::ptrdiff_t>(cut)});
        recovery_report report;
        auto s = open_ok(options_in(t.audit()), &report);
        CHECK(!report.tampering);
        CHECK(report.records == 3);
        CHECK(report.dropped_bytes == cut - last);
        CHECK(report.dropped_records == (cut > last ? 1U : 0U));
        CHECK(fs::file_size(seg) == last);
        CHECK(s.verify().ok());
        // The record that was cut was never acknowledged (durable: acknowledged after
        // fdatasync); its sequence number is given to the next record.
        append_n(s, 4, 1, durability::durable);
        CHECK(read_all(s).size() == 4);
    }
}

TEST_CASE("store: a damaged last record (complete length, bad CRC) is a torn tail") {
    temp_dir t;
    {
        auto s = open_ok(options_in(t.audit()));
        append_n(s, 1, 3, durability::durable);
    }
    const auto seg = segments(t.audit()).at(0);
    auto file = slurp(seg);
    file[file.size() - 10] ^= 0x01;
    spill(seg, file);
    recovery_report report;
    auto s = open_ok(options_in(t.audit()), &report);
    CHECK(!report.tampering);
    CHECK(report.records == 2);
    CHECK(report.dropped_records == 1);
}

TEST_CASE(
    "store: a flipped byte in the middle is detected by verify() and at open, evidence kept") {
    temp_dir t;
    auto s = open_ok(options_in(t.audit()));
    append_n(s, 1, 6, durability::durable);
    const auto seg = segments(t.audit()).at(0);
    auto file = slurp(seg);
    const auto offsets = record_offsets(file);
    file[offsets[2] + 20] ^= 0x40;  // a payload byte of sequence 3
    spill(seg, file);

    const auto v = s.verify();
    CHECK(v.reason == verify_reason::crc);
    REQUIRE(v.first_bad_sequence.has_value());
    CHECK(*v.first_bad_sequence == 3);
    CHECK(v.records_checked == 2);

    recovery_report report;
    auto again = open_ok(options_in(t.audit()), &report);
    CHECK(report.tampering);
    CHECK(report.tamper.reason == verify_reason::crc);
    REQUIRE(report.quarantined.size() == 1);
    CHECK(slurp(report.quarantined[0]) == file);  // kept byte for byte
    // The store goes on, in a new segment, with sequence numbers after the highest seen.
    CHECK(again.next_sequence() == 7);
    append_n(again, 7, 2);
    CHECK(again.verify().ok());
}

TEST_CASE("store: an edited record with a recomputed CRC is a MAC mismatch") {
    temp_dir t;
    auto s = open_ok(options_in(t.audit()));
    append_n(s, 1, 5, durability::durable);
    const auto seg = segments(t.audit()).at(0);
    auto file = slurp(seg);
    const auto offsets = record_offsets(file);
    const std::size_t at = offsets[1];
    const std::size_t size = offsets[2] - at;
    file[at + 20] ^= 0x01;
    // Recompute the CRC as an editor would.
    const auto body = std::as_bytes(std::span<const char>{file}.subspan(at, size - 4));
    const auto crc = crc32c(body);
    for (int i = 0; i < 4; ++i) {
        file[at + size - 4 + static_cast<std::size_t>(i)] =
            static_cast<char>((crc >> (24 - 8 * i)) & 0xFFU);
    }
    spill(seg, file);
    const auto v = s.verify();
    CHECK(v.reason == verify_reason::mac_mismatch);
    CHECK(v.first_bad_sequence == std::optional<std::uint64_t>{2});
    recovery_report report;
    auto again = open_ok(options_in(t.audit()), &report);
    CHECK(report.tampering);
    CHECK(report.tamper.reason == verify_reason::mac_mismatch);
}

TEST_CASE("store: a deleted record is a gap, found by verify() and at open") {
    temp_dir t;
    {
        auto s = open_ok(options_in(t.audit()));
        append_n(s, 1, 6, durability::durable);
    }
    const auto seg = segments(t.audit()).at(0);
    auto file = slurp(seg);
    const auto offsets = record_offsets(file);
    file.erase(file.begin() + static_cast<std::ptrdiff_t>(offsets[3]),
               file.begin() + static_cast<std::ptrdiff_t>(offsets[4]));  // sequence 4
    spill(seg, file);
    recovery_report report;
    auto s = open_ok(options_in(t.audit()), &report);
    CHECK(report.tampering);
    CHECK(report.tamper.reason == verify_reason::gap);
    CHECK(report.tamper.first_bad_sequence == std::optional<std::uint64_t>{4});
    CHECK(report.tamper.detail.find("sequence 5 where 4") != std::string::npos);
    CHECK(s.next_sequence() == 7);
}

TEST_CASE("store: a deleted record is a gap for verify() on a running store") {
    temp_dir t;
    auto s = open_ok(options_in(t.audit()));
    append_n(s, 1, 6, durability::durable);
    const auto seg = segments(t.audit()).at(0);
    auto file = slurp(seg);
    const auto offsets = record_offsets(file);
    file.erase(file.begin() + static_cast<std::ptrdiff_t>(offsets[1]),
               file.begin() + static_cast<std::ptrdiff_t>(offsets[2]));
    spill(seg, file);
    const auto v = s.verify();
    CHECK(v.reason == verify_reason::gap);
    CHECK(v.first_bad_sequence == std::optional<std::uint64_t>{2});
}

TEST_CASE("store: another key does not verify the chain") {
    temp_dir t;
    {
        auto s = open_ok(options_in(t.audit()));
        append_n(s, 1, 3, durability::durable);
    }
    const auto key = t.audit() / "audit.key";
    std::vector<char> other(32, 'k');
    spill(key, other);
    recovery_report report;
    auto s = open_ok(options_in(t.audit()), &report);
    CHECK(report.tampering);
    CHECK(report.tamper.reason == verify_reason::segment_header);
}

TEST_CASE("store: a key file group or others may read is refused") {
    temp_dir t;
    { auto s = open_ok(options_in(t.audit())); }
    const auto key = t.audit() / "audit.key";
    REQUIRE(::chmod(key.c_str(), 0644) == 0);
    const auto r = store::open(options_in(t.audit()));
    CHECK(!r.ok());
    CHECK(r.error.find("group or others") != std::string::npos);
    CHECK(r.error.find("0644") != std::string::npos);
    REQUIRE(::chmod(key.c_str(), 0600) == 0);
    CHECK(store::open(options_in(t.audit())).ok());
}

TEST_CASE("store: bad options and an unusable directory are errors, not exceptions") {
    temp_dir t;
    CHECK(!store::open(options_in(t.audit(), 1)).ok());
    auto o = options_in(t.audit());
    o.warn_percent = 0;
    CHECK(!store::open(o).ok());
    spill(t.path / "plain", {'x'});
    const auto r = store::open(options_in(t.path / "plain" / "audit"));
    CHECK(!r.ok());
    CHECK(r.error.find("plain") != std::string::npos);
}

// kill -9 during durable appends: a child appends and acknowledges each record through a pipe
// once append() returned; the parent kills it right after the n-th acknowledgement (the child is
// then somewhere in its next append) and reopens the store.
TEST_CASE(
    "store: kill -9 during durable appends loses nothing acknowledged, accepts no torn record") {
    temp_dir t;
    int kills = 50;
    if (const char* env = std::getenv("GW_AUDIT_KILLS")) kills = std::atoi(env);
    std::vector<std::uint64_t> acknowledged;
    std::uint64_t last_seen = 0;
    for (int round = 0; round < kills; ++round) {
        CAPTURE(round);
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            ::close(fds[0]);
            auto r = store::open(options_in(t.audit(), 100'000));
            if (!r.ok()) ::_exit(3);
            auto& s = *r.audit_store;
            for (;;) {
                const auto seq = s.next_sequence();
                const auto a = s.append(payload_for(seq), durability::durable);
                if (!a.ok()) ::_exit(4);
                if (::write(fds[1], &a.sequence, sizeof a.sequence) != sizeof a.sequence)
                    ::_exit(5);
            }
        }
        ::close(fds[1]);
        const int wanted = 1 + (round * 7) % 13;
        for (int i = 0; i < wanted; ++i) {
            std::uint64_t seq = 0;
            REQUIRE(::read(fds[0], &seq, sizeof seq) == static_cast<ssize_t>(sizeof seq));
            acknowledged.push_back(seq);
        }
        REQUIRE(::kill(child, SIGKILL) == 0);
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        CHECK(WIFSIGNALED(status));
        ::close(fds[0]);

        recovery_report report;
        auto s = open_ok(options_in(t.audit(), 100'000), &report);
        CHECK(!report.tampering);
        CHECK(s.verify().ok());
        const auto all = read_all(s);
        // Strictly increasing by one, each payload the one written for its number.
        for (std::size_t i = 0; i < all.size(); ++i) {
            REQUIRE(all[i].sequence == i + 1);
            REQUIRE(all[i].payload == payload_for(all[i].sequence));
        }
        REQUIRE(!all.empty());
        CHECK(all.back().sequence >= acknowledged.back());
        CHECK(all.back().sequence >= last_seen);
        last_seen = all.back().sequence;
    }
    // Every acknowledged record is there (sequence numbers are dense from 1).
    std::sort(acknowledged.begin(), acknowledged.end());
    CHECK(std::adjacent_find(acknowledged.begin(), acknowledged.end()) == acknowledged.end());
    CHECK(acknowledged.back() <= last_seen);
}

// A write that fails (EFBIG from RLIMIT_FSIZE, as ENOSPC would; it fails for root too): the
// append is an io_error naming the cause, nothing of it stays in the file, and the store works
// again once there is room. In a child process, so the limit does not touch the test runner.
TEST_CASE("store: a failing write is an io_error and the store keeps working after") {
    temp_dir t;
    {
        auto s = open_ok(options_in(t.audit()));
        append_n(s, 1, 3, durability::durable);
    }
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of death
        auto r = store::open(options_in(t.audit()));
        if (!r.ok()) ::_exit(10);
        auto& s = *r.audit_store;
        const auto seg = segments(t.audit()).at(0);
        const auto size = fs::file_size(seg);
        rlimit limit{};
        if (::getrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(11);
        const rlimit saved = limit;
        limit.rlim_cur = size + 10;  // room for a part of a record only
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(12);
        const auto failed = s.append(payload_for(4), durability::durable);
        if (failed.status != append_status::io_error) ::_exit(13);
        if (failed.error.find("File too large") == std::string::npos) ::_exit(14);
        if (fs::file_size(seg) != size) ::_exit(15);  // no partial record left behind
        if (::setrlimit(RLIMIT_FSIZE, &saved) != 0) ::_exit(16);
        const auto ok = s.append(payload_for(4), durability::durable);
        if (!ok.ok() || ok.sequence != 4) ::_exit(17);
        if (!s.verify().ok()) ::_exit(18);
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    auto s = open_ok(options_in(t.audit()));
    CHECK(read_all(s).size() == 4);
    CHECK(s.verify().ok());
}
