// gw::gateway::status_writer: snapshots serialised and published on a worker thread, at most
// one pending (the newest wins), written atomically to a file that then parses. Synchronised
// with latches: no sleeps.

#include <gw/gateway/atomic_file.hpp>
#include <gw/gateway/status_writer.hpp>

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <latch>
#include <string>
#include <vector>

namespace {

gw::gateway::gateway_status with_requests(std::uint64_t n) {
    gw::gateway::gateway_status s;
    gw::gateway::channel_status c;
    c.name = "line";
    c.link = R"(serial /tmp/q"uo\te)";
    c.counters.requests = n;
    s.channels.push_back(c);
    return s;
}

std::uint64_t requests_in(const std::string& json) {
    return boost::json::parse(json).at("channels").at(0).at("requests").to_number<std::uint64_t>();
}

/// A fresh directory for one test, removed afterwards.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "gw-status-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
};

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in{p};
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

}  // namespace

TEST_CASE("status_writer: while one snapshot is being written, only the newest waits") {
    std::latch entered{1};
    std::latch release{1};
    std::vector<std::uint64_t> published;  // the worker's until stop() returns
    gw::gateway::status_writer writer{[&](const std::string& json) {
        published.push_back(requests_in(json));
        if (published.size() == 1) {
            entered.count_down();
            release.wait();
        }
    }};
    writer.submit(with_requests(1));
    entered.wait();  // the worker is stuck publishing snapshot 1
    writer.submit(with_requests(2));
    writer.submit(with_requests(3));  // replaces 2: submit never waits for the worker
    writer.submit(with_requests(4));  // replaces 3
    CHECK(writer.superseded() == 2);
    release.count_down();
    writer.stop();  // publishes the pending one
    CHECK(published == std::vector<std::uint64_t>{1, 4});
    CHECK(writer.published() == 2);
}

TEST_CASE("status_writer: the status file is written atomically and parses") {
    temp_dir dir;
    const auto file = dir.path / "status.json";
    std::vector<std::string> errors;
    {
        gw::gateway::status_writer writer{[&](const std::string& json) {
            if (auto e = gw::gateway::write_file_atomically(file, json + "\n"); !e.empty())
                errors.push_back(e);
        }};
        writer.submit(with_requests(42));
    }  // the destructor publishes what is pending
    CHECK(errors.empty());
    const auto v = boost::json::parse(read_file(file));
    CHECK(v.at("channels").at(0).at("requests").to_number<std::uint64_t>() == 42);
    CHECK(v.at("channels").at(0).at("link").as_string() == R"(serial /tmp/q"uo\te)");
    CHECK_FALSE(std::filesystem::exists(dir.path / "status.json.tmp"));
}

TEST_CASE("write_file_atomically: replaces the file whole, with the mode asked for") {
    temp_dir dir;
    const auto file = dir.path / "secret";
    REQUIRE(gw::gateway::write_file_atomically(file, "old", 0600).empty());
    REQUIRE(gw::gateway::write_file_atomically(file, "new content", 0600).empty());
    CHECK(read_file(file) == "new content");
    struct ::stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(gw::gateway::write_file_atomically(dir.path / "missing" / "x", "y").find("open") !=
          std::string::npos);
}
