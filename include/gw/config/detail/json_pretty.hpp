#pragma once
// An indented layout for Boost.JSON values, for files operators read: objects one member per
// line, arrays of scalars on one line ("reopen_backoff_ms": [100, 5000]). boost::json::serialize
// writes every scalar and key, so escaping is Boost.JSON's; this only adds the white space.

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstddef>
#include <string>

namespace gw::config::detail {

inline void write_pretty(const boost::json::value& v, std::string& out, std::size_t depth = 0) {
    const auto newline = [&](std::size_t d) {
        out += '\n';
        out.append(2 * d, ' ');
    };
    if (const auto* o = v.if_object()) {
        if (o->empty()) {
            out += "{}";
            return;
        }
        out += '{';
        bool first = true;
        for (const auto& m : *o) {
            out += first ? "" : ",";
            first = false;
            newline(depth + 1);
            out += boost::json::serialize(m.key());
            out += ": ";
            write_pretty(m.value(), out, depth + 1);
        }
        newline(depth);
        out += '}';
    } else if (const auto* a = v.if_array()) {
        const bool flat = std::none_of(a->begin(), a->end(), [](const boost::json::value& e) {
            return e.is_object() || e.is_array();
        });
        out += '[';
        for (std::size_t i = 0; i < a->size(); ++i) {
            out += i == 0 ? "" : flat ? ", " : ",";
            if (!flat) {
                newline(depth + 1);
            }
            write_pretty((*a)[i], out, depth + 1);
        }
        if (!flat) {
            newline(depth);
        }
        out += ']';
    } else {
        out += boost::json::serialize(v);
    }
}

}  // namespace gw::config::detail
