# cmake -P script: builds tests/packaging/consumer against gw in one of three ways.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(consumer ${CMAKE_CURRENT_LIST_DIR}/consumer)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}")
  endif()
endfunction()

set(extra)
if(MODE STREQUAL "find_package")
  # Install gw alone (no tests, no examples) into a private prefix, then find it there.
  run(${CMAKE_COMMAND} -S ${GW_SOURCE_DIR} -B ${WORK_DIR}/gw-build -G ${GENERATOR}
      -DCMAKE_CXX_COMPILER=${CXX} -DGW_BUILD_TESTS=OFF -DGW_BUILD_EXAMPLES=OFF
      -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/gw-build)
  set(extra -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
endif()

run(${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/consumer-build -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX} -DGW_CONSUME=${MODE} -DGW_SOURCE_DIR=${GW_SOURCE_DIR} ${extra})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-build)
run(${WORK_DIR}/consumer-build/consumer)
message(STATUS "packaging ${MODE}: consumer built and ran")
