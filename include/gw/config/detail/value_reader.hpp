#pragma once
// The configuration reader's primitives: errors with position and key path, one JSON value
// checked against a type and a range, an object's keys checked against a declared list, and the
// shape of one key's declaration (key_decl). The declarations themselves are in config_keys.hpp;
// the object-level rules that span several keys are in config_reader.hpp.

#include <gw/config/config_error.hpp>
#include <gw/config/detail/json_document.hpp>
#include <gw/config/detail/text_position.hpp>
#include <gw/config/gateway_config.hpp>

#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace gw::config::detail {

using path_t = std::string;

/// Optimal string alignment distance (edits, adjacent swaps count one), for "did you mean".
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
    if (a.size() > 64 || b.size() > 64) {
        return 1000;
    }
    std::array<std::array<std::size_t, 65>, 3> rows{};  // i-2, i-1, i (rolling)
    for (std::size_t j = 0; j <= b.size(); ++j) {
        rows[1][j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        auto& cur = rows[(i + 1) % 3];
        const auto& prev = rows[i % 3];
        const auto& prev2 = rows[(i + 2) % 3];
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                cur[j] = std::min(cur[j], prev2[j - 2] + 1);
            }
        }
    }
    return rows[(a.size() + 1) % 3][b.size()];
}

/// The candidate close enough to `word` to be what was meant, if any.
inline std::optional<std::string_view> closest(std::string_view word,
                                               std::span<const std::string_view> candidates) {
    std::optional<std::string_view> best;
    std::size_t best_distance = 3;  // at most two edits
    for (const std::string_view c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best_distance && d < std::max(word.size(), c.size())) {
            best = c;
            best_distance = d;
        }
    }
    if (!best) {
        // "baudrate" for "baud", "enable" for "enabled": one is the start of the other.
        for (const std::string_view c : candidates) {
            if (std::min(word.size(), c.size()) >= 3 &&
                (word.starts_with(c) || c.starts_with(word))) {
                return c;
            }
        }
    }
    return best;
}

/// A user's string for a message: JSON-escaped, in quotes, cut at 60 bytes.
inline std::string quote_text(std::string_view s) {
    constexpr std::size_t limit = 60;
    bool cut = false;
    if (s.size() > limit) {
        std::size_t n = limit;
        while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) {
            --n;  // do not split a UTF-8 sequence
        }
        s = s.substr(0, n);
        cut = true;
    }
    std::string out = "\"";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7f) {
            char buf[8]{};
            std::snprintf(buf, sizeof buf, "\\u%04x", unsigned{u});
            out += buf;
        } else {
            out += c;
        }
    }
    out += cut ? "...\"" : "\"";
    return out;
}

inline std::string join_quoted(std::span<const std::string_view> names) {
    std::string out;
    for (const std::string_view n : names) {
        out += out.empty() ? "\"" : ", \"";
        out += n;
        out += '"';
    }
    return out;
}

inline std::string format_units(const unit_range& r) {
    return r.first == r.last ? std::to_string(r.first)
                             : std::to_string(r.first) + "-" + std::to_string(r.last);
}

inline std::string member_path(const path_t& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

inline std::string element_path(const path_t& parent, std::size_t index) {
    return parent + "[" + std::to_string(index) + "]";
}

/// Whether a key can be shown in a key path as it is (otherwise the message quotes it).
inline bool plain_key(std::string_view k) {
    return !k.empty() && k.size() <= 64 && std::all_of(k.begin(), k.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    });
}

template <class S>
struct key_decl;

/// Reads values out of the located tree and keeps the first error.
class value_reader {
public:
    /// `declared(key)`: whether `key` is valid in some object of the format (no misspelling).
    value_reader(std::string_view text, std::string_view file,
                 bool (*declared)(std::string_view)) noexcept
        : text_(text), file_(file), declared_(declared) {}

    std::optional<config_error>& error() noexcept { return error_; }

