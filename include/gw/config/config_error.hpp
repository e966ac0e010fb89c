#pragma once
// Why a configuration was refused, and where: "gateway.json:14:7: listeners[1].port: 70000 is out
// of range 1..65535".

#include <cstddef>
#include <string>

namespace gw::config {

struct config_error {
    std::string file;
    std::size_t line = 0;    ///< 1-based; 0 when the error is about the whole file (cannot open)
    std::size_t column = 0;  ///< 1-based, in characters (UTF-8 code points); a tab counts as one
    std::string key_path;    ///< e.g. "listeners[1].port"; empty for the document as a whole
    std::string message;

    /// "file:line:column: key_path: message", leaving out the parts that are not known.
    std::string to_string() const {
        std::string s = file;
        if (line != 0) {
            s += ':';
            s += std::to_string(line);
            s += ':';
            s += std::to_string(column);
        }
        s += ": ";
        if (!key_path.empty()) {
            s += key_path;
            s += ": ";
        }
        s += message;
        return s;
    }

    friend bool operator==(const config_error&, const config_error&) = default;
};

}  // namespace gw::config
