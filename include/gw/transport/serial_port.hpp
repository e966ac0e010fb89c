#pragma once
// A Linux serial port for Modbus RTU/ASCII: a tty opened non-blocking, configured raw through
// termios2 (any baud rate), optionally with driver RS-485 direction control and low-latency
// receive, and driven asynchronously through a net::posix::stream_descriptor. It is both an
// async_stream (for the gateway's event loop) and a polled_byte_port (for a plain main loop).

#include <gw/transport/asio.hpp>
#include <gw/transport/async_stream.hpp>
#include <gw/transport/concepts.hpp>
#include <gw/transport/detail/concat.hpp>
#include <gw/transport/detail/rs485.hpp>
#include <gw/transport/detail/termios2.hpp>
#include <gw/transport/open_result.hpp>
#include <gw/transport/serial_settings.hpp>

#include <fcntl.h>
#include <linux/serial.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace gw::transport {

class serial_port {
public:
    using executor_type = net::any_io_executor;
    using native_handle_type = int;

    explicit serial_port(const executor_type& executor) : descriptor_(executor) {}

    template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, net::execution_context&>
    explicit serial_port(ExecutionContext& context) : descriptor_(context.get_executor()) {}

    serial_port(serial_port&& other) noexcept
        : descriptor_(std::move(other.descriptor_))
        , device_(std::move(other.device_))
        , exclusive_(std::exchange(other.exclusive_, false)) {}
    serial_port& operator=(serial_port&& other) noexcept {
        if (this != &other) {
            close();
            descriptor_ = std::move(other.descriptor_);
            device_ = std::move(other.device_);
            exclusive_ = std::exchange(other.exclusive_, false);
        }
        return *this;
    }
    serial_port(const serial_port&) = delete;
    serial_port& operator=(const serial_port&) = delete;
    ~serial_port() { close(); }

    /// Opens `settings.device` (O_NOCTTY: never become its controlling terminal) and configures
    /// it. Fails only when the port cannot be used as asked for framing; RS-485 or low latency
    /// the driver lacks become warnings/notes in the result.
    open_result open(const serial_settings& settings) {
        open_result result;
        if (const auto reason = invalid_reason(settings); !reason.empty()) {
            fail(result, settings.device, "invalid settings", errno_code(EINVAL), reason);
            return result;
        }
        close();
        const int fd = ::open(settings.device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            fail(result, settings.device, "open", errno_code(errno));
            return result;
        }
        bool exclusive = false;
        if (settings.exclusive) {
            exclusive = ::ioctl(fd, TIOCEXCL) == 0;
            if (!exclusive) {
                const auto ec = errno_code(errno);
                result.notes.push_back(
                    detail::concat({settings.device,
                                    ": exclusive access (TIOCEXCL) unavailable: ", ec.message()}));
            }
        }
        configure(fd, settings, result);
        if (!result) {
            release_exclusive(fd, exclusive);
            ::close(fd);
            return result;
        }
        error_code ec;
        descriptor_.assign(fd, ec);
        if (ec) {
            release_exclusive(fd, exclusive);
            ::close(fd);
            fail(result, settings.device, "register with the I/O context", ec);
            return result;
        }
        device_ = settings.device;
        exclusive_ = exclusive;
        return result;
    }

    /// Reconfigures the open port (settings.device is ignored).
    open_result apply(const serial_settings& settings) {
        open_result result;
        if (!is_open()) {
            fail(result, settings.device, "apply settings", errno_code(EBADF));
            return result;
        }
        serial_settings s = settings;
        s.device = device_;
        if (const auto reason = invalid_reason(s); !reason.empty()) {
            fail(result, device_, "invalid settings", errno_code(EINVAL), reason);
            return result;
        }
        configure(descriptor_.native_handle(), s, result);
        return result;
    }

