// gw/transport/serial_port.hpp on a real pseudo-terminal: termios2 settings read back through
// the kernel, RS-485 and low latency degrading to warnings/notes, errors naming the device, and
// bytes through the port asynchronously and polled.
#include <gw/transport/detail/rs485.hpp>
#include <gw/transport/pty_pair.hpp>
#include <gw/transport/serial_port.hpp>

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "transport/fd_io.hpp"

namespace {

using gw::transport::parity;
using gw::transport::serial_settings;
namespace net = gw::net;

bool mentions(const std::vector<std::string>& lines, const std::string& word) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(word) != std::string::npos; });
}

serial_settings settings_for(const gw::transport::pty_pair& pty) {
    serial_settings s;
    s.device = pty.slave_path();
    s.exclusive = false;  // the tests open the same slave more than once
    return s;
}

// What the kernel holds for the line, read through the master side independently of the port.
gw::transport::detail::kernel_termios2 kernel_view(const gw::transport::pty_pair& pty) {
    gw::transport::detail::kernel_termios2 t{};
    REQUIRE(gw::transport::detail::get_termios2(pty.master(), t) == 0);
    return t;
}

}  // namespace

TEST_CASE("termios2 encoding: standard rates use Bxxx codes, others BOTHER") {
    using namespace gw::transport::detail;
    kernel_termios2 t{};
    t.c_iflag = ICRNL | IXON;
    t.c_lflag = ECHO | ICANON | ISIG;
    t.c_oflag = OPOST;
    make_raw(t, {19200, 8, parity::even, 1});
    CHECK((t.c_cflag & cbaud) == B19200);
    CHECK((t.c_cflag & flag(PARENB)) != 0);
    CHECK((t.c_cflag & flag(PARODD)) == 0);
    CHECK((t.c_cflag & flag(CSIZE)) == flag(CS8));
    CHECK((t.c_cflag & flag(CSTOPB)) == 0);
    CHECK(t.c_lflag == 0);
    CHECK(t.c_oflag == 0);
    CHECK(t.c_iflag == 0);
    CHECK(decode(t) == gw::transport::line_settings{19200, 8, parity::even, 1});

    make_raw(t, {250000, 7, parity::odd, 2});
    CHECK((t.c_cflag & cbaud) == bother);
    CHECK(t.c_ospeed == 250000);
    CHECK(decode(t) == gw::transport::line_settings{250000, 7, parity::odd, 2});
}

TEST_CASE("RS-485: delays in milliseconds reach struct serial_rs485 unchanged") {
    using namespace std::chrono_literals;
    gw::transport::rs485_settings rs;
    rs.enabled = true;
    for (const auto d : {0ms, 1ms, 7ms, gw::transport::max_rs485_delay}) {
        CAPTURE(d.count());
        rs.delay_before_send = d;
        rs.delay_after_send = d;
        const serial_rs485 conf = gw::transport::detail::to_kernel(rs);
        CHECK(conf.delay_rts_before_send == d.count());
        CHECK(conf.delay_rts_after_send == d.count());
        CHECK(conf.flags == (SER_RS485_ENABLED | SER_RS485_RTS_ON_SEND));
    }
}

TEST_CASE("RS-485: a delay the driver clamped or dropped is found in what it reads back") {
    using gw::transport::detail::delay_difference;
    serial_rs485 wanted{};
    wanted.flags = SER_RS485_ENABLED | SER_RS485_RTS_ON_SEND;
    wanted.delay_rts_before_send = 5;
    wanted.delay_rts_after_send = 2;
    serial_rs485 applied = wanted;
    applied.flags |= SER_RS485_TERMINATE_BUS;  // not ours to judge: a device tree may set it
    CHECK_FALSE(delay_difference(wanted, applied));
    CHECK(gw::transport::detail::flag_difference(wanted, applied) == 0);

    applied.delay_rts_after_send = 0;  // a UART without delay support
    const auto why = delay_difference(wanted, applied);
    REQUIRE(why);
    CHECK(*why == "RS-485 delay after send 2 ms requested, the driver applies 0 ms");
    applied = wanted;
    applied.delay_rts_before_send = 3;
    CHECK(delay_difference(wanted, applied) ==
          "RS-485 delay before send 5 ms requested, the driver applies 3 ms");

    applied = wanted;
    applied.flags = SER_RS485_ENABLED | SER_RS485_RTS_AFTER_SEND;  // RTS levels swapped
    CHECK(gw::transport::detail::flag_difference(wanted, applied) ==
          (SER_RS485_RTS_ON_SEND | SER_RS485_RTS_AFTER_SEND));
}

