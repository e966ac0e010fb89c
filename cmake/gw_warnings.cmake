# gw_set_warnings(<target>): the project's warning set, as errors in the top-level build.
function(gw_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wconversion -Wshadow
    -Wsign-conversion -Wold-style-cast -Wnon-virtual-dtor -Woverloaded-virtual)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # False positive on Asio coroutine frames with g++ 12 (see shared TOOLCHAIN notes).
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
  endif()
  if(GW_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# gw_core_flags(<target>): the constraints the core must live with on a microcontroller.
function(gw_core_flags target)
  if(GW_CORE_ONLY)
    target_compile_options(${target} PRIVATE -fno-exceptions -fno-rtti)
    target_compile_definitions(${target} PRIVATE DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS)
  endif()
endfunction()