    /// Adopts an already open tty descriptor (e.g. the master side of a pty_pair) without
    /// reconfiguring it. The port owns `fd` afterwards, also on failure.
    error_code assign(native_handle_type fd, std::string name) {
        close();
        const int flags = ::fcntl(fd, F_GETFL);
        if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
            const auto ec = errno_code(errno);
            ::close(fd);
            return ec;
        }
        error_code ec;
        descriptor_.assign(fd, ec);
        if (ec) {
            ::close(fd);
            return ec;
        }
        device_ = std::move(name);
        return {};
    }

    /// The framing the driver actually uses (a pty, e.g., drops parity).
    std::optional<line_settings> read_line_settings(error_code& ec) {
        detail::kernel_termios2 t{};
        if (detail::get_termios2(native_handle(), t) != 0) {
            ec = errno_code(errno);
            return std::nullopt;
        }
        ec = {};
        return detail::decode(t);
    }

    /// Drops bytes received but not read yet (stale replies after a timeout).
    error_code discard_input() {
        if (::tcflush(native_handle(), TCIFLUSH) != 0) {
            return errno_code(errno);
        }
        return {};
    }

    bool is_open() const { return descriptor_.is_open(); }
    const std::string& device() const noexcept { return device_; }
    native_handle_type native_handle() { return descriptor_.native_handle(); }
    executor_type get_executor() noexcept { return descriptor_.get_executor(); }

    /// Cancels pending asynchronous operations; they complete with operation_aborted.
    void cancel() {
        error_code ignored;
        descriptor_.cancel(ignored);
    }

    void close() {
        if (descriptor_.is_open()) {
            release_exclusive(descriptor_.native_handle(), exclusive_);
        }
        error_code ignored;
        descriptor_.close(ignored);
        device_.clear();
        exclusive_ = false;
    }

    template <class MutableBufferSequence,
              class ReadToken = net::default_completion_token_t<executor_type>>
    decltype(auto) async_read_some(const MutableBufferSequence& buffers,
                                   ReadToken&& token = ReadToken()) {
        return descriptor_.async_read_some(buffers, std::forward<ReadToken>(token));
    }

    template <class ConstBufferSequence,
              class WriteToken = net::default_completion_token_t<executor_type>>
    decltype(auto) async_write_some(const ConstBufferSequence& buffers,
                                    WriteToken&& token = WriteToken()) {
        return descriptor_.async_write_some(buffers, std::forward<WriteToken>(token));
    }

    /// Polled read: the bytes waiting now (0 when none). Errors other than "would block" go to ec;
    /// a hung-up line reports net::error::eof.
    std::size_t read_some(std::span<std::uint8_t> in, error_code& ec) noexcept {
        ec = {};
        for (;;) {
            const auto n = ::read(native_handle(), in.data(), in.size());
            if (n > 0) {
                return static_cast<std::size_t>(n);
            }
            if (n == 0) {
                if (!in.empty()) {
                    ec = net::error::eof;
                }
                return 0;
            }
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                ec = errno_code(errno);
            }
            return 0;
        }
    }

    /// Polled write: how many bytes the driver accepted now (possibly fewer than offered).
    std::size_t write_some(std::span<const std::uint8_t> out, error_code& ec) noexcept {
        ec = {};
        for (;;) {
            const auto n = ::write(native_handle(), out.data(), out.size());
            if (n >= 0) {
                return static_cast<std::size_t>(n);
            }
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                ec = errno_code(errno);
            }
            return 0;
        }
    }

    std::size_t read_some(std::span<std::uint8_t> in) noexcept {
        error_code ignored;
        return read_some(in, ignored);
    }
    std::size_t write_some(std::span<const std::uint8_t> out) noexcept {
        error_code ignored;
        return write_some(out, ignored);
    }

