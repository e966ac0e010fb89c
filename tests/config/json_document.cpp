// Tests include/gw/config/detail/json_document.hpp and text_position.hpp: the located JSON tree,
// its agreement with Boost.JSON's own parser, and where syntax errors are reported.

#include <gw/config/detail/json_document.hpp>
#include <gw/config/detail/text_position.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <variant>

using namespace gw::config::detail;

namespace {

json_value tree(std::string_view text) {
    auto r = parse_json(text);
    if (auto* f = std::get_if<json_failure>(&r)) {
        FAIL_CHECK("unexpected failure at " << f->offset << ": " << f->message);
        return {};
    }
    return std::get<json_value>(std::move(r));
}

json_failure failure(std::string_view text) {
    auto r = parse_json(text);
    if (auto* f = std::get_if<json_failure>(&r)) {
        return *f;
    }
    FAIL_CHECK("expected a failure for: " << text);
    return {};
}

std::string at(std::string_view text, std::size_t offset) {
    const text_position p = position_of(text, offset);
    return std::to_string(p.line) + ":" + std::to_string(p.column);
}

boost::json::value to_boost(const json_value& v) {
    switch (v.kind) {
        case json_kind::null:
            return nullptr;
        case json_kind::boolean:
            return v.boolean;
        case json_kind::integer:
            return v.integer;
        case json_kind::unsigned_integer:
            return v.unsigned_integer;
        case json_kind::floating:
            return v.floating;
        case json_kind::string:
            return boost::json::string(v.string);
        case json_kind::array: {
            boost::json::array a;
            for (const json_value& e : v.elements) {
                a.push_back(to_boost(e));
            }
            return a;
        }
        case json_kind::object: {
            boost::json::object o;
            for (const json_member& m : v.members) {
                o[m.key] = to_boost(m.value);
            }
            return o;
        }
    }
    return nullptr;
}

/// Parsed whole by Boost.JSON, the reference the bytewise feeding must agree with.
boost::json::value reference(std::string_view text, boost::json::error_code& ec) {
    boost::json::parse_options o;
    o.allow_comments = true;
    o.allow_trailing_commas = true;
    o.max_depth = json_max_depth;
    return boost::json::parse(text, ec, {}, o);
}

}  // namespace

TEST_CASE("position_of: lines, code-point columns, CRLF and byte order mark") {
    CHECK(at("abc", 0) == "1:1");
    CHECK(at("abc", 2) == "1:3");
    CHECK(at("a\nbc", 2) == "2:1");
    CHECK(at("a\r\nbc", 4) == "2:2");
    CHECK(at("\xc3\xa9t\xc3\xa9 x", 6) == "1:5");  // "été x": x is the 5th character
    CHECK(at("\xEF\xBB\xBF{}", 3) == "1:1");
    CHECK(at("\xEF\xBB\xBF{}", 4) == "1:2");
    CHECK(at("ab", 99) == "1:3");  // clamped to the end
    CHECK(at("\tx", 1) == "1:2");
}

TEST_CASE("every key and value knows where it starts") {
    const std::string_view text =
        "// leading comment\n"
        "{\n"
        "  \"a\": 12, \"s\": \"x\\\"y\\\\\",\n"
        "  /* block */ \"arr\" : [ true , null, -3.5e2, \"\\u00e9\" ] ,\n"
        "  \"\xc3\xa9t\xc3\xa9\": { \"n\": 18446744073709551615 },\n"
        "}\n";
    const json_value root = tree(text);
    REQUIRE(root.kind == json_kind::object);
    CHECK(at(text, root.offset) == "2:1");
    REQUIRE(root.members.size() == 4);
    CHECK(at(text, root.members[0].key_offset) == "3:3");
    CHECK(at(text, root.members[0].value.offset) == "3:8");
    CHECK(root.members[0].value.integer == 12);
    CHECK(at(text, root.members[1].key_offset) == "3:12");
    CHECK(at(text, root.members[1].value.offset) == "3:17");
    CHECK(root.members[1].value.string == "x\"y\\");
    CHECK(at(text, root.members[2].key_offset) == "4:15");
    const json_value& arr = root.members[2].value;
    CHECK(at(text, arr.offset) == "4:23");
    REQUIRE(arr.elements.size() == 4);
    CHECK(at(text, arr.elements[0].offset) == "4:25");
    CHECK(at(text, arr.elements[1].offset) == "4:32");
    CHECK(at(text, arr.elements[2].offset) == "4:38");
    CHECK(arr.elements[2].kind == json_kind::floating);
    CHECK(at(text, arr.elements[3].offset) == "4:46");
    CHECK(arr.elements[3].string == "\xc3\xa9");
    CHECK(root.members[3].key == "\xc3\xa9t\xc3\xa9");
    CHECK(at(text, root.members[3].key_offset) == "5:3");
    const json_value& inner = root.members[3].value;
    CHECK(at(text, inner.offset) == "5:10");
    CHECK(at(text, inner.members[0].key_offset) == "5:12");
    CHECK(at(text, inner.members[0].value.offset) == "5:17");
    CHECK(inner.members[0].value.kind == json_kind::unsigned_integer);
}

