#pragma once
// The configuration's allowlist entries are the policy layer's networks: one parser, one
// matcher, used by the file reader and by the allowlist policy alike (gw/policy/ip_network.hpp).

#include <gw/policy/ip_network.hpp>

namespace gw::config {

using policy::allowlist_permits;
using policy::describe;
using policy::format_ip_address;
using policy::format_ip_network;
using policy::ip_address;
using policy::ip_network;
using policy::ip_network_errc;
using policy::ip_network_result;
using policy::ip_text;
using policy::parse_ip_address;
using policy::parse_ip_network;

}  // namespace gw::config
