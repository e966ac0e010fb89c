// libFuzzer harness for the management console's request reading: any bytes go through
// Beast's request parser with the console's bounds (gw/mgmt/request_parsing.hpp), as the
// server reads them, and a request that parses goes through the API's own readers: the session
// cookie, the query values, the JSON body and its string members. Never a crash, a leak, or a
// request accepted beyond the bounds.
// Build: $CXX $CXXFLAGS -std=c++20 -Iinclude fuzz/http_request/http_request_fuzzer.cpp \
//        $LIB_FUZZING_ENGINE

#include <gw/config/json_impl.hpp>
#include <gw/mgmt/request_parsing.hpp>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(gw::mgmt::max_header_bytes));
    parser.body_limit(gw::mgmt::max_body_bytes);
    parser.eager(true);
    boost::beast::error_code ec;
    const boost::asio::const_buffer input{data, size};
    const std::size_t used = parser.put(input, ec);
    if (used > size) std::abort();
    if (!ec && !parser.is_done()) parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;

    const auto& req = parser.get();
    if (req.body().size() > gw::mgmt::max_body_bytes) std::abort();
    if (const auto it = req.find(http::field::cookie); it != req.end()) {
        const auto id = gw::mgmt::cookie_value(it->value(), "__Host-gw_session");
        if (id.size() > it->value().size()) std::abort();
    }
    for (const std::string_view key : {"category", "severity", "limit", "format"}) {
        if (const auto v = gw::mgmt::query_value(req.target(), key)) {
            if (v->size() > req.target().size()) std::abort();
        }
    }
    if (const auto o = gw::mgmt::parse_json_object(req.body())) {
        for (const std::string_view key : {"name", "password", "role", "current", "new"}) {
            if (const auto s = gw::mgmt::string_member(*o, key, 1024)) {
                if (s->size() > 1024) std::abort();
            }
        }
    }
    return 0;
}
