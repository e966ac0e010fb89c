// codec_bench: gw's CRC-16 and RTU frame decoding against libmodbus 3.1.6 (Debian's
// libmodbus-dev), in one run. docs/benchmarks.md says what each benchmark measures; in short:
//
//   crc16/*            gw::crc16 (run-time slice-by-8) and gw::detail::crc16_bitwise (the loop
//                      constant evaluation uses) over a buffer: pure CRC throughput.
//   send/memory/*      build an RTU ADU (unit + PDU + CRC) and hand it to write():
//                      libmodbus's modbus_send_raw_request against gw::encode_rtu + write().
//                      libmodbus's crc16() is static and not exported, so this is the shortest
//                      public path through it. The write() both sides call is interposed (see
//                      "syscall shim" below) for one file descriptor and returns at once, so
//                      the figure is libmodbus's own user-space code as shipped, without the
//                      kernel.
//   send/pty/*         the same with a real write() into a pty (manual time: only the send).
//   decode/memory/*    one RTU frame decoded and checked: gw::rtu_framer + validate_request /
//                      validate_response, against modbus_receive / modbus_receive_confirmation
//                      fed by the interposed select()/read() from memory.
//   decode/pty/*       the same frame written into a pty beforehand; timed from "the frame is
//                      readable on the slave side" to "decoded and checked": gw's read() +
//                      framer + validation against libmodbus's select()/read() sequence + its
//                      length computation + CRC check.
//   transaction/memory/*  a master's whole FC 3 transaction in memory: encode request, decode
//                      and check the reply, copy the registers out (modbus_read_registers).
//
// Run with --benchmark_repetitions=N --benchmark_enable_random_interleaving=true so that the
// two sides of every comparison alternate during the run (bench/run.sh does).
//
// No libmodbus source is copied here: libmodbus is only called through its public API.

#include <gw/codec/crc16.hpp>
#include <gw/codec/pdu.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/core/endian.hpp>

#include <benchmark/benchmark.h>
#include <modbus.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

// ------------------------------------------------------------------------------------------------
// Syscall shim. The executable defines read(), write() and select(); the dynamic linker binds
// libmodbus's calls to these definitions (an executable's symbols come first in lookup order).
// For the one descriptor shim::fd they serve bytes from memory / swallow the bytes, without
// entering the kernel; every other descriptor goes to the C library's functions unchanged.
// That isolates libmodbus's own work (framing steps, length computation, CRC) from the system
// calls it makes, and gw's side calls the same shimmed write() so both pay the same call.
namespace shim {

int fd = -1;                           // the descriptor served from memory (an open /dev/null)
const std::uint8_t* source = nullptr;  // what read() on fd returns next
std::size_t source_left = 0;
std::uint8_t last_written[300];  // the last buffer written to fd (checked once)
std::size_t last_written_size = 0;
std::vector<std::size_t>* record_reads = nullptr;  // when set: the size of each read() on fd

using read_fn = ssize_t (*)(int, void*, std::size_t);
using write_fn = ssize_t (*)(int, const void*, std::size_t);
using select_fn = int (*)(int, fd_set*, fd_set*, fd_set*, timeval*);

template <class F>
F next_symbol(const char* name) {
    void* p = dlsym(RTLD_NEXT, name);
    if (p == nullptr) {
        std::abort();
    }
    F f;
    std::memcpy(&f, &p, sizeof f);
    return f;
}

read_fn real_read() {
    static const read_fn f = next_symbol<read_fn>("read");
    return f;
}
write_fn real_write() {
    static const write_fn f = next_symbol<write_fn>("write");
    return f;
}
select_fn real_select() {
    static const select_fn f = next_symbol<select_fn>("select");
    return f;
}

void serve(std::span<const std::uint8_t> bytes) {
    source = bytes.data();
    source_left = bytes.size();
}

}  // namespace shim

extern "C" ssize_t read(int fd, void* buf, std::size_t n) {
    if (fd == shim::fd && fd >= 0) {
        if (shim::record_reads != nullptr) {
            shim::record_reads->push_back(n);
        }
        const std::size_t k = n < shim::source_left ? n : shim::source_left;
        std::memcpy(buf, shim::source, k);
        shim::source += k;
        shim::source_left -= k;
        return static_cast<ssize_t>(k);
    }
    return shim::real_read()(fd, buf, n);
}

