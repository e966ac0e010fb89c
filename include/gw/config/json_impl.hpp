#pragma once
// Boost.JSON's compiled part, for programs that do not link Boost::json. Include this header in
// exactly ONE translation unit of the program (the gateway's main.cpp does); it adds about 3.5 s
// to that unit's compile time, so keep it out of headers.

#include <boost/json/src.hpp>