    bool fail(std::size_t offset, path_t path, std::string message) {
        if (!error_) {
            const text_position p = position_of(text_, offset);
            error_ = config_error{std::string(file_), p.line, p.column, std::move(path),
                                  std::move(message)};
        }
        return false;
    }

    bool fail_at(const json_value& v, path_t path, std::string message) {
        return fail(v.offset, std::move(path), std::move(message));
    }

    std::string describe_value(const json_value& v) const {
        switch (v.kind) {
            case json_kind::null:
                return "null";
            case json_kind::boolean:
                return v.boolean ? "true" : "false";
            case json_kind::integer:
            case json_kind::unsigned_integer:
            case json_kind::floating:
                return "the number " + literal(v);
            case json_kind::string:
                return "the string " + quote_text(v.string);
            case json_kind::array:
                return "an array";
            case json_kind::object:
                return "an object";
        }
        return "?";
    }

    bool wrong_type(const json_value& v, const path_t& path, std::string_view expected) {
        return fail(v.offset, path,
                    "expected " + std::string(expected) + ", got " + describe_value(v));
    }

    bool missing(const json_value& obj, const path_t& path, std::string_view key) {
        std::string m = "missing required key \"" + std::string(key) + "\"";
        for (const json_member& mem : obj.members) {
            if (!declared_(mem.key) && edit_distance(mem.key, key) <= 2) {
                m += " (is " + quote_text(mem.key) + " a misspelling?)";
                break;
            }
        }
        return fail(obj.offset, path, std::move(m));
    }

    static const json_value* member(const json_value& obj, std::string_view key) {
        for (const json_member& m : obj.members) {
            if (m.key == key) {
                return &m.value;
            }
        }
        return nullptr;
    }

    bool expect(const json_value& v, const path_t& path, json_kind kind, std::string_view what) {
        return v.kind == kind || wrong_type(v, path, what);
    }

    /// Refuses duplicate and unknown keys. `family` lists keys valid for another variant of the
    /// same object (a tcp key in a serial channel), for a more precise message.
    bool check_keys(const json_value& obj, const path_t& path,
                    std::span<const std::string_view> allowed, std::string_view what,
                    std::span<const std::string_view> family = {}) {
        for (std::size_t i = 0; i < obj.members.size(); ++i) {
            const json_member& m = obj.members[i];
            const path_t p = plain_key(m.key) ? member_path(path, m.key) : path;
            for (std::size_t j = 0; j < i; ++j) {
                if (obj.members[j].key == m.key) {
                    const text_position first = position_of(text_, obj.members[j].key_offset);
                    return fail(m.key_offset, p,
                                "duplicate key " + quote_text(m.key) + " (first at line " +
                                    std::to_string(first.line) + ", column " +
                                    std::to_string(first.column) + ")");
                }
            }
            if (std::find(allowed.begin(), allowed.end(), m.key) != allowed.end()) {
                continue;
            }
            if (std::find(family.begin(), family.end(), m.key) != family.end()) {
                return fail(m.key_offset, p,
                            "key " + quote_text(m.key) + " does not apply to " + std::string(what));
            }
            std::string msg = "unknown key " + quote_text(m.key);
            if (const auto near = closest(m.key, allowed)) {
                msg += " (did you mean \"" + std::string(*near) + "\"?)";
            } else {
                msg += "; " + std::string(what) + " has the keys " + join_quoted(allowed);
            }
            return fail(m.key_offset, p, std::move(msg));
        }
        return true;
    }

    bool integer_value(const json_value& v, const path_t& path, std::int64_t lo, std::int64_t hi,
                       std::int64_t& out) {
        const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
        switch (v.kind) {
            case json_kind::integer:
                if (v.integer < lo || v.integer > hi) {
                    return fail(v.offset, path, literal(v) + " is out of range " + range);
                }
                out = v.integer;
                return true;
            case json_kind::unsigned_integer:
                return fail(v.offset, path, literal(v) + " is out of range " + range);
            case json_kind::floating:
                if (token(v).find_first_of(".eE") == std::string_view::npos) {
                    // Only digits: an integer too large for 64 bits.
                    return fail(v.offset, path, literal(v) + " is out of range " + range);
                }
                return fail(v.offset, path,
                            "expected a whole number in " + range + ", got " + literal(v));
            default:
                return wrong_type(v, path, "a whole number in " + range);
        }
    }

