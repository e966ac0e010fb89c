// libFuzzer harness for the configuration parser (include/gw/config): any bytes give either a
// configuration or an error with a position inside the text, never a crash or a leak. Two
// properties on top:
//  - the bytewise feeding of Boost.JSON (detail/json_document.hpp) accepts exactly what
//    Boost.JSON accepts when given the whole (comment-blanked) buffer, and builds the same value;
//  - an accepted configuration written with to_json() reads back equal.
// Build: $CXX $CXXFLAGS -std=c++20 -Iinclude fuzz/config/config_fuzzer.cpp $LIB_FUZZING_ENGINE

#include <gw/config/json_impl.hpp>
#include <gw/config/load_config.hpp>
#include <gw/config/to_json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

namespace {

namespace detail = gw::config::detail;

/// Whether the tree holds the same value as Boost.JSON's; objects repeating a key are not
/// compared (Boost keeps one of them, which one is not the point here).
bool same(const detail::json_value& v, const boost::json::value& b) {
    switch (v.kind) {
        case detail::json_kind::null:
            return b.is_null();
        case detail::json_kind::boolean:
            return b.is_bool() && b.get_bool() == v.boolean;
        case detail::json_kind::integer:
            return b.is_int64() && b.get_int64() == v.integer;
        case detail::json_kind::unsigned_integer:
            return b.is_uint64() && b.get_uint64() == v.unsigned_integer;
        case detail::json_kind::floating:
            // Kind only: Boost 1.81 rounds long mantissas differently when a number arrives in
            // pieces (last bits), and the configuration never uses a fractional value anyway.
            return b.is_double();
        case detail::json_kind::string:
            return b.is_string() && b.get_string() == v.string;
        case detail::json_kind::array: {
            if (!b.is_array() || b.get_array().size() != v.elements.size()) {
                return false;
            }
            for (std::size_t i = 0; i < v.elements.size(); ++i) {
                if (!same(v.elements[i], b.get_array()[i])) {
                    return false;
                }
            }
            return true;
        }
        case detail::json_kind::object: {
            if (!b.is_object()) {
                return false;
            }
            const boost::json::object& o = b.get_object();
            if (o.size() != v.members.size()) {
                return o.size() < v.members.size();  // repeated keys
            }
            for (const detail::json_member& m : v.members) {
                const boost::json::value* x = o.if_contains(m.key);
                if (x == nullptr || !same(m.value, *x)) {
                    return false;
                }
            }
            return true;
        }
    }
    return false;
}

void check(bool condition) {
    if (!condition) {
        std::abort();
    }
}

void check_json_layer(std::string_view text) {
    auto tree = detail::parse_json(text);
    // Comments are blanked before Boost sees them (Boost 1.81's comment handling has bugs); what
    // is checked here is that feeding the rest byte by byte changes nothing.
    auto blanked = detail::blank_comments(text);
    if (std::holds_alternative<detail::json_failure>(blanked)) {
        check(std::holds_alternative<detail::json_failure>(tree));
        return;
    }
    boost::json::parse_options options;
    options.allow_trailing_commas = true;
    options.max_depth = detail::json_max_depth;
    boost::json::error_code ec;
    const boost::json::value reference =
        boost::json::parse(std::get<std::string>(blanked), ec, {}, options);
    if (const auto* failure = std::get_if<detail::json_failure>(&tree)) {
        check(failure->offset <= text.size());
        check(!failure->message.empty());
        // Limits of our own (string length, value count) are stricter than Boost.JSON's.
        const bool own_limit = failure->message.starts_with("string longer") ||
                               failure->message.starts_with("more than");
        check(own_limit || ec.failed());
        return;
    }
    check(!ec.failed());
    check(same(std::get<detail::json_value>(tree), reference));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_json_layer(text);

    const auto result = gw::config::parse_config(text, "fuzz.json");
    if (const auto* error = std::get_if<gw::config::config_error>(&result)) {
        check(error->file == "fuzz.json");
        check(!error->message.empty());
        check(error->line >= 1 || size > gw::config::max_config_file_size);
        check(error->to_string().size() > error->message.size());
        return 0;
    }
    const auto& config = std::get<gw::config::gateway_config>(result);
    const std::string saved = gw::config::to_json(config);
    const auto again = gw::config::parse_config(saved, "saved.json");
    check(std::holds_alternative<gw::config::gateway_config>(again));
    check(std::get<gw::config::gateway_config>(again) == config);
    return 0;
}
