#!/bin/bash -eu
# OSS-Fuzz build script for gw (docs/fuzzing.md). OSS-Fuzz provides $CXX, $CXXFLAGS (sanitizer
# and coverage flags), $LIB_FUZZING_ENGINE and $OUT; $SRC/gw is this repository. Locally:
#
#   CXX=clang++-14 CXXFLAGS="-fsanitize=address,undefined -fsanitize=fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/gw-fuzz-out fuzz/build.sh
#
# For every fuzzer <name>: $OUT/<name>_fuzzer, $OUT/<name>_fuzzer.dict and
# $OUT/<name>_fuzzer_seed_corpus.zip. The configuration fuzzer needs Boost >= 1.81 headers
# (Boost.JSON): set BOOST_INCLUDE to their directory when they are not in the default path; it is
# skipped with a message when they cannot be found.

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$(cd "$here/.." && pwd)"
: "${CXX:?set CXX}"
: "${LIB_FUZZING_ENGINE:?set LIB_FUZZING_ENGINE}"
: "${OUT:?set OUT}"
CXXFLAGS="${CXXFLAGS:-}"
mkdir -p "$OUT"

# Bounds checks inside std::array / std::span (libstdc++) catch overflows that stay within one
# object, which ASan cannot see. Harmless with libc++ (OSS-Fuzz's default).
common=(-std=c++20 -I"$src/include" -D_GLIBCXX_ASSERTIONS)

package() {
    local name="$1"
    cp "$here/$name/$name.dict" "$OUT/${name}_fuzzer.dict"
    rm -f "$OUT/${name}_fuzzer_seed_corpus.zip"
    (cd "$here/$name/corpus" && zip -q -j "$OUT/${name}_fuzzer_seed_corpus.zip" ./*)
}

for name in rtu_request rtu_response ascii mbap pdu_validation rtu_mbap_conversion channel \
    ip_network x509_role authorization audit_event audit_record password_hash traffic_frame \
    rfc2217; do
    echo "building ${name}_fuzzer"
    # shellcheck disable=SC2086 # CXXFLAGS and LIB_FUZZING_ENGINE are lists of flags
    $CXX $CXXFLAGS "${common[@]}" "$here/$name/${name}_fuzzer.cpp" -o "$OUT/${name}_fuzzer" \
        $LIB_FUZZING_ENGINE
    package "$name"
done

# The configuration fuzzer: exceptions on, Boost.JSON compiled into it (json_impl.hpp).
boost_flags=()
if [ -n "${BOOST_INCLUDE:-}" ]; then
    boost_flags=(-isystem "$BOOST_INCLUDE")
fi
if echo '#include <boost/json/parse.hpp>' |
    $CXX -std=c++20 "${boost_flags[@]}" -x c++ -fsyntax-only - 2>/dev/null; then
    echo "building config_fuzzer"
    # shellcheck disable=SC2086
    $CXX $CXXFLAGS "${common[@]}" "${boost_flags[@]}" "$here/config/config_fuzzer.cpp" \
        -o "$OUT/config_fuzzer" $LIB_FUZZING_ENGINE
    package config
    echo "building http_request_fuzzer"
    # shellcheck disable=SC2086
    $CXX $CXXFLAGS "${common[@]}" "${boost_flags[@]}" "$here/http_request/http_request_fuzzer.cpp" \
        -o "$OUT/http_request_fuzzer" $LIB_FUZZING_ENGINE
    package http_request
else
    echo "Boost.JSON headers not found (set BOOST_INCLUDE): config_fuzzer skipped" >&2
fi