private:
    // The exclusive flag belongs to the tty, not to our descriptor: it outlives close() while
    // anyone else (a pty's master side) keeps the tty alive, so give it back explicitly.
    static void release_exclusive(int fd, bool exclusive) noexcept {
        if (exclusive) {
            ::ioctl(fd, TIOCNXCL);
        }
    }

    static void fail(open_result& result, const std::string& device, std::string_view step,
                     error_code ec, std::string_view reason = {}) {
        result.error = ec;
        const auto why = reason.empty() ? ec.message() : std::string(reason);
        result.message = detail::concat({"serial ", device, ": ", step, ": ", why});
    }

    static void configure(int fd, const serial_settings& settings, open_result& result) {
        const auto& dev = settings.device;
        detail::kernel_termios2 t{};
        if (detail::get_termios2(fd, t) != 0) {
            fail(result, dev, "not a serial device (TCGETS2)", errno_code(errno));
            return;
        }
        const line_settings wanted = line_settings_of(settings);
        detail::make_raw(t, wanted);
        if (detail::set_termios2(fd, t) != 0) {
            fail(result, dev, "configure line (TCSETS2)", errno_code(errno));
            return;
        }
        // Drivers adjust silently (a pty clears PARENB, a UART rounds odd rates): compare.
        detail::kernel_termios2 back{};
        if (detail::get_termios2(fd, back) != 0) {
            fail(result, dev, "read back line settings (TCGETS2)", errno_code(errno));
            return;
        }
        report_differences(dev, wanted, detail::decode(back), result);

        if (settings.rs485.enabled) {
            configure_rs485(fd, settings, result);
            if (!result) {
                return;
            }
        }
        if (settings.low_latency) {
            configure_low_latency(fd, dev, result);
        }
        // Bytes that arrived before we owned the line belong to nobody.
        ::tcflush(fd, TCIOFLUSH);
    }

    static void report_differences(const std::string& dev, const line_settings& wanted,
                                   const line_settings& got, open_result& result) {
        using detail::concat;
        using std::to_string;
        if (got.baud != wanted.baud) {
            result.warnings.push_back(concat({dev, ": baud rate ", to_string(wanted.baud),
                                              " requested, the driver set ", to_string(got.baud)}));
        }
        if (got.data_bits != wanted.data_bits) {
            result.warnings.push_back(
                concat({dev, ": ", to_string(wanted.data_bits),
                        " data bits requested, the driver set ", to_string(got.data_bits)}));
        }
        if (got.parity != wanted.parity) {
            result.warnings.push_back(
                concat({dev, ": parity ", transport::to_string(wanted.parity),
                        " requested, the driver reports ", transport::to_string(got.parity)}));
        }
        if (got.stop_bits != wanted.stop_bits) {
            result.warnings.push_back(
                concat({dev, ": ", to_string(wanted.stop_bits),
                        " stop bits requested, the driver set ", to_string(got.stop_bits)}));
        }
    }

    static bool not_supported(int err) noexcept {
        // A driver without the ioctl answers ENOTTY (the kernel's ENOIOCTLCMD becomes ENOTTY).
        return err == ENOTTY || err == EOPNOTSUPP || err == ENOSYS;
    }

    static void configure_rs485(int fd, const serial_settings& settings, open_result& result) {
        const auto& dev = settings.device;
        const serial_rs485 wanted = detail::to_kernel(settings.rs485);
        serial_rs485 conf = wanted;
        if (::ioctl(fd, TIOCSRS485, &conf) != 0) {
            const int err = errno;
            if (not_supported(err)) {
                result.warnings.push_back(detail::concat(
                    {dev, ": RS-485 mode requested but the driver does not support it (",
                     errno_code(err).message(),
                     "); the line runs without automatic direction control"}));
                return;
            }
            fail(result, dev, "enable RS-485 (TIOCSRS485)", errno_code(err));
            return;
        }
        // Drivers clamp delays and adjust flags without failing: read back what is in effect.
        serial_rs485 applied{};
        if (::ioctl(fd, TIOCGRS485, &applied) != 0) {
            fail(result, dev, "read back RS-485 settings (TIOCGRS485)", errno_code(errno));
            return;
        }
        if (const auto why = detail::delay_difference(wanted, applied)) {
            fail(result, dev, "RS-485", errno_code(EINVAL), *why);
            return;
        }
        if (detail::flag_difference(wanted, applied) != 0) {
            result.warnings.push_back(detail::concat(
                {dev, ": the driver adjusted the RS-485 flags from ", std::to_string(wanted.flags),
                 " to ", std::to_string(applied.flags)}));
        }
    }

    static void configure_low_latency(int fd, const std::string& dev, open_result& result) {
        serial_struct ss{};
        const auto unavailable = [&](std::string_view call) {
            const auto ec = errno_code(errno);
            result.notes.push_back(detail::concat({dev, ": low-latency mode not available (", call,
                                                   ": ", ec.message(), "), ignored"}));
        };
        if (::ioctl(fd, TIOCGSERIAL, &ss) != 0) {
            unavailable("TIOCGSERIAL");
            return;
        }
        constexpr int low_latency = static_cast<int>(ASYNC_LOW_LATENCY);  // an unsigned macro
        if ((ss.flags & low_latency) != 0) {
            return;
        }
        ss.flags |= low_latency;
        if (::ioctl(fd, TIOCSSERIAL, &ss) != 0) {
            unavailable("TIOCSSERIAL");
        }
    }

    net::posix::stream_descriptor descriptor_;
    std::string device_;
    bool exclusive_ = false;
};

static_assert(async_stream<serial_port>);
static_assert(polled_byte_port<serial_port>);

}  // namespace gw::transport
