#pragma once
// What a decoder's put() reports. Like Beast's basic_parser::put, a decoder also says how many
// input bytes it consumed; the caller calls again with the unconsumed rest (possibly empty)
// until it gets need_more.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gw {

enum class decode_status : std::uint8_t {
    need_more,   ///< no complete frame yet; all bytes offered were consumed
    frame,       ///< a complete, checked frame is available
    bad_crc,     ///< a frame-shaped run failed its check (it was skipped)
    bad_lrc,     ///< ASCII: the LRC did not match (frame skipped)
    too_long,    ///< exceeded the size limit (skipped)
    bad_char,    ///< ASCII: non-hex character / bad delimiter
    bad_header,  ///< MBAP: protocol id != 0, length outside 2..254
    timeout,  ///< ASCII inter-character timeout / RTU incomplete frame at t3.5 (partial discarded)
};

constexpr std::string_view to_string(decode_status status) noexcept {
    switch (status) {
        case decode_status::need_more:
            return "need more";
        case decode_status::frame:
            return "frame";
        case decode_status::bad_crc:
            return "bad crc";
        case decode_status::bad_lrc:
            return "bad lrc";
        case decode_status::too_long:
            return "too long";
        case decode_status::bad_char:
            return "bad character";
        case decode_status::bad_header:
            return "bad header";
        case decode_status::timeout:
            return "timeout";
    }
    return "unknown status";
}

/// Is this status one of the errors (a frame was skipped)?
constexpr bool is_error(decode_status status) noexcept {
    return status != decode_status::need_more && status != decode_status::frame;
}

struct decode_result {
    decode_status status;
    std::size_t consumed;
};

}  // namespace gw
