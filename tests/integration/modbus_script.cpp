// gw_modbus_script: a Modbus master built on libmodbus, for the integration tests. It runs a
// scripted list of requests on one connection and prints one line per request, so that a test
// can compare what libmodbus saw with what other masters saw.
//
//   gw_modbus_script tcp HOST PORT COMMAND...
//   gw_modbus_script rtu DEVICE BAUD COMMAND...      (8N1)
//
// Commands (numbers decimal, addresses 0-based):
//   unit:N             address unit N from now on (default 1)
//   rh:ADDR:COUNT      read holding registers (FC 3)     ri:ADDR:COUNT  read input registers (FC 4)
//   rc:ADDR:COUNT      read coils (FC 1)                 rd:ADDR:COUNT  read discrete inputs (FC 2)
//   wr:ADDR:VALUE      write one register (FC 6)         wc:ADDR:0|1    write one coil (FC 5)
//   wm:ADDR:V1,V2,...  write registers (FC 16)
// Output per command: "COMMAND ok [VALUES...]", "COMMAND exception N" (a Modbus exception, N
// decimal) or "COMMAND error TEXT". Exit code 0 when every command got an answer (exceptions
// are answers), 1 otherwise, 2 for a usage error.

#include <modbus/modbus.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct context_deleter {
    void operator()(modbus_t* ctx) const noexcept {
        modbus_close(ctx);
        modbus_free(ctx);
    }
};

bool parse_number(std::string_view text, long max, long& out) {
    long value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end || value < 0 || value > max) return false;
    out = value;
    return true;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    for (;;) {
        const auto at = text.find(separator);
        parts.push_back(text.substr(0, at));
        if (at == std::string_view::npos) return parts;
        text.remove_prefix(at + 1);
    }
}

/// The outcome of a failed libmodbus call: a Modbus exception (an answer) or an error.
struct failure {
    std::string text;
    bool answered;
};

failure last_failure() {
    const int e = errno;
    // libmodbus numbers exceptions MODBUS_ENOBASE + code (EMBXILFUN = +1 ... EMBXGTAR = +11).
    if (e > MODBUS_ENOBASE && e <= MODBUS_ENOBASE + 11) {
        return {"exception " + std::to_string(e - MODBUS_ENOBASE), true};
    }
    return {std::string("error ") + modbus_strerror(e), false};
}

/// Runs one command and prints its line; false when it got no answer (or was malformed).
bool run(modbus_t* ctx, std::string_view command) {
    const auto print = [&](const std::string& result) {
        std::printf("%.*s %s\n", static_cast<int>(command.size()), command.data(), result.c_str());
    };
    const auto fail = [&](const char* why) {
        print(std::string("error ") + why);
        return false;
    };
    const auto failed_call = [&] {
        const auto f = last_failure();
        print(f.text);
        return f.answered;
    };
    const auto fields = split(command, ':');
    long a = 0;
    long b = 0;
    if (fields.size() == 2 && fields[0] == "unit" && parse_number(fields[1], 247, a)) {
        modbus_set_slave(ctx, static_cast<int>(a));
        print("ok");
        return true;
    }
    if (fields.size() != 3 || !parse_number(fields[1], 65535, a)) return fail("malformed command");
    const auto op = fields[0];
    const int address = static_cast<int>(a);
    if (op == "rh" || op == "ri") {
        if (!parse_number(fields[2], 125, b)) return fail("bad count");
        std::vector<std::uint16_t> values(static_cast<std::size_t>(b) + 1);
        const int n =
            op == "rh"
                ? modbus_read_registers(ctx, address, static_cast<int>(b), values.data())
                : modbus_read_input_registers(ctx, address, static_cast<int>(b), values.data());
        if (n < 0) return failed_call();
        std::string out = "ok";
        for (int i = 0; i < n; ++i)
            out += " " + std::to_string(values[static_cast<std::size_t>(i)]);
        print(out);
        return true;
    }
    if (op == "rc" || op == "rd") {
        if (!parse_number(fields[2], 2000, b)) return fail("bad count");
        std::vector<std::uint8_t> bits(static_cast<std::size_t>(b) + 1);
        const int n = op == "rc"
                          ? modbus_read_bits(ctx, address, static_cast<int>(b), bits.data())
                          : modbus_read_input_bits(ctx, address, static_cast<int>(b), bits.data());
        if (n < 0) return failed_call();
        std::string out = "ok";
        for (int i = 0; i < n; ++i)
            out += bits[static_cast<std::size_t>(i)] != 0 ? " 1" : " 0";
        print(out);
        return true;
    }
    if (op == "wr" || op == "wc") {
        if (!parse_number(fields[2], op == "wr" ? 65535 : 1, b)) return fail("bad value");
        const int n = op == "wr"
                          ? modbus_write_register(ctx, address, static_cast<std::uint16_t>(b))
                          : modbus_write_bit(ctx, address, b != 0 ? 1 : 0);
        if (n < 0) return failed_call();
        print("ok");
        return true;
    }
    if (op == "wm") {
        std::vector<std::uint16_t> values;
        for (const auto v : split(fields[2], ',')) {
            if (!parse_number(v, 65535, b)) return fail("bad value");
            values.push_back(static_cast<std::uint16_t>(b));
        }
        const int n =
            modbus_write_registers(ctx, address, static_cast<int>(values.size()), values.data());
        if (n < 0) return failed_call();
        print("ok");
        return true;
    }
    return fail("unknown command");
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    long number = 0;
    if (args.size() < 3 || (args[0] != "tcp" && args[0] != "rtu") ||
        !parse_number(args[2], 4'000'000, number)) {
        std::fputs(
            "usage: gw_modbus_script tcp HOST PORT COMMAND... | rtu DEVICE BAUD COMMAND...\n",
            stderr);
        return 2;
    }
    const std::string where(args[1]);
    std::unique_ptr<modbus_t, context_deleter> ctx{
        args[0] == "tcp" ? modbus_new_tcp(where.c_str(), static_cast<int>(number))
                         : modbus_new_rtu(where.c_str(), static_cast<int>(number), 'N', 8, 1)};
    if (!ctx) {
        std::fprintf(stderr, "gw_modbus_script: %s\n", modbus_strerror(errno));
        return 2;
    }
    modbus_set_response_timeout(ctx.get(), 5, 0);
    modbus_set_slave(ctx.get(), 1);
    if (modbus_connect(ctx.get()) != 0) {
        std::fprintf(stderr, "gw_modbus_script: connect %s: %s\n", where.c_str(),
                     modbus_strerror(errno));
        return 1;
    }
    bool all_answered = true;
    for (std::size_t i = 3; i < args.size(); ++i) {
        all_answered = run(ctx.get(), args[i]) && all_answered;
        std::fflush(stdout);
    }
    return all_answered ? 0 : 1;
}
