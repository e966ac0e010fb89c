// Not firmware: a deliberately non-conforming image that proves check_image.cmake rejects the
// heap. Its build must fail with "forbidden symbol(s) linked".
#include <cstdint>
#include <new>

namespace {
std::uint32_t* volatile leak = nullptr;
}

extern "C" [[noreturn]] void firmware_main() {
    leak = new std::uint32_t{42};
    for (;;) {
        __asm__ volatile("wfi");
    }
}