TEST_CASE("RS-485: a delay beyond what the kernel applies is refused before opening") {
    using namespace std::chrono_literals;
    gw::transport::pty_pair pty = gw::transport::pty_pair::create();
    net::io_context io;
    gw::transport::serial_port port(io);
    auto s = settings_for(pty);
    s.parity = parity::none;
    s.rs485.enabled = true;
    for (const auto d : {101ms, -1ms}) {
        CAPTURE(d.count());
        s.rs485.delay_before_send = d;
        const auto r = port.open(s);
        CHECK_FALSE(r);
        CHECK(r.message.find("RS-485 delays must be 0..100 ms") != std::string::npos);
        CHECK_FALSE(port.is_open());
    }
    s.rs485.delay_before_send = 100ms;  // the bound itself is fine (a pty then only warns)
    const auto r = port.open(s);
    CHECK_MESSAGE(r, r.message);
}

TEST_CASE("serial_port configures a pty through termios2 and reads the settings back") {
    net::io_context io;
    auto pty = gw::transport::pty_pair::create();
    gw::transport::serial_port port(io);

    SUBCASE("standard rate, 8 data bits, 1 stop bit") {
        auto s = settings_for(pty);
        s.baud = 9600;
        s.parity = parity::none;
        const auto r = port.open(s);
        REQUIRE_MESSAGE(r, r.message);
        CHECK(r.warnings.empty());
        gw::transport::error_code ec;
        const auto back = port.read_line_settings(ec);
        REQUIRE(back);
        CHECK(*back == gw::transport::line_settings{9600, 8, parity::none, 1});
        // The same through the classic termios API on the other side of the pty.
        termios classic{};
        REQUIRE(::tcgetattr(pty.master(), &classic) == 0);
        CHECK(::cfgetospeed(&classic) == B9600);
        CHECK((classic.c_cflag & CSIZE) == CS8);
        CHECK((classic.c_lflag & (ICANON | ECHO | ISIG)) == 0);
        CHECK((classic.c_oflag & OPOST) == 0);
    }
    SUBCASE("arbitrary rate through BOTHER, 2 stop bits") {
        auto s = settings_for(pty);
        s.baud = 12345;
        s.stop_bits = 2;
        s.parity = parity::none;
        const auto r = port.open(s);
        REQUIRE_MESSAGE(r, r.message);
        CHECK(r.warnings.empty());
        const auto t = kernel_view(pty);
        CHECK((t.c_cflag & gw::transport::detail::cbaud) == gw::transport::detail::bother);
        CHECK(t.c_ospeed == 12345);
        CHECK(t.c_ispeed == 12345);
        CHECK((t.c_cflag & CSTOPB) != 0);
        gw::transport::error_code ec;
        CHECK(port.read_line_settings(ec) ==
              gw::transport::line_settings{12345, 8, parity::none, 2});
    }
    SUBCASE("7 data bits: a pty forces 8, and the port says so") {
        auto s = settings_for(pty);
        s.data_bits = 7;
        s.parity = parity::none;
        const auto r = port.open(s);
        REQUIRE_MESSAGE(r, r.message);
        CHECK(mentions(r.warnings, "7 data bits requested, the driver set 8"));
    }
    SUBCASE("even parity is dropped by a pty, and the port says so") {
        auto s = settings_for(pty);  // Modbus default 19200 8E1
        const auto r = port.open(s);
        REQUIRE_MESSAGE(r, r.message);
        CHECK(mentions(r.warnings, "parity even requested"));
        gw::transport::error_code ec;
        CHECK(port.read_line_settings(ec)->parity == parity::none);
    }
    SUBCASE("RS-485 on a pty is a warning, not a failure") {
        auto s = settings_for(pty);
        s.parity = parity::none;
        s.rs485.enabled = true;
        s.rs485.delay_after_send = std::chrono::milliseconds{1};
        const auto r = port.open(s);
        REQUIRE_MESSAGE(r, r.message);
        CHECK(port.is_open());
        CHECK(mentions(r.warnings, "RS-485"));
        CHECK(mentions(r.warnings, s.device));
    }
    SUBCASE("low latency unavailable on a pty is a note") {
        auto s = settings_for(pty);
        s.parity = parity::none;
        s.low_latency = true;
        const auto r = port.open(s);
        REQUIRE_MESSAGE(r, r.message);
        CHECK(r.warnings.empty());
        CHECK(mentions(r.notes, "low-latency"));

        s.low_latency = false;
        const auto r2 = port.open(s);
        REQUIRE(r2);
        CHECK_FALSE(mentions(r2.notes, "low-latency"));
    }
    SUBCASE("apply reconfigures the open port") {
        auto s = settings_for(pty);
        s.parity = parity::none;
        REQUIRE(port.open(s));
        s.baud = 115200;
        s.device = "ignored";
        const auto r = port.apply(s);
        REQUIRE_MESSAGE(r, r.message);
        CHECK(port.device() == pty.slave_path());
        gw::transport::error_code ec;
        CHECK(port.read_line_settings(ec)->baud == 115200);
    }
}