    bool boolean_value(const json_value& v, const path_t& path, bool& out) {
        if (v.kind != json_kind::boolean) {
            return wrong_type(v, path, "true or false");
        }
        out = v.boolean;
        return true;
    }

    bool string_value(const json_value& v, const path_t& path, std::string& out) {
        if (v.kind != json_kind::string) {
            return wrong_type(v, path, "a string");
        }
        out = v.string;
        return true;
    }

    /// One of `names`: the index of the one given.
    bool choice_value(const json_value& v, const path_t& path,
                      std::span<const std::string_view> names, std::size_t& out) {
        const std::string choices = join_quoted(names);
        if (v.kind != json_kind::string) {
            return wrong_type(v, path, "one of " + choices);
        }
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (v.string == names[i]) {
                out = i;
                return true;
            }
        }
        std::string msg = quote_text(v.string) + " is not one of " + choices;
        if (const auto near = closest(v.string, names)) {
            msg += " (did you mean \"" + std::string(*near) + "\"?)";
        }
        return fail(v.offset, path, std::move(msg));
    }

    /// Reads every declared key present in `obj` into `out`, in declaration order; a required
    /// key that is absent is an error, an optional one keeps the default `out` holds. `skip`
    /// names one declared key this variant of the object does not have.
    template <class Table, class S>
    bool read_keys(const Table& table, const json_value& obj, const path_t& path, S& out,
                   std::string_view skip = {}) {
        for (const key_decl<S>& d : table) {
            if (d.key == skip) {
                continue;
            }
            const json_value* v = member(obj, d.key);
            if (v == nullptr ? d.required && !missing(obj, path, d.key)
                             : !d.read(*this, d, *v, member_path(path, d.key), out)) {
                return false;
            }
        }
        return true;
    }

private:
    static bool is_token_char(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '+' || c == '-' || c == '.';
    }

    /// A number or literal as written in the file.
    std::string_view token(const json_value& v) const {
        std::size_t end = v.offset;
        while (end < text_.size() && is_token_char(text_[end])) {
            ++end;
        }
        return text_.substr(v.offset, end - v.offset);
    }

    /// The token for a message, cut when huge.
    std::string literal(const json_value& v) const {
        const std::string_view s = token(v);
        return s.size() > 40 ? std::string(s.substr(0, 40)) + "..." : std::string(s);
    }

    std::string_view text_;
    std::string_view file_;
    bool (*declared_)(std::string_view);
    std::optional<config_error> error_;
};

/// What a key's value looks like; decides the docs' Type column and how the range reads.
enum class key_shape : std::uint8_t {
    integer,  ///< lo..hi
    boolean,
    choice,   ///< one of `choices` (an enumeration's names)
    string,   ///< `range_text` says what is accepted
    units,    ///< a unit id lo..hi or "first-last"
    backoff,  ///< [initial, max], each lo..hi
    object,   ///< keys of its own, in a table of its own
    list,     ///< an array of lo..hi entries
};

/// One key of one kind of object: its name, what it accepts, its doc line, and how it is read
/// into and written from the member it binds. The default is the member's initialiser in
/// gateway_config.hpp: writing a default-constructed S gives it, so it is stated once.
template <class S>
struct key_decl {
    using owner = S;
    using read_fn = bool (*)(value_reader&, const key_decl&, const json_value&, const path_t&, S&);
    /// No value: the key is left out (an absent optional, or a key this state does not have).
    using write_fn = std::optional<boost::json::value> (*)(const S&);

