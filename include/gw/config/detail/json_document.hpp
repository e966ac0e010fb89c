#pragma once
// A JSON (with comments and trailing commas) document tree that remembers where each key and value
// starts, so that every configuration error can name its line and column.
//
// Boost.JSON's SAX parser (basic_parser) does the parsing but reports no positions, so the text is
// fed to it one byte at a time: each event then comes from a known byte, and the start of the
// token it ends is found by scanning back over that token. Feeding bytewise costs about 50 ms per
// MiB here; configuration files are a few KiB and limited to 1 MiB.
//
// Comments are not left to Boost: they are replaced by spaces first (same length, so offsets do
// not move) and Boost parses plain JSON. Boost 1.81's comment support has two bugs this avoids: a
// block comment ending in "**/" is never closed, and a comment in a value position ("key": /* c */
// 1, or before the document) cannot be resumed when split across writes.
//
// Needs Boost.JSON's compiled part once in the program: gw/config/json_impl.hpp, or Boost::json.

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace gw::config::detail {

inline constexpr std::size_t json_max_depth = 16;      ///< the configuration needs 5
inline constexpr std::size_t json_max_values = 65536;  ///< values in the whole document
inline constexpr std::size_t json_max_string = 4096;   ///< bytes in one string or key

enum class json_kind : std::uint8_t {
    null,
    boolean,
    integer,           ///< fits std::int64_t
    unsigned_integer,  ///< above INT64_MAX, fits std::uint64_t
    floating,          ///< has a fraction or exponent, or is too large for any integer
    string,
    array,
    object,
};

struct json_member;

struct json_value {
    json_kind kind = json_kind::null;
    std::size_t offset = 0;  ///< first byte of the value in the text
    bool boolean = false;
    std::int64_t integer = 0;
    std::uint64_t unsigned_integer = 0;
    double floating = 0;
    std::string string;
    std::vector<json_value> elements;
    std::vector<json_member> members;
};

struct json_member {
    std::string key;
    std::size_t key_offset = 0;  ///< the key's opening quote
    json_value value;
};

struct json_failure {
    std::size_t offset = 0;
    std::string message;
};

/// The basic_parser handler: builds the tree, locating each value from `position`.
class json_tree_builder {
public:
    using error_code = boost::json::error_code;
    using string_view = boost::json::string_view;

    static constexpr std::size_t max_object_size = json_max_values;
    static constexpr std::size_t max_array_size = json_max_values;
    static constexpr std::size_t max_key_size = json_max_string;
    static constexpr std::size_t max_string_size = json_max_string;

    explicit json_tree_builder(std::string_view text) noexcept : text_(text) {}

    /// Offset of the first byte of the piece being fed to the parser.
    std::size_t position = 0;
    bool too_many_values = false;
    std::size_t too_many_at = 0;  ///< where the first value beyond the limit starts

    std::size_t values() const noexcept { return values_; }
    const json_value* open_container() const noexcept {
        return stack_.empty() ? nullptr : &stack_.back();
    }
    json_value take_root() noexcept { return std::move(root_); }

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_object_begin(error_code& ec) { return open(json_kind::object, ec); }
    bool on_object_end(std::size_t, error_code&) { return close(); }
    bool on_array_begin(error_code& ec) { return open(json_kind::array, ec); }
    bool on_array_end(std::size_t, error_code&) { return close(); }
    bool on_key_part(string_view s, std::size_t, error_code&) {
        buffer_.append(s.data(), s.size());
        return true;
    }
    bool on_key(string_view s, std::size_t, error_code&) {
        buffer_.append(s.data(), s.size());
        keys_.push_back({std::move(buffer_), string_start()});
        buffer_.clear();
        return true;
    }
    bool on_string_part(string_view s, std::size_t, error_code&) {
        buffer_.append(s.data(), s.size());
        return true;
    }
    bool on_string(string_view s, std::size_t, error_code& ec) {
        buffer_.append(s.data(), s.size());
        json_value v;
        v.kind = json_kind::string;
        v.offset = string_start();
        v.string = std::move(buffer_);
        buffer_.clear();
        return add(std::move(v), ec);
    }
    bool on_number_part(string_view, error_code&) { return true; }
    bool on_int64(std::int64_t i, string_view, error_code& ec) {
        json_value v = scalar(json_kind::integer);
        v.integer = i;
        return add(std::move(v), ec);
    }
    bool on_uint64(std::uint64_t u, string_view, error_code& ec) {
        json_value v = scalar(json_kind::unsigned_integer);
        v.unsigned_integer = u;
        return add(std::move(v), ec);
    }
    bool on_double(double d, string_view, error_code& ec) {
        json_value v = scalar(json_kind::floating);
        v.floating = d;
        return add(std::move(v), ec);
    }
    bool on_bool(bool b, error_code& ec) {
        json_value v = scalar(json_kind::boolean);
        v.boolean = b;
        return add(std::move(v), ec);
    }
    bool on_null(error_code& ec) { return add(scalar(json_kind::null), ec); }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }

private:
    static constexpr bool is_token_char(char c) noexcept {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '+' || c == '-' || c == '.';
    }

    /// The string event fires on its closing quote; the opening one is the nearest earlier quote
    /// not escaped by an odd number of backslashes.
    std::size_t string_start() const noexcept {
        std::size_t j = position < text_.size() ? position : text_.size();
        while (j > 0) {
            --j;
            if (text_[j] != '"') {
                continue;
            }
            std::size_t k = j;
            while (k > 0 && text_[k - 1] == '\\') {
                --k;
            }
            if ((j - k) % 2 == 0) {
                return j;
            }
        }
        return 0;
    }

    /// Numbers and literals fire on their last byte or on the byte after them.
    json_value scalar(json_kind kind) const noexcept {
        std::size_t end = position;
        if (end < text_.size() && is_token_char(text_[end])) {
            ++end;
        } else if (end > text_.size()) {
            end = text_.size();
        }
        while (end > 0 && is_token_char(text_[end - 1])) {
            --end;
        }
        json_value v;
        v.kind = kind;
        v.offset = end;
        return v;
    }

    bool count(std::size_t offset, error_code& ec) {
        if (++values_ > json_max_values) {
            too_many_values = true;
            too_many_at = offset;
            ec = boost::json::error::exception;
            return false;
        }
        return true;
    }

    bool open(json_kind kind, error_code& ec) {
        if (!count(position, ec)) {
            return false;
        }
        json_value v;
        v.kind = kind;
        v.offset = position;
        stack_.push_back(std::move(v));
        return true;
    }

    bool close() {
        json_value v = std::move(stack_.back());
        stack_.pop_back();
        attach(std::move(v));
        return true;
    }

    bool add(json_value v, error_code& ec) {
        if (!count(v.offset, ec)) {
            return false;
        }
        attach(std::move(v));
        return true;
    }

    void attach(json_value v) {
        if (stack_.empty()) {
            root_ = std::move(v);
        } else if (stack_.back().kind == json_kind::array) {
            stack_.back().elements.push_back(std::move(v));
        } else {
            auto& [key, key_offset] = keys_.back();
            stack_.back().members.push_back({std::move(key), key_offset, std::move(v)});
            keys_.pop_back();
        }
    }

    std::string_view text_;
    std::size_t values_ = 0;
    std::vector<json_value> stack_;  // open arrays and objects, innermost last
    std::vector<std::pair<std::string, std::size_t>> keys_;  // pending key of each open object
    std::string buffer_;                                     // string or key being assembled
    json_value root_;
};

