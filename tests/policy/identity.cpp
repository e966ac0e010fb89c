#include <gw/policy/identity.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace gw::policy;

TEST_CASE("a bounded string refuses what does not fit instead of truncating it") {
    bounded_string<8> s;
    CHECK(s.empty());
    REQUIRE(s.assign("operator"));
    CHECK(s.view() == "operator");
    CHECK_FALSE(s.assign("operators"));  // 9 bytes: refused, the old value stays
    CHECK(s.view() == "operator");
    REQUIRE(s.assign(""));
    CHECK(s.empty());
    static_assert(bounded_string<32>::capacity() == 32);
}

TEST_CASE("a connection without an identity has no role") {
    const connection_identity id;
    CHECK(id.source == identity_source::none);
    CHECK(id.role.empty());
    connection_identity certified;
    certified.source = identity_source::client_certificate;
    REQUIRE(certified.role.assign("viewer"));
    CHECK_FALSE(certified.role == id.role);
}