    std::string_view key;
    key_shape shape = key_shape::integer;
    bool required = false;
    std::int64_t lo = 0;
    std::int64_t hi = 0;
    std::span<const std::string_view> choices{};
    std::string_view range_text{};  ///< for strings: what is accepted
    std::string_view doc{};         ///< one line; the docs' Meaning cell starts with it
    read_fn read = nullptr;
    write_fn write = nullptr;
};

// ---- the common shapes, bound to a member by a pointer to member ----------------------------

template <class M>
struct member_traits;
template <class S, class T>
struct member_traits<T S::*> {
    using owner = S;
    using type = T;
};
template <auto M>
using owner_of = typename member_traits<decltype(M)>::owner;

template <auto M>
using member_of = typename member_traits<decltype(M)>::type;

template <class T>
inline constexpr bool is_choice = requires {
    enum_names<T>::values;
};

/// An optional member holds a value when its key is present.
template <class T>
struct optional_value {
    using type = T;
};
template <class T>
struct optional_value<std::optional<T>> {
    using type = T;
};

/// Reads the member's value: its type decides how (true/false, a string, one of the
/// enumeration's names, or a whole number in the declared range; an optional member holds one
/// of these when the key is present).
template <auto M>
bool read_member(value_reader& r, const key_decl<owner_of<M>>& d, const json_value& v,
                 const path_t& path, owner_of<M>& out) {
    using T = typename optional_value<member_of<M>>::type;
    T& target = [&]() -> T& {
        if constexpr (std::is_same_v<T, member_of<M>>) {
            return out.*M;
        } else {
            return (out.*M).emplace();
        }
    }();
    if constexpr (std::is_same_v<T, bool>) {
        return r.boolean_value(v, path, target);
    } else if constexpr (std::is_same_v<T, std::string>) {
        return r.string_value(v, path, target);
    } else if constexpr (is_choice<T>) {
        std::size_t i = 0;
        if (!r.choice_value(v, path, d.choices, i)) {
            return false;
        }
        target = static_cast<T>(i);
        return true;
    } else {
        std::int64_t x = 0;
        if (!r.integer_value(v, path, d.lo, d.hi, x)) {
            return false;
        }
        // The declared range fits T (tests/config/config_keys.cpp checks every table).
        if constexpr (requires { typename T::rep; }) {
            target = T{static_cast<typename T::rep>(x)};
        } else {
            target = static_cast<T>(x);
        }
        return true;
    }
}

template <auto M>
std::optional<boost::json::value> write_member(const owner_of<M>& s) {
    using T = typename optional_value<member_of<M>>::type;
    if constexpr (!std::is_same_v<T, member_of<M>>) {
        if (!(s.*M)) {
            return std::nullopt;  // an absent optional: no key
        }
    }
    const T& v = [&]() -> const T& {
        if constexpr (std::is_same_v<T, member_of<M>>) {
            return s.*M;
        } else {
            return *(s.*M);
        }
    }();
    if constexpr (std::is_same_v<T, bool>) {
        return boost::json::value(v);
    } else if constexpr (std::is_same_v<T, std::string>) {
        return boost::json::value(boost::json::string_view(v));
    } else if constexpr (is_choice<T>) {
        return boost::json::value(boost::json::string_view(to_string(v)));
    } else if constexpr (requires { v.count(); }) {
        return boost::json::value(static_cast<std::int64_t>(v.count()));
    } else {
        return boost::json::value(static_cast<std::int64_t>(v));
    }
}

template <class P>
concept flag_or_choice_member = std::is_same_v < typename member_traits<P>::type,
bool > || is_choice<typename member_traits<P>::type>;
template <class P>
concept string_member = std::is_same_v<typename member_traits<P>::type, std::string>;

/// A key bound to a boolean or enumeration member.
template <flag_or_choice_member auto M>
constexpr key_decl<owner_of<M>> key(std::string_view name, std::string_view doc,
                                    bool required = false) {
    key_decl<owner_of<M>> d{.key = name, .required = required, .doc = doc};
    d.shape = is_choice<member_of<M>> ? key_shape::choice : key_shape::boolean;
    if constexpr (is_choice<member_of<M>>) {
        d.choices = enum_names<member_of<M>>::values;
    }
    d.read = &read_member<M>;
    d.write = &write_member<M>;
    return d;
}

