#pragma once
// Transitional forwarding header: adu_buffer writes MBAP headers and RTU CRCs, which is codec
// work, so it lives in gw/codec/adu_buffer.hpp. Kept only so that code written against the old
// path keeps compiling while other branches merge; the include-layer test allows this one upward
// include and nothing else in this file. Include <gw/codec/adu_buffer.hpp>.

#include <gw/codec/adu_buffer.hpp>
