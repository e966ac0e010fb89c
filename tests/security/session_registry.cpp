#include <gw/security/session_registry.hpp>