/// A key bound to an integer or duration member, in lo..hi.
template <auto M>
constexpr key_decl<owner_of<M>> key(std::string_view name, std::int64_t lo, std::int64_t hi,
                                    std::string_view doc, bool required = false) {
    return {.key = name,
            .shape = key_shape::integer,
            .required = required,
            .lo = lo,
            .hi = hi,
            .doc = doc,
            .read = &read_member<M>,
            .write = &write_member<M>};
}

/// A key bound to a string member; `Check(reader, value, path, string)` refuses what the format
/// does not accept, and `accepted` says what that is in the docs' Range column.
template <string_member auto M, auto Check = nullptr>
constexpr key_decl<owner_of<M>> key(std::string_view name, std::string_view accepted,
                                    std::string_view doc, bool required = false) {
    using S = owner_of<M>;
    typename key_decl<S>::read_fn read = &read_member<M>;
    if constexpr (!std::is_same_v<decltype(Check), std::nullptr_t>) {
        read = [](value_reader& r, const key_decl<S>& d, const json_value& v, const path_t& p,
                  S& out) { return read_member<M>(r, d, v, p, out) && Check(r, v, p, out.*M); };
    }
    return {.key = name,
            .shape = key_shape::string,
            .required = required,
            .range_text = accepted,
            .doc = doc,
            .read = read,
            .write = &write_member<M>};
}

/// An array of lo..hi entries, read and written by the functions given.
template <class S>
constexpr key_decl<S> list_key(std::string_view name, std::int64_t lo, std::int64_t hi,
                               std::string_view doc, typename key_decl<S>::read_fn read,
                               typename key_decl<S>::write_fn write) {
    return {.key = name,
            .shape = key_shape::list,
            .lo = lo,
            .hi = hi,
            .doc = doc,
            .read = read,
            .write = write};
}

/// The names of the keys of several tables, in order, leaving out `skip`.
template <class... Tables>
std::vector<std::string_view> key_names(std::string_view skip, const Tables&... tables) {
    std::vector<std::string_view> out;
    const auto add = [&](const auto& table) {
        for (const auto& d : table) {
            if (d.key != skip) {
                out.push_back(d.key);
            }
        }
    };
    (add(tables), ...);
    return out;
}

/// A nested object read with its own table; `what` names it in messages ("\"limits\"").
template <auto M, const auto& Table, const std::string_view& What>
bool read_object(value_reader& r, const key_decl<owner_of<M>>&, const json_value& v,
                 const path_t& path, owner_of<M>& out) {
    return r.expect(v, path, json_kind::object, "an object") &&
           r.check_keys(v, path, key_names({}, Table), What) && r.read_keys(Table, v, path, out.*M);
}

/// Every declared key of `table` that has a value in `s`, in declaration order.
template <class Table, class S>
boost::json::object write_keys(const Table& table, const S& s, std::string_view skip = {}) {
    boost::json::object o;
    for (const key_decl<S>& d : table) {
        if (d.key != skip) {
            if (auto v = d.write(s)) {
                o.emplace(d.key, std::move(*v));
            }
        }
    }
    return o;
}

template <auto M, const auto& Table>
std::optional<boost::json::value> write_object(const owner_of<M>& s) {
    return boost::json::value(write_keys(Table, s.*M));
}

/// A nested object whose keys are declared in `Table`.
template <auto M, const auto& Table, const std::string_view& What>
constexpr key_decl<owner_of<M>> object_key(std::string_view name, std::string_view doc) {
    return {.key = name,
            .shape = key_shape::object,
            .doc = doc,
            .read = &read_object<M, Table, What>,
            .write = &write_object<M, Table>};
}

}  // namespace gw::config::detail