/// The lexical context the feeder knows when Boost reports an error, for a useful message.
struct json_lex_state {
    bool in_string = false;
    bool escaped = false;  // the previous byte in the string was a backslash
};

inline std::string describe_byte(unsigned char c) {
    char buf[8]{};
    if (c > 0x20 && c < 0x7f) {
        std::snprintf(buf, sizeof buf, "'%c'", c);
    } else {
        std::snprintf(buf, sizeof buf, "0x%02x", unsigned{c});
    }
    return buf;
}

inline std::string describe_json_error(const boost::json::error_code& ec, std::string_view text,
                                       std::size_t offset, json_lex_state lex,
                                       const json_tree_builder& b) {
    namespace bj = boost::json;
    const unsigned char byte = offset < text.size() ? static_cast<unsigned char>(text[offset])
                                                    : static_cast<unsigned char>(0);
    if (b.too_many_values) {
        return "more than " + std::to_string(json_max_values) + " values in the document";
    }
    if (ec == bj::error::incomplete) {
        if (b.values() == 0) {
            return "no JSON object in the file (it is empty or holds only comments)";
        }
        if (lex.in_string) {
            return "unexpected end of file inside a string";
        }
        const json_value* open = b.open_container();
        if (open != nullptr) {
            return open->kind == json_kind::object
                       ? "unexpected end of file: an object is not closed"
                       : "unexpected end of file: an array is not closed";
        }
        return "unexpected end of file";
    }
    if (ec == bj::error::too_deep) {
        return "nested deeper than " + std::to_string(json_max_depth) + " levels";
    }
    if (ec == bj::error::key_too_large || ec == bj::error::string_too_large) {
        return "string longer than " + std::to_string(json_max_string) + " bytes";
    }
    if (ec == bj::error::object_too_large || ec == bj::error::array_too_large) {
        return "more than " + std::to_string(json_max_values) + " values in one array or object";
    }
    if (ec == bj::error::exponent_overflow) {
        return "number with an exponent too large";
    }
    if (ec == bj::error::illegal_leading_surrogate || ec == bj::error::illegal_trailing_surrogate ||
        ec == bj::error::expected_utf16_escape) {
        return "invalid UTF-16 surrogate pair in a \\u escape";
    }
    if (ec == bj::error::expected_hex_digit) {
        return "expected a hexadecimal digit in a \\u escape, found " + describe_byte(byte);
    }
    if (ec == bj::error::extra_data) {
        return "unexpected text after the end of the JSON document";
    }
    if (ec == bj::error::syntax) {
        if (lex.in_string) {
            if (lex.escaped) {
                return byte > 0x20 && byte < 0x7f
                           ? "invalid escape sequence \\" +
                                 std::string(1, static_cast<char>(byte)) + " in a string"
                           : "invalid escape sequence in a string: \\ followed by " +
                                 describe_byte(byte);
            }
            if (byte < 0x20) {
                return "control character " + describe_byte(byte) +
                       " in a string (write it as an escape such as \\n or \\u0000)";
            }
            // An ASCII byte refused in a string either breaks a UTF-8 sequence or follows a
            // high-surrogate escape (U+D800..U+DBFF) that lacks its low surrogate.
            if (byte < 0x80 && offset > 0 && static_cast<unsigned char>(text[offset - 1]) < 0x80) {
                return "invalid UTF-16 surrogate pair in a \\u escape";
            }
            return "invalid UTF-8 in a string";
        }
        if (byte == '\'' || (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z')) {
            return "unexpected " + describe_byte(byte) + " (keys and strings need double quotes)";
        }
        return "unexpected " + describe_byte(byte);
    }
    return ec.message();
}

/// The start of the number that byte `i` belongs to.
constexpr std::size_t number_start(std::string_view text, std::size_t i) noexcept {
    const auto in_number = [](char c) {
        return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
    };
    while (i > 0 && in_number(text[i - 1])) {
        --i;
    }
    return i;
}

/// `text` with each comment (// to the end of the line, /* to the first */) and a leading UTF-8
/// byte order mark replaced by as many spaces: what remains is plain JSON at unchanged offsets. A
/// '/' outside strings that starts no comment, and an unclosed block comment, are failures.
inline std::variant<std::string, json_failure> blank_comments(std::string_view text) {
    std::string out(text);
    if (out.starts_with("\xEF\xBB\xBF")) {
        out.replace(0, 3, 3, ' ');
    }
    json_lex_state lex;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const char c = out[i];
        if (lex.in_string) {
            if (lex.escaped) {
                lex.escaped = false;
            } else if (c == '\\') {
                lex.escaped = true;
            } else if (c == '"') {
                lex.in_string = false;
            }
            continue;
        }
        if (c == '"') {
            lex.in_string = true;
            continue;
        }
        if (c != '/') {
            continue;
        }
        const char next = i + 1 < out.size() ? out[i + 1] : '\0';
        std::size_t end = 0;
        if (next == '/') {
            end = std::min(out.find('\n', i + 2), out.size());
        } else if (next == '*') {
            const std::size_t close = out.find("*/", i + 2);
            if (close == std::string::npos) {
                return json_failure{i, "comment not closed: /* without */"};
            }
            end = close + 2;
        } else {
            return json_failure{i, "unexpected '/' (comments start with // or /*)"};
        }
        out.replace(i, end - i, end - i, ' ');
        i = end - 1;
    }
    return out;
}

