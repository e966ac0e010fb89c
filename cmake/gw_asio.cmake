# The two Asio flavours the transports build with. Each is an INTERFACE target that adds the
# compile definitions include/gw/transport/asio.hpp selects on; it is declared only where the
# library is found, so a machine with one flavour still configures.
#   gw::asio        standalone Asio (Debian: libasio-dev)
#   gw::boost_asio  Boost.Asio from Boost >= 1.81 (Debian: libboost1.81-dev)
find_package(Threads QUIET)

find_path(GW_ASIO_INCLUDE_DIR asio.hpp DOC "Directory holding standalone Asio's asio.hpp")
mark_as_advanced(GW_ASIO_INCLUDE_DIR)
if(GW_ASIO_INCLUDE_DIR AND Threads_FOUND)
  add_library(gw_asio INTERFACE)
  add_library(gw::asio ALIAS gw_asio)
  set_target_properties(gw_asio PROPERTIES EXPORT_NAME asio)
  target_link_libraries(gw_asio INTERFACE gw Threads::Threads)
  target_compile_definitions(gw_asio INTERFACE ASIO_NO_DEPRECATED
    # clang 14 with libstdc++ does not detect coroutine support by itself.
    $<$<CXX_COMPILER_ID:Clang>:ASIO_HAS_CO_AWAIT=1>)
  if(NOT GW_ASIO_INCLUDE_DIR IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
    target_include_directories(gw_asio SYSTEM INTERFACE ${GW_ASIO_INCLUDE_DIR})
  endif()
  if(GW_INSTALL)
    install(TARGETS gw_asio EXPORT gwTargets)
  endif()
endif()

find_package(Boost 1.81 QUIET CONFIG)
if(TARGET Boost::headers AND Threads_FOUND)
  add_library(gw_boost_asio INTERFACE)
  add_library(gw::boost_asio ALIAS gw_boost_asio)
  set_target_properties(gw_boost_asio PROPERTIES EXPORT_NAME boost_asio)
  target_link_libraries(gw_boost_asio INTERFACE gw Boost::headers Threads::Threads)
  target_compile_definitions(gw_boost_asio INTERFACE GW_USE_BOOST_ASIO BOOST_ASIO_NO_DEPRECATED
    $<$<CXX_COMPILER_ID:Clang>:BOOST_ASIO_HAS_CO_AWAIT=1>)
  if(GW_INSTALL)
    install(TARGETS gw_boost_asio EXPORT gwTargets)
  endif()
endif()

if(NOT TARGET gw_asio AND NOT TARGET gw_boost_asio)
  message(STATUS "gw: neither standalone Asio nor Boost.Asio found; transports are not built")
endif()
