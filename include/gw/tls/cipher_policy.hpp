#pragma once
// The cipher policy of a Modbus/TCP Security listener, apart from the TLS context (no Asio, no
// wolfSSL): the configuration and the plan name it, gw/tls/context.hpp applies it.

#include <cstdint>

namespace gw::tls {

/// intermediate: Mozilla's "intermediate" (TLS 1.3, and TLS 1.2 ECDHE with AES-GCM or
/// ChaCha20-Poly1305). compatibility: that plus TLS_RSA_WITH_AES_128_CBC_SHA256 for older
/// devices (Modbus/TCP Security v21); an explicit, warned opt-in. NULL suites never.
enum class cipher_policy : std::uint8_t { intermediate, compatibility };

}  // namespace gw::tls
