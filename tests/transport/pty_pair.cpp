// gw/transport/pty_pair.hpp: a raw, 8-bit clean virtual serial line with RAII ownership.
#include <gw/transport/pty_pair.hpp>

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "transport/fd_io.hpp"

namespace {
bool is_open_fd(int fd) {
    return ::fcntl(fd, F_GETFD) >= 0;
}

std::vector<std::uint8_t> every_byte_value() {
    std::vector<std::uint8_t> v(256);
    for (std::size_t i = 0; i < v.size(); ++i) {
        v[i] = static_cast<std::uint8_t>(i);
    }
    return v;
}
}  // namespace

TEST_CASE("pty_pair opens a raw line whose slave is a character device") {
    gw::transport::pty_pair pty;
    CHECK_FALSE(pty.is_open());
    REQUIRE_FALSE(pty.open());
    CHECK(pty.is_open());
    CHECK(pty.slave_path().rfind("/dev/pts/", 0) == 0);
    struct stat st {};
    REQUIRE(::stat(pty.slave_path().c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(::isatty(pty.slave()) == 1);
    CHECK((::fcntl(pty.master(), F_GETFL) & O_NONBLOCK) != 0);
    CHECK((::fcntl(pty.master(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(pty.slave(), F_GETFD) & FD_CLOEXEC) != 0);

    termios t{};
    REQUIRE(::tcgetattr(pty.slave(), &t) == 0);
    CHECK((t.c_lflag & (ICANON | ECHO | ISIG | IEXTEN)) == 0);
    CHECK((t.c_oflag & OPOST) == 0);
    CHECK((t.c_iflag & (ICRNL | IXON | ISTRIP)) == 0);
    CHECK((t.c_cflag & CSIZE) == CS8);
}

TEST_CASE("pty_pair carries every byte value unchanged in both directions") {
    auto pty = gw::transport::pty_pair::create();
    const auto all = every_byte_value();

    REQUIRE(gw::test::write_all(pty.master(), all));
    CHECK(gw::test::read_exact(pty.slave(), all.size()) == all);
    REQUIRE(gw::test::write_all(pty.slave(), all));
    CHECK(gw::test::read_exact(pty.master(), all.size()) == all);
    // No echo: nothing came back to the writer.
    CHECK(gw::test::nothing_waiting(pty.master()));
    CHECK(gw::test::nothing_waiting(pty.slave()));
}

TEST_CASE("a client opening the slave path talks to the master") {
    auto pty = gw::transport::pty_pair::create();
    const int client = ::open(pty.slave_path().c_str(), O_RDWR | O_NOCTTY);
    REQUIRE(client >= 0);
    const std::vector<std::uint8_t> request{0x11, 0x03, 0x00, 0x6B, 0x00, 0x03, 0x76, 0x87};
    REQUIRE(gw::test::write_all(client, request));
    CHECK(gw::test::read_exact(pty.master(), request.size()) == request);
    ::close(client);
    // The pair still holds the slave open: the master keeps working (no EIO) for the next client.
    const int again = ::open(pty.slave_path().c_str(), O_RDWR | O_NOCTTY);
    REQUIRE(again >= 0);
    REQUIRE(gw::test::write_all(pty.master(), request));
    CHECK(gw::test::read_exact(again, request.size()) == request);
    ::close(again);
}

TEST_CASE("pty_pair owns its descriptors") {
    int master = -1;
    int slave = -1;
    std::string path;
    {
        auto pty = gw::transport::pty_pair::create();
        master = pty.master();
        slave = pty.slave();
        path = pty.slave_path();
        gw::transport::pty_pair moved(std::move(pty));
        CHECK_FALSE(
            pty.is_open());  // NOLINT(bugprone-use-after-move): moved-from state is specified
        CHECK(moved.master() == master);
        CHECK(moved.slave_path() == path);
        CHECK(is_open_fd(master));
    }
    CHECK_FALSE(is_open_fd(master));
    CHECK_FALSE(is_open_fd(slave));

    auto pty = gw::transport::pty_pair::create();
    const int released = pty.release_master();
    CHECK(pty.master() == -1);
    CHECK(pty.is_open());
    pty.close();
    CHECK(is_open_fd(released));
    ::close(released);
}
