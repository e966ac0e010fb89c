#include <gw/codec/decode_status.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string_view>

using namespace gw;

static_assert(!is_error(decode_status::need_more) && !is_error(decode_status::frame));
static_assert(is_error(decode_status::bad_crc) && is_error(decode_status::timeout));

TEST_CASE("every status has its own name") {
    std::set<std::string_view> names;
    for (int s = 0; s <= static_cast<int>(decode_status::timeout); ++s) {
        names.insert(to_string(static_cast<decode_status>(s)));
    }
    CHECK(names.size() == 8);
    CHECK(names.count("unknown status") == 0);
}