extern "C" ssize_t write(int fd, const void* buf, std::size_t n) {
    if (fd == shim::fd && fd >= 0) {
        // Keep a copy of short frames only: the check in main() needs one, and a copy of 256
        // bytes per call would add to both sides what neither does in production.
        if (n <= 8) {
            std::memcpy(shim::last_written, buf, n);
            shim::last_written_size = n;
        }
        return static_cast<ssize_t>(n);
    }
    return shim::real_write()(fd, buf, n);
}

extern "C" int select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
                      timeval* timeout) {
    if (shim::fd >= 0 && shim::fd < nfds && readfds != nullptr && FD_ISSET(shim::fd, readfds)) {
        if (shim::source_left == 0) {
            errno = ETIMEDOUT;  // would block forever: a bug in the benchmark
            return -1;
        }
        return 1;  // readfds already holds exactly shim::fd
    }
    return shim::real_select()(nfds, readfds, writefds, exceptfds, timeout);
}

namespace {

using bytes = std::vector<std::uint8_t>;

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "codec_bench: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

// ---- test frames --------------------------------------------------------------------------

bytes rtu(std::uint8_t unit, const bytes& pdu) {
    bytes out(pdu.size() + 3);
    if (gw::encode_rtu(unit, pdu, out) != out.size()) {
        std::abort();
    }
    return out;
}

/// FC 3 request: 10 holding registers from 100 (8-byte ADU).
const bytes fc3_request_pdu{0x03, 0x00, 0x64, 0x00, 0x0A};

/// FC 3 response to it: 10 registers (25-byte ADU).
bytes fc3_response_pdu() {
    bytes p{0x03, 20};
    for (std::uint8_t i = 0; i < 10; ++i) {
        p.push_back(0x00);
        p.push_back(static_cast<std::uint8_t>(100 + i));
    }
    return p;
}

/// FC 16 request: 123 registers (the most one request may write) from 0: a 255-byte ADU,
/// the largest FC 16 frame (RTU's 256-byte maximum is reached only by FC 20/21/23 or
/// user-defined codes).
bytes fc16_request_pdu() {
    bytes p{0x10, 0x00, 0x00, 0x00, 123, 246};
    for (std::size_t i = 0; i < 123; ++i) {
        p.push_back(static_cast<std::uint8_t>(i >> 8));
        p.push_back(static_cast<std::uint8_t>(i));
    }
    return p;
}

struct frame_case {
    const char* name;
    gw::pdu_direction direction;
    bytes adu;
    bytes request_pdu;                           // the request a response answers (responses only)
    std::vector<std::size_t> libmodbus_reads{};  // the read() sizes libmodbus uses (check_setup)
};

std::vector<frame_case>& frame_cases() {
    static std::vector<frame_case> cases{
        {"fc3_request_8B", gw::pdu_direction::request, rtu(1, fc3_request_pdu), {}},
        {"fc3_response_25B", gw::pdu_direction::response, rtu(1, fc3_response_pdu()),
         fc3_request_pdu},
        {"fc16_request_255B", gw::pdu_direction::request, rtu(1, fc16_request_pdu()), {}},
    };
    return cases;
}

// A buffer of pseudo-random bytes for the CRC runs.
const bytes& random_bytes() {
    static const bytes data = [] {
        bytes d(4096);
        std::uint32_t x = 0x12345678;
        for (auto& b : d) {
            x = x * 1664525U + 1013904223U;
            b = static_cast<std::uint8_t>(x >> 24);
        }
        return d;
    }();
    return data;
}

// ---- gw's decode path ---------------------------------------------------------------------

/// gw's receive side of one channel: the framer plus validation, as the router uses them.
struct gw_decoder {
    gw::rtu_framer framer;
    std::chrono::microseconds now{0};

    explicit gw_decoder(gw::pdu_direction dir)
        : framer{dir, gw::rtu_framing::predicted, gw::rtu_timing_for_baud(19200)} {}

