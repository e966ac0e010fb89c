// The one translation unit of the test program that compiles Boost.JSON.
#include <gw/config/json_impl.hpp>
