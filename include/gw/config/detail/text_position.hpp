#pragma once
// Byte offset -> line and column, the way an editor shows them.

#include <cstddef>
#include <string_view>

namespace gw::config::detail {

struct text_position {
    std::size_t line = 1;
    std::size_t column = 1;
};

/// Lines end at '\n' (so "\r\n" works too); columns count UTF-8 code points from 1, which is
/// what editors show; a byte order mark at the start of the file is not counted.
constexpr text_position position_of(std::string_view text, std::size_t offset) noexcept {
    if (offset > text.size()) {
        offset = text.size();
    }
    text_position p;
    std::size_t line_start = text.starts_with("\xEF\xBB\xBF") && offset >= 3 ? 3 : 0;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++p.line;
            line_start = i + 1;
        }
    }
    for (std::size_t i = line_start; i < offset; ++i) {
        // UTF-8 continuation bytes (10xxxxxx) do not start a character.
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
            ++p.column;
        }
    }
    return p;
}

}  // namespace gw::config::detail