    /// Feeds bytes; true when a frame completed (and was validated, `ok`).
    bool put(std::span<const std::uint8_t> in, std::span<const std::uint8_t> request, bool& ok) {
        for (;;) {
            const auto r = framer.put(in, now);
            in = in.subspan(r.consumed);
            if (r.status == gw::decode_status::frame) {
                ok = request.empty() ? !gw::validate_request(framer.pdu()).has_value()
                                     : gw::validate_response(request, framer.pdu());
                return true;
            }
            if (r.status == gw::decode_status::need_more) {
                return false;
            }
        }
    }
};

// ---- ptys ---------------------------------------------------------------------------------

struct pty {
    int master = -1;
    int slave = -1;
    std::string slave_path;

    pty() {
        std::array<char, 128> name{};
        if (openpty(&master, &slave, name.data(), nullptr, nullptr) != 0) {
            die("openpty");
        }
        slave_path = name.data();
        termios t{};
        tcgetattr(slave, &t);
        cfmakeraw(&t);
        tcsetattr(slave, TCSANOW, &t);
    }
    pty(const pty&) = delete;
    pty& operator=(const pty&) = delete;
    ~pty() {
        ::close(master);
        ::close(slave);
    }
};

int readable(int fd) {
    int n = 0;
    if (ioctl(fd, FIONREAD, &n) != 0) {
        die("FIONREAD");
    }
    return n;
}

/// Blocks until `size` bytes are waiting on `fd` (a pty hands bytes over from a kernel worker).
void wait_readable(int fd, std::size_t size) {
    while (static_cast<std::size_t>(readable(fd)) < size) {
        pollfd p{fd, POLLIN, 0};
        ::poll(&p, 1, 1000);
        if (readable(fd) < static_cast<int>(size)) {
            sched_yield();
        }
    }
}

void write_all(int fd, std::span<const std::uint8_t> data) {
    while (!data.empty()) {
        const auto n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            die("write");
        }
        data = data.subspan(static_cast<std::size_t>(n));
    }
}

void drain(int fd, std::size_t size) {
    std::array<std::uint8_t, 1024> buf{};
    while (size > 0) {
        wait_readable(fd, 1);
        const auto n = ::read(fd, buf.data(), std::min(size, buf.size()));
        if (n <= 0) {
            die("read");
        }
        size -= static_cast<std::size_t>(n);
    }
}

using bench_clock = std::chrono::steady_clock;

double seconds_since(bench_clock::time_point start) {
    return std::chrono::duration<double>(bench_clock::now() - start).count();
}

// ---- libmodbus contexts -------------------------------------------------------------------

struct libmodbus_ctx {
    modbus_t* ctx = nullptr;
    libmodbus_ctx(const char* device, int fd) {
        ctx = modbus_new_rtu(device, 19200, 'N', 8, 1);
        if (ctx == nullptr) {
            die("modbus_new_rtu");
        }
        modbus_set_slave(ctx, 1);
        if (fd >= 0) {
            modbus_set_socket(ctx, fd);
        } else if (modbus_connect(ctx) != 0) {
            std::fprintf(stderr, "codec_bench: modbus_connect %s: %s\n", device,
                         modbus_strerror(errno));
            std::exit(1);
        }
    }
    libmodbus_ctx(const libmodbus_ctx&) = delete;
    libmodbus_ctx& operator=(const libmodbus_ctx&) = delete;
    ~libmodbus_ctx() {
        if (modbus_get_socket(ctx) != shim::fd) {
            modbus_close(ctx);
        }
        modbus_free(ctx);
    }
};

// ---- CRC ----------------------------------------------------------------------------------