TEST_CASE("serial_port errors name the device") {
    net::io_context io;
    gw::transport::serial_port port(io);
    serial_settings s;

    s.device = "/dev/gw-test-no-such-tty";
    auto r = port.open(s);
    CHECK_FALSE(r);
    CHECK(r.error == gw::transport::errno_code(ENOENT));
    CHECK(r.message.find("/dev/gw-test-no-such-tty") != std::string::npos);
    CHECK_FALSE(port.is_open());

    s.device = "/dev/null";  // opens, but is no tty
    r = port.open(s);
    CHECK_FALSE(r);
    CHECK(r.error == gw::transport::errno_code(ENOTTY));
    CHECK(r.message.find("/dev/null") != std::string::npos);
    CHECK(r.message.find("not a serial device") != std::string::npos);
    CHECK_FALSE(port.is_open());

    s.device = "/dev/null";
    s.data_bits = 6;
    r = port.open(s);
    CHECK(r.error == gw::transport::errno_code(EINVAL));
    CHECK(r.message.find("data bits") != std::string::npos);

    s.data_bits = 8;
    s.stop_bits = 3;
    CHECK(port.open(s).message.find("stop bits") != std::string::npos);
    s.stop_bits = 1;
    s.baud = 0;
    CHECK_FALSE(port.open(s));
    s.device.clear();
    s.baud = 9600;
    CHECK_FALSE(port.open(s));

    CHECK(port.apply(s).error == gw::transport::errno_code(EBADF));
}

TEST_CASE("exclusive access is requested with TIOCEXCL") {
    net::io_context io;
    auto pty = gw::transport::pty_pair::create();
    gw::transport::serial_port first(io);
    auto s = settings_for(pty);
    s.parity = parity::none;
    s.exclusive = true;
    const auto r = first.open(s);
    REQUIRE_MESSAGE(r, r.message);
    int exclusive = 0;
    REQUIRE(::ioctl(first.native_handle(), TIOCGEXCL, &exclusive) == 0);
    CHECK(exclusive != 0);
    if (::geteuid() != 0) {  // CAP_SYS_ADMIN ignores TIOCEXCL
        gw::transport::serial_port second(io);
        CHECK(second.open(s).error == gw::transport::errno_code(EBUSY));
    }
    first.close();

    s.exclusive = false;
    REQUIRE(first.open(s));
    REQUIRE(::ioctl(first.native_handle(), TIOCGEXCL, &exclusive) == 0);
    CHECK(exclusive == 0);
}

