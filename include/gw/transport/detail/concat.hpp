#pragma once
// Builds a message from pieces in one allocation. Also sidesteps g++ 12's false -Wrestrict on
// `"literal" + std::string&&` at -O2/-O3 (GCC bug 105651), which -Werror turns into a failure.

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

namespace gw::transport::detail {

inline std::string concat(std::initializer_list<std::string_view> parts) {
    std::size_t size = 0;
    for (const auto p : parts) {
        size += p.size();
    }
    std::string s;
    s.reserve(size);
    for (const auto p : parts) {
        s.append(p);
    }
    return s;
}

}  // namespace gw::transport::detail