void crc16_gw_sliced(benchmark::State& state) {
    const auto data = std::span<const std::uint8_t>(random_bytes())
                          .first(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        const std::uint8_t* p = data.data();
        benchmark::DoNotOptimize(p);
        benchmark::DoNotOptimize(gw::crc16({p, data.size()}));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void crc16_gw_bitwise(benchmark::State& state) {
    const auto data = std::span<const std::uint8_t>(random_bytes())
                          .first(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        const std::uint8_t* p = data.data();
        benchmark::DoNotOptimize(p);
        benchmark::DoNotOptimize(gw::detail::crc16_bitwise(gw::crc16_init, {p, data.size()}));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

// ---- send: build the ADU (CRC included) and write it --------------------------------------

/// range(0) = ADU size (unit + PDU + CRC); the PDU is a user-defined code with data so any
/// size from 4 to 256 is a valid frame for both libraries.
bytes raw_request(std::size_t adu_size) {
    bytes raw(adu_size - 2);  // unit + PDU, what modbus_send_raw_request takes
    raw[0] = 1;
    raw[1] = 0x41;  // user-defined function 65
    for (std::size_t i = 2; i < raw.size(); ++i) {
        raw[i] = random_bytes()[i];
    }
    return raw;
}

void send_memory_libmodbus(benchmark::State& state) {
    const auto raw = raw_request(static_cast<std::size_t>(state.range(0)));
    libmodbus_ctx m("/dev/null", shim::fd);
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            modbus_send_raw_request(m.ctx, raw.data(), static_cast<int>(raw.size())));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void send_memory_gw(benchmark::State& state) {
    const auto raw = raw_request(static_cast<std::size_t>(state.range(0)));
    std::array<std::uint8_t, 256> out{};
    const auto pdu = std::span<const std::uint8_t>(raw).subspan(1);
    for (auto _ : state) {
        const std::size_t n = gw::encode_rtu(raw[0], pdu, out);
        benchmark::DoNotOptimize(::write(shim::fd, out.data(), n));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void send_pty_libmodbus(benchmark::State& state) {
    const auto raw = raw_request(static_cast<std::size_t>(state.range(0)));
    pty p;
    libmodbus_ctx m(p.slave_path.c_str(), -1);
    for (auto _ : state) {
        const auto start = bench_clock::now();
        const int n = modbus_send_raw_request(m.ctx, raw.data(), static_cast<int>(raw.size()));
        state.SetIterationTime(seconds_since(start));
        if (n != state.range(0)) {
            state.SkipWithError("send failed");
            break;
        }
        drain(p.master, static_cast<std::size_t>(n));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void send_pty_gw(benchmark::State& state) {
    const auto raw = raw_request(static_cast<std::size_t>(state.range(0)));
    pty p;
    std::array<std::uint8_t, 256> out{};
    const auto pdu = std::span<const std::uint8_t>(raw).subspan(1);
    for (auto _ : state) {
        const auto start = bench_clock::now();
        const std::size_t n = gw::encode_rtu(raw[0], pdu, out);
        const auto w = ::write(p.slave, out.data(), n);
        state.SetIterationTime(seconds_since(start));
        if (w != state.range(0)) {
            state.SkipWithError("send failed");
            break;
        }
        drain(p.master, n);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

// ---- decode one frame ---------------------------------------------------------------------

void decode_memory_gw(benchmark::State& state) {
    const auto& c = frame_cases()[static_cast<std::size_t>(state.range(0))];
    state.SetLabel(c.name);
    gw_decoder d{c.direction};
    bool ok = false;
    for (auto _ : state) {
        d.now += std::chrono::microseconds{1000};
        const std::uint8_t* p = c.adu.data();
        benchmark::DoNotOptimize(p);
        if (!d.put({p, c.adu.size()}, c.request_pdu, ok) || !ok) {
            state.SkipWithError("gw did not decode the frame");
            break;
        }
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(c.adu.size()));
}

void decode_memory_libmodbus(benchmark::State& state) {
    const auto& c = frame_cases()[static_cast<std::size_t>(state.range(0))];
    state.SetLabel(c.name);
    libmodbus_ctx m("/dev/null", shim::fd);
    std::array<std::uint8_t, MODBUS_RTU_MAX_ADU_LENGTH> buf{};
    const bool request = c.direction == gw::pdu_direction::request;
    for (auto _ : state) {
        shim::serve(c.adu);
        const int n = request ? modbus_receive(m.ctx, buf.data())
                              : modbus_receive_confirmation(m.ctx, buf.data());
        if (n != static_cast<int>(c.adu.size())) {
            state.SkipWithError("libmodbus did not decode the frame");
            break;
        }
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(c.adu.size()));
}

/// What the shim itself costs in decode/memory/libmodbus: the same select() and read() calls
/// libmodbus makes for the frame (recorded in check_setup), without libmodbus. Subtract it to
/// get libmodbus's own work.
void decode_memory_shim_calls(benchmark::State& state) {
    const auto& c = frame_cases()[static_cast<std::size_t>(state.range(0))];
    state.SetLabel(c.name);
    std::array<std::uint8_t, MODBUS_RTU_MAX_ADU_LENGTH> buf{};
    fd_set set;
    for (auto _ : state) {
        shim::serve(c.adu);
        std::size_t at = 0;
        for (const std::size_t n : c.libmodbus_reads) {
            FD_ZERO(&set);
            FD_SET(shim::fd, &set);
            benchmark::DoNotOptimize(::select(shim::fd + 1, &set, nullptr, nullptr, nullptr));
            at += static_cast<std::size_t>(::read(shim::fd, buf.data() + at, n));
        }
        benchmark::DoNotOptimize(at);
        benchmark::ClobberMemory();
    }
}

void decode_pty_gw(benchmark::State& state) {
    const auto& c = frame_cases()[static_cast<std::size_t>(state.range(0))];
    state.SetLabel(c.name);
    pty p;
    gw_decoder d{c.direction};
    std::array<std::uint8_t, 512> rx{};
    bool ok = false;
    for (auto _ : state) {
        write_all(p.master, c.adu);
        wait_readable(p.slave, c.adu.size());
        const auto start = bench_clock::now();
        bool done = false;
        while (!done) {
            const auto n = ::read(p.slave, rx.data(), rx.size());
            if (n <= 0) {
                die("read");
            }
            // As the gateway's channel driver does: one clock reading per read().
            d.now = std::chrono::duration_cast<std::chrono::microseconds>(
                bench_clock::now().time_since_epoch());
            done = d.put({rx.data(), static_cast<std::size_t>(n)}, c.request_pdu, ok);
        }
        state.SetIterationTime(seconds_since(start));
        if (!ok) {
            state.SkipWithError("gw rejected the frame");
            break;
        }
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(c.adu.size()));
}

void decode_pty_libmodbus(benchmark::State& state) {
    const auto& c = frame_cases()[static_cast<std::size_t>(state.range(0))];
    state.SetLabel(c.name);
    pty p;
    libmodbus_ctx m(p.slave_path.c_str(), -1);
    std::array<std::uint8_t, MODBUS_RTU_MAX_ADU_LENGTH> buf{};
    const bool request = c.direction == gw::pdu_direction::request;
    for (auto _ : state) {
        write_all(p.master, c.adu);
        wait_readable(modbus_get_socket(m.ctx), c.adu.size());
        const auto start = bench_clock::now();
        const int n = request ? modbus_receive(m.ctx, buf.data())
                              : modbus_receive_confirmation(m.ctx, buf.data());
        state.SetIterationTime(seconds_since(start));
        if (n != static_cast<int>(c.adu.size())) {
            state.SkipWithError("libmodbus did not decode the frame");
            break;
        }
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(c.adu.size()));
}

// ---- a master's FC 3 transaction in memory ------------------------------------------------

void transaction_memory_libmodbus(benchmark::State& state) {
    const bytes reply = rtu(1, fc3_response_pdu());
    libmodbus_ctx m("/dev/null", shim::fd);
    std::array<std::uint16_t, 10> regs{};
    for (auto _ : state) {
        shim::serve(reply);
        if (modbus_read_registers(m.ctx, 100, 10, regs.data()) != 10) {
            state.SkipWithError("modbus_read_registers failed");
            break;
        }
        benchmark::DoNotOptimize(regs);
    }
}

void transaction_memory_gw(benchmark::State& state) {
    const bytes reply = rtu(1, fc3_response_pdu());
    gw_decoder d{gw::pdu_direction::response};
    std::array<std::uint8_t, 8> request{};
    std::array<std::uint16_t, 10> regs{};
    bool ok = false;
    for (auto _ : state) {
        const std::size_t n = gw::encode_rtu(1, fc3_request_pdu, request);
        ::write(shim::fd, request.data(), n);
        d.now += std::chrono::microseconds{1000};
        const std::uint8_t* p = reply.data();
        benchmark::DoNotOptimize(p);
        if (!d.put({p, reply.size()}, std::span<const std::uint8_t>(request).subspan(1, 5), ok) ||
            !ok) {
            state.SkipWithError("gw did not decode the reply");
            break;
        }
        const auto pdu = d.framer.pdu();
        for (std::size_t i = 0; i < regs.size(); ++i) {
            regs[i] = gw::get_u16(pdu, 2 + 2 * i);
        }
        benchmark::DoNotOptimize(regs);
    }
}

// Names are "<what>/<path>/<side>" so that bench/run.sh can pair the sides.
void register_all() {
    for (const auto size : {8, 25, 64, 256, 4096}) {
        benchmark::RegisterBenchmark("crc16/gw_sliced", crc16_gw_sliced)->Arg(size);
        benchmark::RegisterBenchmark("crc16/gw_bitwise", crc16_gw_bitwise)->Arg(size);
    }
    for (const auto size : {4, 8, 25, 64, 256}) {
        benchmark::RegisterBenchmark("send/memory/libmodbus", send_memory_libmodbus)->Arg(size);
        benchmark::RegisterBenchmark("send/memory/gw", send_memory_gw)->Arg(size);
    }
    for (const auto size : {8, 256}) {
        // Pty runs: the untimed part of an iteration (draining the other side) is long, so a
        // shorter timed minimum keeps a repetition under a second.
        benchmark::RegisterBenchmark("send/pty/libmodbus", send_pty_libmodbus)
            ->Arg(size)
            ->UseManualTime()
            ->MinTime(0.02);
        benchmark::RegisterBenchmark("send/pty/gw", send_pty_gw)
            ->Arg(size)
            ->UseManualTime()
            ->MinTime(0.02);
    }
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(frame_cases().size()); ++i) {
        benchmark::RegisterBenchmark("decode/memory/gw", decode_memory_gw)->Arg(i);
        benchmark::RegisterBenchmark("decode/memory/libmodbus", decode_memory_libmodbus)->Arg(i);
        benchmark::RegisterBenchmark("decode/memory/shim_calls", decode_memory_shim_calls)->Arg(i);
        benchmark::RegisterBenchmark("decode/pty/gw", decode_pty_gw)
            ->Arg(i)
            ->UseManualTime()
            ->MinTime(0.02);
        benchmark::RegisterBenchmark("decode/pty/libmodbus", decode_pty_libmodbus)
            ->Arg(i)
            ->UseManualTime()
            ->MinTime(0.02);
    }
    benchmark::RegisterBenchmark("transaction/memory/gw", transaction_memory_gw);
    benchmark::RegisterBenchmark("transaction/memory/libmodbus", transaction_memory_libmodbus);
}

/// The shim must really be in libmodbus's path, and libmodbus must compute the CRC gw does.
void check_setup() {
    libmodbus_ctx m("/dev/null", shim::fd);
    const auto raw = raw_request(8);
    if (modbus_send_raw_request(m.ctx, raw.data(), static_cast<int>(raw.size())) != 8 ||
        shim::last_written_size != 8 ||
        !gw::crc16_ok({shim::last_written, shim::last_written_size})) {
        std::fprintf(stderr, "codec_bench: the write() shim did not see libmodbus's frame\n");
        std::exit(1);
    }
    std::array<std::uint8_t, MODBUS_RTU_MAX_ADU_LENGTH> buf{};
    for (auto& c : frame_cases()) {
        shim::serve(c.adu);
        shim::record_reads = &c.libmodbus_reads;
        const int n = c.direction == gw::pdu_direction::request
                          ? modbus_receive(m.ctx, buf.data())
                          : modbus_receive_confirmation(m.ctx, buf.data());
        shim::record_reads = nullptr;
        if (n != static_cast<int>(c.adu.size()) || shim::source_left != 0) {
            std::fprintf(stderr, "codec_bench: libmodbus did not read %s through the shim\n",
                         c.name);
            std::exit(1);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    shim::fd = ::open("/dev/null", O_RDWR);
    if (shim::fd < 0) {
        die("/dev/null");
    }
    check_setup();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::AddCustomContext("libmodbus", LIBMODBUS_VERSION_STRING);
    register_all();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
