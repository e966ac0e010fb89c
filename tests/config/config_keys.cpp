// Tests include/gw/config/detail/config_keys.hpp: the key tables against what is derived from them
// elsewhere. docs/configuration.md documents every declared key in its section, with the type,
// default, range and doc line declared, and no key that is not declared; the fuzzer dictionary
// holds every key and name; every declared range fits the member it is read into.

#include <gw/config/detail/config_keys.hpp>
#include <gw/config/detail/config_reader.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

using namespace gw::config;
using namespace gw::config::detail;

namespace {

std::string file_text(const char* path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot read " << path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(' ');
    const auto e = s.find_last_not_of(' ');
    return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

/// A table row documenting a key: | `key` | type | default | range | meaning |
struct doc_row {
    std::vector<std::string> cells;
    std::size_t line = 0;
};

/// The key rows of each section of the document, by heading (without the #s). Code blocks are
/// skipped; rows whose first cell is not a `key` (the MGate allowlist table) are not key rows.
std::map<std::string, std::vector<doc_row>> key_rows(const std::string& md) {
    std::map<std::string, std::vector<doc_row>> out;
    std::istringstream in(md);
    std::string line;
    std::string section;
    bool code = false;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
        if (line.starts_with("```")) {
            code = !code;
        } else if (!code && line.starts_with("#")) {
            section = trim(line.substr(line.find_first_not_of('#')));
        } else if (!code && line.starts_with("| `")) {
            doc_row row{{}, n};
            std::size_t start = 1;
            for (std::size_t bar; (bar = line.find('|', start)) != std::string::npos;
                 start = bar + 1) {
                row.cells.push_back(trim(std::string_view(line).substr(start, bar - start)));
            }
            out[section].push_back(std::move(row));
        }
    }
    return out;
}

/// "1..60000" documented as "1..60000" or followed by a rule between keys: "0..256, at most
/// `max_connections`", "0..247; `\"first-last\"`".
bool range_matches(std::string_view documented, std::string_view declared) {
    if (declared.empty() || documented == declared) {
        return documented == declared;
    }
    return documented.starts_with(declared) &&
           std::string_view(",; ").find(documented[declared.size()]) != std::string_view::npos;
}

}  // namespace

TEST_CASE("docs/configuration.md documents every declared key as declared") {
    auto rows = key_rows(file_text(GW_CONFIGURATION_MD));
    for_each_key_table([&](std::string_view section, auto table) {
        CAPTURE(section);
        const auto& in_section = rows[std::string(section)];
        for (const auto& d : table) {
            const key_info k = document_key(d);
            CAPTURE(k.key);
            const std::string name = "`" + std::string(k.key) + "`";
            std::size_t found = 0;
            for (const doc_row& row : in_section) {
                if (row.cells.empty() || row.cells[0] != name) {
                    continue;
                }
                ++found;
                CAPTURE(row.line);
                REQUIRE(row.cells.size() == 5);
                CHECK(row.cells[1] == k.type);
                CHECK(row.cells[2] == k.default_text);
                CHECK_MESSAGE(
                    range_matches(row.cells[3], k.range),
                    "documented range \"" << row.cells[3] << "\", declared \"" << k.range << "\"");
                CHECK_MESSAGE(
                    row.cells[4].starts_with(k.doc),
                    "the meaning should start with the declared doc line \"" << k.doc << "\"");
            }
            CHECK_MESSAGE(found == 1, "documented " << found << " times in section \"" << section
                                                    << "\": add a row to its table");
        }
    });
}

TEST_CASE("docs/configuration.md documents no key that is not declared") {
    std::set<std::pair<std::string, std::string>> declared;
    for_each_key_table([&](std::string_view section, auto table) {
        for (const auto& d : table) {
            declared.emplace(section, "`" + std::string(d.key) + "`");
        }
    });
    for (const auto& entry : key_rows(file_text(GW_CONFIGURATION_MD))) {
        const std::string& section = entry.first;  // no structured binding: clang 14's lambdas
        for (const doc_row& row : entry.second) {
            CHECK_MESSAGE(declared.count({section, row.cells[0]}) == 1,
                          "docs/configuration.md:" << row.line << ": " << row.cells[0]
                                                   << " is not a key declared for \"" << section
                                                   << "\"");
        }
    }
}