TEST_CASE("bytes flow through the serial port asynchronously") {
    net::io_context io;
    auto pty = gw::transport::pty_pair::create();
    gw::transport::serial_port port(io);
    auto s = settings_for(pty);
    s.parity = parity::none;
    REQUIRE(port.open(s));

    // Every byte value, including those a cooked tty would interpret (CR, ^C, XON/XOFF, EOF).
    std::vector<std::uint8_t> all(256);
    for (std::size_t i = 0; i < all.size(); ++i) {
        all[i] = static_cast<std::uint8_t>(i);
    }
    REQUIRE(gw::test::write_all(pty.master(), all));

    std::vector<std::uint8_t> received;
    std::array<std::uint8_t, 64> chunk{};
    std::function<void(gw::transport::error_code, std::size_t)> on_read =
        [&](gw::transport::error_code ec, std::size_t n) {
            REQUIRE_FALSE(ec);
            received.insert(received.end(), chunk.begin(),
                            chunk.begin() + static_cast<std::ptrdiff_t>(n));
            if (received.size() < all.size()) {
                port.async_read_some(net::buffer(chunk), on_read);
            }
        };
    port.async_read_some(net::buffer(chunk), on_read);
    io.run();
    CHECK(received == all);

    // And back: the port writes, the master side reads the same bytes.
    io.restart();
    std::size_t written = 0;
    net::async_write(port, net::buffer(all), [&](gw::transport::error_code ec, std::size_t n) {
        CHECK_FALSE(ec);
        written = n;
    });
    io.run();
    CHECK(written == all.size());
    CHECK(gw::test::read_exact(pty.master(), all.size()) == all);
}

TEST_CASE("polled use: read_some returns 0 when nothing is waiting") {
    net::io_context io;
    auto pty = gw::transport::pty_pair::create();
    gw::transport::serial_port port(io);
    auto s = settings_for(pty);
    s.parity = parity::none;
    REQUIRE(port.open(s));

    std::array<std::uint8_t, 16> in{};
    gw::transport::error_code ec;
    CHECK(port.read_some(in, ec) == 0);
    CHECK_FALSE(ec);

    const std::array<std::uint8_t, 3> req{0x01, 0x03, 0x00};
    CHECK(port.write_some(req) == req.size());
    CHECK(gw::test::read_exact(pty.master(), req.size()) ==
          std::vector<std::uint8_t>(req.begin(), req.end()));

    REQUIRE(gw::test::write_all(pty.master(), req));
    // Wait (guarded) for the bytes to be readable, then the polled read takes them.
    pollfd p{port.native_handle(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, gw::test::hang_guard_ms) == 1);
    CHECK(port.read_some(in, ec) == req.size());
    CHECK_FALSE(ec);
    CHECK(std::equal(req.begin(), req.end(), in.begin()));
}

TEST_CASE("serial_port adopts a pty master descriptor") {
    net::io_context io;
    auto pty = gw::transport::pty_pair::create();
    gw::transport::serial_port device_side(io);
    REQUIRE_FALSE(device_side.assign(pty.release_master(), "pty master"));
    CHECK(device_side.device() == "pty master");

    const std::array<std::uint8_t, 4> bytes{0x3A, 0x0D, 0x0A, 0x00};
    REQUIRE(gw::test::write_all(pty.slave(), bytes));
    std::array<std::uint8_t, 4> in{};
    std::size_t got = 0;
    net::async_read(device_side, net::buffer(in), [&](gw::transport::error_code ec, std::size_t n) {
        CHECK_FALSE(ec);
        got = n;
    });
    io.run();
    CHECK(got == 4);
    CHECK(in == bytes);
}
