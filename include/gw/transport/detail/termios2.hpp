#pragma once
// Linux termios2 (arbitrary baud rates through BOTHER) without <asm/termbits.h>.
//
// <asm/termbits.h> is where the kernel declares `struct termios2`, but it also declares its own
// `struct termios` and redefines the c_cflag macros of glibc's <termios.h>. Asio includes
// <termios.h> (for its serial_port), so the two headers can never meet in one translation unit
// of a header-only library. The kernel layout is restated here instead, and the ioctl numbers are
// built from it with the same _IOR/_IOW macros the kernel uses. The layout is the asm-generic one
// (x86, Arm, AArch64, RISC-V, LoongArch, s390); architectures with their own termbits are refused
// at compile time rather than miscompiled.

#include <gw/transport/serial_settings.hpp>

#include <sys/ioctl.h>
#include <termios.h>

#include <array>
#include <cstdint>
#include <optional>

#if defined(__alpha__) || defined(__mips__) || defined(__powerpc__) || defined(__sparc__) || \
    defined(__hppa__)
#error "gw/transport: this architecture's termios2 layout differs from asm-generic (not supported)"
#endif

namespace gw::transport::detail {

/// The kernel's struct termios2 (include/uapi/asm-generic/termbits.h): NCCS is 19 there, not
/// glibc's 32, and the two speeds follow the control characters.
struct kernel_termios2 {
    std::uint32_t c_iflag;
    std::uint32_t c_oflag;
    std::uint32_t c_cflag;
    std::uint32_t c_lflag;
    std::uint8_t c_line;
    std::array<std::uint8_t, 19> c_cc;
    std::uint32_t c_ispeed;
    std::uint32_t c_ospeed;
};
static_assert(sizeof(kernel_termios2) == 44, "kernel termios2 is 44 bytes on asm-generic");

inline constexpr unsigned long tcgets2 = _IOR('T', 0x2A, kernel_termios2);
inline constexpr unsigned long tcsets2 = _IOW('T', 0x2B, kernel_termios2);

// c_cflag bits. glibc's values equal the kernel's on asm-generic; BOTHER and the input-speed
// shift are kernel-only, restated from termbits.h.
inline constexpr std::uint32_t cbaud = 0010017;
inline constexpr std::uint32_t bother = 0010000;
inline constexpr unsigned ibshift = 16;
inline constexpr std::uint32_t cibaud = cbaud << ibshift;

inline constexpr std::uint32_t flag(tcflag_t f) noexcept {
    return static_cast<std::uint32_t>(f);
}

struct standard_rate {
    std::uint32_t baud;
    std::uint32_t code;
};
// The Bxxx codes, used for standard rates because some drivers (older USB adapters) honour only
// those; any other rate goes through BOTHER.
inline constexpr std::array<standard_rate, 30> standard_rates{{
    {50, B50},           {75, B75},           {110, B110},         {134, B134},
    {150, B150},         {200, B200},         {300, B300},         {600, B600},
    {1200, B1200},       {1800, B1800},       {2400, B2400},       {4800, B4800},
    {9600, B9600},       {19200, B19200},     {38400, B38400},     {57600, B57600},
    {115200, B115200},   {230400, B230400},   {460800, B460800},   {500000, B500000},
    {576000, B576000},   {921600, B921600},   {1000000, B1000000}, {1152000, B1152000},
    {1500000, B1500000}, {2000000, B2000000}, {2500000, B2500000}, {3000000, B3000000},
    {3500000, B3500000}, {4000000, B4000000},
}};

constexpr std::optional<std::uint32_t> standard_code(std::uint32_t baud) noexcept {
    for (const auto& r : standard_rates) {
        if (r.baud == baud) {
            return r.code;
        }
    }
    return std::nullopt;
}

constexpr std::optional<std::uint32_t> standard_baud(std::uint32_t code) noexcept {
    for (const auto& r : standard_rates) {
        if (r.code == code) {
            return r.baud;
        }
    }
    return std::nullopt;
}

/// Rewrites `t` for raw 8-bit-clean I/O with the given line settings: no echo, no signals, no
/// CR/LF translation, no software or hardware flow control (an RS-485 bus has none), modem
/// lines ignored (CLOCAL), receiver on. Input parity checking stays off: a corrupted byte must
/// reach the framer, whose CRC/LRC rejects the frame; dropping or replacing it would hide that.
constexpr void make_raw(kernel_termios2& t, const line_settings& s) noexcept {
    t.c_iflag &= ~flag(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF |
                       IXANY | INPCK | IGNPAR);
    t.c_oflag &= ~flag(OPOST);
    t.c_lflag &= ~flag(ECHO | ECHOE | ECHOK | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(flag(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS | CMSPAR) | cbaud | cibaud);
    t.c_cflag |= flag(CLOCAL | CREAD);
    t.c_cflag |= s.data_bits == 7 ? flag(CS7) : flag(CS8);
    if (s.parity != parity::none) {
        t.c_cflag |= flag(PARENB);
    }
    if (s.parity == parity::odd) {
        t.c_cflag |= flag(PARODD);
    }
    if (s.stop_bits == 2) {
        t.c_cflag |= flag(CSTOPB);
    }
    // Input speed bits left at 0 mean "same as output" to the kernel.
    if (const auto code = standard_code(s.baud)) {
        t.c_cflag |= *code;
    } else {
        t.c_cflag |= bother;
    }
    t.c_ispeed = s.baud;
    t.c_ospeed = s.baud;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
}

constexpr line_settings decode(const kernel_termios2& t) noexcept {
    line_settings s;
    const std::uint32_t code = t.c_cflag & cbaud;
    const auto standard = standard_baud(code);
    s.baud = code == bother || !standard ? t.c_ospeed : *standard;
    // CS5..CS8 are 0, 020, 040, 060.
    s.data_bits = static_cast<std::uint8_t>(5U + ((t.c_cflag & flag(CSIZE)) >> 4U));
    if ((t.c_cflag & flag(PARENB)) == 0) {
        s.parity = parity::none;
    } else {
        s.parity = (t.c_cflag & flag(PARODD)) != 0 ? parity::odd : parity::even;
    }
    s.stop_bits = (t.c_cflag & flag(CSTOPB)) != 0 ? 2 : 1;
    return s;
}

inline int get_termios2(int fd, kernel_termios2& t) noexcept {
    return ::ioctl(fd, tcgets2, &t);
}
inline int set_termios2(int fd, const kernel_termios2& t) noexcept {
    return ::ioctl(fd, tcsets2, &t);
}

}  // namespace gw::transport::detail
