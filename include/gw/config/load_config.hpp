#pragma once
// Reading the gateway's configuration file: JSON with comments and trailing commas, checked
// strictly (unknown keys are errors) and reported with file, line, column and key path.
//
// Uses Boost.JSON's parser: one translation unit of the program must include
// <gw/config/json_impl.hpp> (or link Boost::json).

#include <gw/config/config_error.hpp>
#include <gw/config/detail/config_reader.hpp>
#include <gw/config/detail/json_document.hpp>
#include <gw/config/detail/text_position.hpp>
#include <gw/config/gateway_config.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

namespace gw::config {

/// Larger files are refused before parsing: a configuration is a few KiB.
inline constexpr std::size_t max_config_file_size = std::size_t{1} << 20;

using config_result = std::variant<gateway_config, config_error>;

namespace detail {

inline config_error whole_file_error(std::string_view file, std::string message) {
    return config_error{std::string(file), 0, 0, {}, std::move(message)};
}

/// The API promises no exceptions: allocation failure (the only one possible) becomes an error.
template <class F>
config_result no_throw(std::string_view file, F&& f) noexcept {
    try {
        return f();
    } catch (const std::bad_alloc&) {
        return config_error{{}, 0, 0, {}, "out of memory"};
    } catch (const std::exception& e) {
        try {
            return whole_file_error(file, e.what());
        } catch (...) {
            return config_error{{}, 0, 0, {}, "out of memory"};
        }
    } catch (...) {
        return config_error{{}, 0, 0, {}, "unexpected error"};
    }
}

}  // namespace detail

/// Parses and validates a configuration held in memory; `file_name` is only used in errors.
inline config_result parse_config(std::string_view text, std::string_view file_name) noexcept {
    return detail::no_throw(file_name, [&]() -> config_result {
        if (text.size() > max_config_file_size) {
            return detail::whole_file_error(
                file_name,
                "the file is larger than " + std::to_string(max_config_file_size) + " bytes");
        }
        auto tree = detail::parse_json(text);
        if (auto* failure = std::get_if<detail::json_failure>(&tree)) {
            const detail::text_position p = detail::position_of(text, failure->offset);
            return config_error{
                std::string(file_name), p.line, p.column, {}, std::move(failure->message)};
        }
        return detail::config_reader(text, file_name).read(std::get<detail::json_value>(tree));
    });
}

/// Reads at most max_config_file_size + 1 bytes (a device such as /dev/zero cannot make it read
/// forever), then parses them like parse_config().
inline config_result load_config_file(const std::filesystem::path& path) noexcept {
    std::string name;
    try {
        name = path.string();
    } catch (...) {
        return config_error{{}, 0, 0, {}, "out of memory"};
    }
    return detail::no_throw(name, [&]() -> config_result {
        const auto closer = [](std::FILE* f) { std::fclose(f); };
        const std::unique_ptr<std::FILE, decltype(closer)> file(std::fopen(path.c_str(), "rb"),
                                                                closer);
        if (!file) {
            return detail::whole_file_error(
                name, "cannot open: " + std::generic_category().message(errno));
        }
        std::string text;
        char buffer[16384];
        while (text.size() <= max_config_file_size) {
            const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
            text.append(buffer, n);
            if (n < sizeof buffer) {
                if (std::ferror(file.get()) != 0) {
                    return detail::whole_file_error(
                        name, "cannot read: " + std::generic_category().message(errno));
                }
                break;
            }
        }
        if (text.size() > max_config_file_size) {
            return detail::whole_file_error(
                name, "the file is larger than " + std::to_string(max_config_file_size) + " bytes");
        }
        return parse_config(text, name);
    });
}

}  // namespace gw::config