/// Parses `text` into a tree, or says where and why it is not acceptable JSON.
inline std::variant<json_value, json_failure> parse_json(std::string_view original) {
    auto blanked = blank_comments(original);
    if (auto* f = std::get_if<json_failure>(&blanked)) {
        return std::move(*f);
    }
    const std::string_view text = std::get<std::string>(blanked);
    boost::json::parse_options options;
    options.max_depth = json_max_depth;
    options.allow_comments = false;  // blanked already
    options.allow_trailing_commas = true;
    options.allow_invalid_utf8 = false;
    boost::json::basic_parser<json_tree_builder> parser(options, text);
    json_tree_builder& builder = parser.handler();
    boost::json::error_code ec;
    json_lex_state lex;  // for the error messages

    for (std::size_t i = 0; i < text.size(); ++i) {
        const json_lex_state before = lex;
        const char c = text[i];
        if (lex.in_string) {
            if (lex.escaped) {
                lex.escaped = false;
            } else if (c == '\\') {
                lex.escaped = true;
            } else if (c == '"') {
                lex.in_string = false;
            }
        } else if (c == '"') {
            lex.in_string = true;
        }
        builder.position = i;
        const std::size_t used = parser.write_some(true, text.data() + i, 1, ec);
        if (ec) {
            std::size_t at = builder.too_many_values ? builder.too_many_at : i;
            if (ec == boost::json::error::exponent_overflow) {
                at = number_start(text, i);  // found on a digit of the exponent
            }
            return json_failure{at, describe_json_error(ec, text, i, before, builder)};
        }
        if (used != 1) {
            return json_failure{
                i, describe_json_error(boost::json::error::extra_data, text, i, before, builder)};
        }
    }
    builder.position = text.size();
    parser.write_some(false, text.data() + text.size(), 0, ec);
    if (ec) {
        const std::size_t at = builder.too_many_values ? builder.too_many_at : text.size();
        return json_failure{at, describe_json_error(ec, text, text.size(), lex, builder)};
    }
    return builder.take_root();
}

}  // namespace gw::config::detail