TEST_CASE("block comments ending in **/ (which Boost 1.81 never closes) are comments") {
    const json_value v = tree("/** doc **/ {\"a\": /***/ 1 /* x **/, \"b\": [/* * */2]}");
    REQUIRE(v.members.size() == 2);
    CHECK(v.members[0].value.integer == 1);
    CHECK(v.members[1].value.elements[0].integer == 2);
    CHECK(at("/** doc **/ {}", tree("/** doc **/ {}").offset) == "1:13");
}

TEST_CASE("blank_comments keeps every offset and every string") {
    const std::string_view text =
        "\xEF\xBB\xBF// a\n{\"//\": \"/*x*/\", /* b\n c */ \"k\": 1} // d";
    const auto r = blank_comments(text);
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK(std::get<std::string>(r) == "       \n{\"//\": \"/*x*/\",            \"k\": 1}     ");
    CHECK(std::get<json_failure>(blank_comments("{} /* open")).offset == 3);
    CHECK(std::get<json_failure>(blank_comments("{\"a\": 1 / 2}")).offset == 8);
    CHECK(std::get<json_failure>(blank_comments("{}/")).offset == 2);
    CHECK(std::get<std::string>(blank_comments("\"\\\"//\"")) == "\"\\\"//\"");
}

TEST_CASE("comments where Boost 1.81 cannot resume them bytewise still parse") {
    // A comment in a value position: before the document and between a key and its value.
    const json_value a = tree("// c\n{}");
    CHECK(a.kind == json_kind::object);
    const json_value b = tree("/* c */{\"a\": /* c */ 1, \"b\": // c\n 2, \"c\":/**/[/**/]}");
    REQUIRE(b.members.size() == 3);
    CHECK(b.members[0].value.integer == 1);
    CHECK(b.members[0].value.offset == 21);
    CHECK(b.members[1].value.integer == 2);
    CHECK(b.members[2].value.kind == json_kind::array);
    // A line comment at the very end, without a newline.
    CHECK(tree("{} // end").kind == json_kind::object);
    CHECK(tree("{\"a\":1}/**///x").kind == json_kind::object);
}

TEST_CASE("the bytewise tree equals Boost.JSON's whole-buffer parse") {
    const std::string_view docs[] = {
        "{}",
        "[]",
        "{\"a\":[1,2,3,],}",
        "{\"a\" /*x*/ : /*y*/ {\"b\" : [ {} , [] , \"\" ] } /*z*/ }",
        "[0, -0, 1e3, 1.5, -1.25e-3, 9223372036854775807, 9223372036854775808, "
        "-9223372036854775808, 18446744073709551615, 18446744073709551616, 1e400]",
        "{\"esc\": \"\\b\\f\\n\\r\\t\\/\\\\\\\"\\u0041\\ud83d\\ude00\"}",
        "\"top-level string\"",
        "  42  ",
        "true",
        "[null,false]",
        "{\"k\":\"\xf0\x9f\x98\x80 \xe2\x82\xac\"}",
        "// one\n// two\n/* three */ { \"x\" : 1 } // four\n",
        "{\"\":\"\"}",
        "[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]",  // 16 levels: the limit
    };
    for (const std::string_view doc : docs) {
        boost::json::error_code ec;
        const boost::json::value expected = reference(doc, ec);
        REQUIRE_MESSAGE(!ec, doc);
        CHECK_MESSAGE(to_boost(tree(doc)) == expected, doc);
    }
}