TEST_CASE("the config fuzzer's dictionary holds every declared key and name") {
    const std::string dict = file_text(GW_CONFIG_DICT);
    std::set<std::string> lines;
    std::istringstream in(dict);
    for (std::string line; std::getline(in, line);) {
        lines.insert(line);
    }
    std::set<std::string> missing;  // in the dictionary's syntax, ready to paste
    const auto need = [&](std::string_view word) {
        const std::string entry = "\"\\\"" + std::string(word) + "\\\"\"";
        if (lines.count(entry) == 0) {
            missing.insert(entry);
        }
    };
    for_each_key_table([&](std::string_view, auto table) {
        for (const auto& d : table) {
            need(d.key);
            for (const std::string_view c : d.choices) {
                need(c);
            }
        }
    });
    std::string list;
    for (const std::string& m : missing) {
        list += m + "\n";
    }
    CHECK_MESSAGE(missing.empty(), "add to fuzz/config/config.dict:\n" << list);
}

TEST_CASE("every declared range and name reads into its member and writes back unchanged") {
    // A range wider than the member would truncate silently: read each bound, write it back.
    for_each_key_table([&](std::string_view, auto table) {
        using S = typename std::remove_cvref_t<decltype(table[0])>::owner;
        for (const auto& d : table) {
            CAPTURE(d.key);
            value_reader r("", "t.json", &is_declared_key);
            if (d.shape == key_shape::integer || d.shape == key_shape::units) {
                for (const std::int64_t bound : {d.lo, d.hi}) {
                    S s{};
                    json_value v;
                    v.kind = json_kind::integer;
                    v.integer = bound;
                    REQUIRE(d.read(r, d, v, "p", s));
                    const auto w = d.write(s);
                    REQUIRE(w.has_value());
                    CHECK(w->as_int64() == bound);
                }
                // The default lies in the declared range.
                if (const auto def = d.write(S{}); def && !d.required) {
                    // A unit range default is written as "first-last".
                    std::int64_t first = 0;
                    std::int64_t last = 0;
                    if (def->is_string()) {
                        const std::string text(def->as_string());
                        const auto dash = text.find('-');
                        REQUIRE(dash != std::string::npos);
                        first = std::stoll(text.substr(0, dash));
                        last = std::stoll(text.substr(dash + 1));
                    } else {
                        first = last = def->as_int64();
                    }
                    CHECK(first >= d.lo);
                    CHECK(last <= d.hi);
                }
            }
            for (const std::string_view c : d.choices) {
                S s{};
                json_value v;
                v.kind = json_kind::string;
                v.string = c;
                REQUIRE(d.read(r, d, v, "p", s));
                CHECK(d.write(s)->as_string() == c);
            }
        }
    });
}

TEST_CASE("no object has a key twice") {
    const auto unique = [](const std::vector<std::string_view>& names) {
        return std::set<std::string_view>(names.begin(), names.end()).size() == names.size();
    };
    for_each_key_table([&](std::string_view section, auto table) {
        CHECK_MESSAGE(unique(key_names({}, table)), section);
    });
    // The objects made of a head, a variant's keys and a tail.
    for (const auto& names : {
             key_names({}, channel_head_keys, serial_line_keys, channel_option_keys),
             key_names({}, channel_head_keys, tcp_device_keys, channel_option_keys),
             key_names({}, channel_head_keys, simulator_keys, channel_option_keys),
             key_names({}, listener_head_keys, tcp_listener_keys),
             key_names("mode", listener_head_keys, serial_line_keys),
             key_names({}, document_list_keys, document_object_keys),
         }) {
        CHECK(unique(names));
    }
}
