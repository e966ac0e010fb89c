#include <gw/security/login_guard.hpp>
