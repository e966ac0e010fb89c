#pragma once
// The outcome of opening a transport endpoint (a serial device, a listener): an error_code for
// programs, a message naming the resource for people, and what worked only partly.

#include <gw/transport/asio.hpp>

#include <string>
#include <vector>

namespace gw::transport {

struct open_result {
    error_code error;                   ///< empty on success
    std::string message;                ///< on failure: "<resource>: <step>: <reason>"
    std::vector<std::string> warnings;  ///< requested but not in effect (e.g. RS-485 on a pty)
    std::vector<std::string> notes;     ///< optional tuning the driver does not offer

    /// True on success (warnings and notes do not make it fail).
    explicit operator bool() const noexcept { return !error; }
};

}  // namespace gw::transport