TEST_CASE("malformed text: each failure agrees with Boost.JSON and says where and why") {
    struct bad {
        std::string_view text;
        std::string_view position;
        std::string_view message;
    };
    const bad cases[] = {
        {"", "1:1", "no JSON object in the file"},
        {"  // only a comment\n", "2:1", "no JSON object in the file"},
        // Line comments ending the file without a newline (Boost 1.81 miscounts those).
        {"//// only a comment", "1:20", "no JSON object in the file"},
        {"{\"a\": // x", "1:11", "an object is not closed"},
        {"[ // x", "1:7", "an array is not closed"},
        {"{\"a\": 1", "1:8", "an object is not closed"},
        {"{\"a\": [1,", "1:10", "an array is not closed"},
        {"{\"a\": \"abc", "1:11", "inside a string"},
        {"{\"a\": 1 \"b\": 2}", "1:9", "unexpected '\"'"},
        {"{a: 1}", "1:2", "unexpected 'a' (keys and strings need double quotes)"},
        {"{'a': 1}", "1:2", "need double quotes"},
        {"{\"a\": 1} x", "1:10", "unexpected text after the end"},
        {"{\"a\": 1}{}", "1:9", "unexpected text after the end"},
        {"{\"a\": \"x\ny\"}", "1:9", "control character 0x0a in a string"},
        {"{\"a\": \"\\q\"}", "1:9", "invalid escape sequence \\q"},
        {"{\"a\": \"\\\x01\"}", "1:9", "invalid escape sequence in a string: \\ followed by 0x01"},
        {"{\"a\": \"\\u12G4\"}", "1:12", "hexadecimal digit"},
        {"{\"a\": \"\\ud800x\"}", "1:14", "surrogate"},
        {"{\"a\": \"\xff\"}", "1:8", "invalid UTF-8"},
        {"{\"a\": \"\xc3\x28\"}", "1:9", "invalid UTF-8"},
        {"{\"a\": \"\xed\xa0\x80\"}", "1:9", "invalid UTF-8"},  // an encoded surrogate
        {"{\"a\": \"\xc0\xaf\"}", "1:8", "invalid UTF-8"},      // overlong '/'
        {"{\"a\": 01}", "1:8", "unexpected '1'"},
        {"{\"a\": 1.}", "1:9", "unexpected '}'"},
        {"{\"a\": -}", "1:8", "unexpected '}'"},
        {"{\"a\": tru}", "1:10", "unexpected '}'"},
        {"{\"a\": NaN}", "1:7", "unexpected 'N'"},
        {"{\"a\": /* never closed }", "1:7", "comment not closed"},
        {"{\"a\": / 1}", "1:7", "unexpected '/' (comments start with // or /*)"},
        {"{\"a\": 1}/", "1:9", "unexpected '/'"},
        {"{,}", "1:2", "unexpected ','"},
        {"[1,,2]", "1:4", "unexpected ','"},
        {"{\"a\": 1e99999999999999999999}", "1:7", "exponent"},
        {"[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]", "1:17", "nested deeper than 16 levels"},
        {"\xEF\xBB\xBF{} x", "1:4", "unexpected text after the end"},
    };
    for (const bad& b : cases) {
        CAPTURE(b.text);
        const json_failure f = failure(b.text);
        CHECK(at(b.text, f.offset) == b.position);
        CHECK_MESSAGE(f.message.find(b.message) != std::string::npos, f.message);
        if (b.text.starts_with("\xEF\xBB\xBF")) {
            continue;  // Boost does not skip a byte order mark
        }
        boost::json::error_code ec;
        reference(b.text, ec);
        CHECK_MESSAGE(ec.failed(), "Boost.JSON accepts it");
    }
}

TEST_CASE("NUL bytes are refused in and out of strings") {
    const std::string in_string("{\"a\": \"x\0y\"}", 12);
    const json_failure f = failure(in_string);
    CHECK(f.offset == 8);
    CHECK(f.message.find("control character 0x00") != std::string::npos);
    const std::string outside("{\"a\": 1\0}", 9);
    CHECK(failure(outside).offset == 7);
    CHECK(failure(outside).message == "unexpected 0x00");
    // Escaped, a NUL is valid JSON; the configuration checks refuse it where it matters.
    CHECK(tree("{\"a\": \"\\u0000\"}").members[0].value.string == std::string(1, '\0'));
}

TEST_CASE("size limits: long strings and keys, too many values") {
    const std::string long_string = "{\"a\": \"" + std::string(json_max_string + 1, 'x') + "\"}";
    CHECK(failure(long_string).message.find("string longer than 4096 bytes") != std::string::npos);
    const std::string ok_string = "{\"a\": \"" + std::string(json_max_string, 'x') + "\"}";
    CHECK(tree(ok_string).members[0].value.string.size() == json_max_string);
    const std::string long_key = "{\"" + std::string(json_max_string + 1, 'k') + "\": 1}";
    CHECK(failure(long_key).message.find("string longer") != std::string::npos);

    std::string many = "[";
    for (std::size_t i = 0; i < json_max_values; ++i) {
        many += "0,";
    }
    many += "0]";
    const json_failure f = failure(many);
    CHECK(f.message.find("more than 65536 values") != std::string::npos);
    // The outer array counts as one value: the 65536th zero is the first too many.
    CHECK(f.offset == 1 + 2 * (json_max_values - 1));
}
