// Startup code for the LM3S6965 (Cortex-M3): the vector table, the stack and the reset handler.
// No assembler and no C library startup for the firmware: the reset handler copies .data from
// flash, zeroes .bss, runs the static constructors and calls firmware_main. The semihosted test
// images (GW_BM_SEMIHOSTED) copy .data and then hand over to newlib's rdimon crt0, which zeroes
// .bss, sets up the heap, runs the constructors and turns main's return value into QEMU's exit
// code.
//
// Compiled with -fno-tree-loop-distribute-patterns: the copy loops below must not become calls
// to memcpy/memset, which may not be usable before .data and .bss exist.

#include <cstddef>
#include <cstdint>

#ifndef GW_BM_STACK_SIZE
#define GW_BM_STACK_SIZE 2048
#endif

using handler = void (*)();

extern "C" {
// Provided by lm3s6965.ld.
extern std::uint32_t __stack_top__[];
extern std::uint32_t __data_start__[];
extern std::uint32_t __data_end__[];
extern const std::uint32_t __data_load__[];
extern std::uint32_t __bss_start__[];
extern std::uint32_t __bss_end__[];
extern const handler __preinit_array_start[];
extern const handler __preinit_array_end[];
extern const handler __init_array_start[];
extern const handler __init_array_end[];

#ifdef GW_BM_SEMIHOSTED
[[noreturn]] void _mainCRTStartup();  // newlib rdimon crt0
[[noreturn]] void _exit(int);
#else
// The firmware's entry point (ISO C++ does not let a program call main itself).
[[noreturn]] void firmware_main();
#endif

[[noreturn]] void reset_handler();
void default_handler();
// Every handler can be overridden by a strong definition elsewhere (the drivers define
// systick_handler, uart0_handler, uart1_handler).
void nmi_handler() __attribute__((weak, alias("default_handler")));
void hard_fault_handler() __attribute__((weak, alias("default_handler")));
void mem_manage_handler() __attribute__((weak, alias("default_handler")));
void bus_fault_handler() __attribute__((weak, alias("default_handler")));
void usage_fault_handler() __attribute__((weak, alias("default_handler")));
void svc_handler() __attribute__((weak, alias("default_handler")));
void debug_mon_handler() __attribute__((weak, alias("default_handler")));
void pendsv_handler() __attribute__((weak, alias("default_handler")));
void systick_handler() __attribute__((weak, alias("default_handler")));
void uart0_handler() __attribute__((weak, alias("default_handler")));
void uart1_handler() __attribute__((weak, alias("default_handler")));
}

namespace {

// The stack: a NOBITS section that lm3s6965.ld places at the bottom of RAM.
[[gnu::section(".bss.gw_stack"), gnu::used]] alignas(8) std::uint8_t stack_area[GW_BM_STACK_SIZE];

// LM3S6965 interrupt numbers used here: UART0 = 5, UART1 = 6. The table has room for all of the
// part's peripheral interrupts; those the firmware never enables go to the default handler.
constexpr std::size_t irq_count = 46;
constexpr std::size_t uart0_irq = 5;
constexpr std::size_t uart1_irq = 6;

struct vector_table {
    const void* initial_stack_pointer;
    handler reset;
    handler nmi;
    handler hard_fault;
    handler mem_manage;
    handler bus_fault;
    handler usage_fault;
    handler reserved_7_10[4];
    handler svc;
    handler debug_mon;
    handler reserved_13;
    handler pendsv;
    handler systick;
    handler irq[irq_count];
};

constexpr vector_table make_vector_table() {
    vector_table t{__stack_top__,
                   reset_handler,
                   nmi_handler,
                   hard_fault_handler,
                   mem_manage_handler,
                   bus_fault_handler,
                   usage_fault_handler,
                   {},
                   svc_handler,
                   debug_mon_handler,
                   nullptr,
                   pendsv_handler,
                   systick_handler,
                   {}};
    for (auto& h : t.irq) {
        h = default_handler;
    }
    t.irq[uart0_irq] = uart0_handler;
    t.irq[uart1_irq] = uart1_handler;
    return t;
}

}  // namespace

// Placed at address 0 by lm3s6965.ld: the core loads SP and PC from its first two words.
[[gnu::section(".isr_vector"), gnu::used]] constinit const vector_table vectors =
    make_vector_table();

extern "C" [[noreturn]] void reset_handler() {
    const std::uint32_t* src = __data_load__;
    for (std::uint32_t* dst = __data_start__; dst < __data_end__; ++dst, ++src) {
        *dst = *src;
    }
#ifdef GW_BM_SEMIHOSTED
    _mainCRTStartup();
#else
    for (std::uint32_t* dst = __bss_start__; dst < __bss_end__; ++dst) {
        *dst = 0;
    }
    for (const handler* f = __preinit_array_start; f < __preinit_array_end; ++f) {
        (*f)();
    }
    for (const handler* f = __init_array_start; f < __init_array_end; ++f) {
        (*f)();
    }
    firmware_main();
#endif
}

// An unexpected interrupt or a fault. A test image reports it as a failed run (QEMU exits with
// 70); the firmware stops here so that a debugger finds it (a product would reset instead).
extern "C" void default_handler() {
#ifdef GW_BM_SEMIHOSTED
    _exit(70);
#else
    for (;;) {
        __asm__ volatile("wfi");
    }
#endif
}
