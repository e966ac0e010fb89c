#pragma once
// A virtual serial line: a pseudo-terminal pair from openpty(). One program drives the master
// descriptor (the simulated device, a test), another opens the slave path like any tty
// (/dev/pts/N) and cannot tell the difference except that there is no baud timing, no parity,
// and no RS-485 (the ioctls answer ENOTTY).
//
// The pair keeps its own slave descriptor open for its whole life: when no slave descriptor is
// open, reads on the master fail with EIO, so a client closing and reopening the slave path would
// otherwise break the master side. That descriptor is never read by the pair itself.

#include <gw/transport/asio.hpp>

#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string>
#include <utility>

namespace gw::transport {

class pty_pair {
public:
    pty_pair() noexcept = default;
    pty_pair(pty_pair&& other) noexcept
        : master_(std::exchange(other.master_, -1))
        , slave_(std::exchange(other.slave_, -1))
        , slave_path_(std::move(other.slave_path_)) {}
    pty_pair& operator=(pty_pair&& other) noexcept {
        if (this != &other) {
            close();
            master_ = std::exchange(other.master_, -1);
            slave_ = std::exchange(other.slave_, -1);
            slave_path_ = std::move(other.slave_path_);
        }
        return *this;
    }
    pty_pair(const pty_pair&) = delete;
    pty_pair& operator=(const pty_pair&) = delete;
    ~pty_pair() { close(); }

    /// Creates the pair, both sides raw (no echo, no line editing, no CR/LF translation, 8 bits).
    /// The master descriptor is non-blocking; both are close-on-exec.
    error_code open() {
        close();
        termios raw{};
        ::cfmakeraw(&raw);
        raw.c_cflag |= CLOCAL | CREAD;
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        int master = -1;
        int slave = -1;
        if (::openpty(&master, &slave, nullptr, &raw, nullptr) != 0) {
            return errno_code(errno);
        }
        master_ = master;
        slave_ = slave;
        char path[PATH_MAX] = {};
        if (::ptsname_r(master_, path, sizeof path) != 0 || !set_cloexec(master_) ||
            !set_cloexec(slave_) || !set_nonblocking(master_) ||
            ::tcsetattr(master_, TCSANOW, &raw) != 0) {
            const auto ec = errno_code(errno);
            close();
            return ec;
        }
        slave_path_ = path;
        return {};
    }

    /// open(), throwing system_error on failure (for tests and program start-up).
    static pty_pair create() {
        pty_pair pair;
        if (const auto ec = pair.open()) {
            throw system_error(ec, "openpty");
        }
        return pair;
    }

    /// The line exists while the pair holds its slave side (also after release_master()).
    bool is_open() const noexcept { return slave_ >= 0; }
    /// The device side: what the simulated device (or a test) reads and writes.
    int master() const noexcept { return master_; }
    /// The pair's own slave descriptor (blocking), usable directly by a test.
    int slave() const noexcept { return slave_; }
    /// The path a client opens, e.g. /dev/pts/7.
    const std::string& slave_path() const noexcept { return slave_path_; }

    /// Hands the master descriptor over (to a stream_descriptor or serial_port::assign); the pair
    /// no longer closes it but still holds the slave side open.
    int release_master() noexcept { return std::exchange(master_, -1); }

    void close() noexcept {
        if (master_ >= 0) {
            ::close(master_);
        }
        if (slave_ >= 0) {
            ::close(slave_);
        }
        master_ = -1;
        slave_ = -1;
        slave_path_.clear();
    }

private:
    static bool set_cloexec(int fd) noexcept {
        const int flags = ::fcntl(fd, F_GETFD);
        return flags >= 0 && ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == 0;
    }
    static bool set_nonblocking(int fd) noexcept {
        const int flags = ::fcntl(fd, F_GETFL);
        return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
    }

    int master_ = -1;
    int slave_ = -1;
    std::string slave_path_;
};

}  // namespace gw::transport
