# The two Asio flavours the transports build with. Each is an INTERFACE target that adds the
# compile definitions include/gw/transport/asio.hpp selects on; it is declared only where the
# library is found, so a machine with one flavour still configures.
#   gw::asio        standalone Asio (Debian: libasio-dev)
#   gw::boost_asio  Boost.Asio from Boost >= 1.81 (Debian: libboost1.81-dev)
# and, where wolfSSL is found (Debian: libwolfssl-dev), the same with TLS (net::ssl):
#   gw::asio_tls, gw::boost_asio_tls
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

# TLS over wolfSSL's OpenSSL compatibility layer. `pkg-config wolfssl` gives no cflags, so the
# header and the library are found directly. GW_ASIO_SSL makes gw/transport/asio.hpp include
# <wolfssl/options.h> first (it defines (BOOST_)ASIO_USE_WOLFSSL) and then net::ssl; the
# wolfssl/ directory must come before /usr/include so that the <openssl/ssl.h> Asio includes is
# wolfSSL's, not OpenSSL's (libssl-dev may be installed too, and the link would then fail). It is
# a SYSTEM directory: searched after -I, before the standard ones, and its warnings stay out.
find_path(GW_WOLFSSL_INCLUDE_DIR wolfssl/options.h DOC "Directory holding wolfssl/options.h")
find_library(GW_WOLFSSL_LIBRARY wolfssl DOC "The wolfSSL library")
mark_as_advanced(GW_WOLFSSL_INCLUDE_DIR GW_WOLFSSL_LIBRARY)
if(GW_WOLFSSL_INCLUDE_DIR AND GW_WOLFSSL_LIBRARY
   AND EXISTS ${GW_WOLFSSL_INCLUDE_DIR}/wolfssl/openssl/ssl.h)
  foreach(flavour asio boost_asio)
    if(TARGET gw_${flavour})
      add_library(gw_${flavour}_tls INTERFACE)
      add_library(gw::${flavour}_tls ALIAS gw_${flavour}_tls)
      target_link_libraries(gw_${flavour}_tls INTERFACE gw_${flavour} ${GW_WOLFSSL_LIBRARY})
      target_compile_definitions(gw_${flavour}_tls INTERFACE GW_ASIO_SSL)
      target_include_directories(gw_${flavour}_tls SYSTEM BEFORE INTERFACE
        ${GW_WOLFSSL_INCLUDE_DIR}/wolfssl)
    endif()
  endforeach()
else()
  message(STATUS "gw: wolfSSL (wolfssl/options.h, libwolfssl) not found; no TLS targets")
endif()

if(NOT TARGET gw_asio AND NOT TARGET gw_boost_asio)
  message(STATUS "gw: neither standalone Asio nor Boost.Asio found; transports are not built")
endif()
