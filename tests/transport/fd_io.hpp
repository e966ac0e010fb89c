#pragma once
// Blocking helpers on raw descriptors for the tests. poll() waits with a generous limit only so
// that a broken implementation fails the test instead of hanging it; it never paces the test.

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace gw::test {

inline constexpr int hang_guard_ms = 10'000;

/// Reads exactly n bytes from fd (blocking or not); returns fewer only if the guard expires.
inline std::vector<std::uint8_t> read_exact(int fd, std::size_t n) {
    std::vector<std::uint8_t> out;
    while (out.size() < n) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, hang_guard_ms) <= 0) {
            break;
        }
        std::uint8_t buf[512];
        const auto want = std::min(sizeof buf, n - out.size());
        const auto got = ::read(fd, buf, want);
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        out.insert(out.end(), buf, buf + got);
    }
    return out;
}

inline bool write_all(int fd, std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
        const auto n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, hang_guard_ms);
            continue;
        }
        if (n <= 0) {
            return false;
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
    return true;
}

/// True when nothing is waiting on fd right now (no waiting involved).
inline bool nothing_waiting(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
}

}  // namespace gw::test
