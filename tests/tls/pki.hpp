#pragma once
// The throwaway PKI tests/tls/CMakeLists.txt makes in the build tree at build time.

#include <string>

namespace gw_test {

inline std::string pki(const char* file) {
    return std::string{GW_TEST_PKI_DIR} + "/" + file;
}

}  // namespace gw_test
