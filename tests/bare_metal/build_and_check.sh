#!/usr/bin/env bash
# Configures and builds examples/bare_metal with the arm-none-eabi toolchain file in its own build
# directory: the firmware images (whose post-build check fails the build on a heap / exception
# symbol or an exceeded flash / RAM budget) and the semihosted unit-test images.
# Usage: build_and_check.sh <gw source dir> <build dir>
# Exit 77 (ctest: skipped) when the cross compiler is not installed.
set -euo pipefail
src=${1:?gw source dir}
build=${2:?build dir}

for tool in arm-none-eabi-g++ arm-none-eabi-nm arm-none-eabi-size; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool not found (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib)"
    exit 77
  fi
done

# Host flags (sanitizers, -march=native, ...) must not leak into a cross build.
unset CFLAGS CXXFLAGS LDFLAGS CPPFLAGS CC CXX
generator=("-G" "Unix Makefiles")
if command -v ninja >/dev/null 2>&1; then generator=("-G" "Ninja"); fi

# -U: the project's own defaults (budgets, test areas) apply even to an existing build directory.
cmake -S "$src/examples/bare_metal" -B "$build" "${generator[@]}" -U 'GW_BM_*' \
  -DCMAKE_TOOLCHAIN_FILE="$src/cmake/toolchains/arm-none-eabi.cmake" \
  -DCMAKE_BUILD_TYPE=MinSizeRel -DGW_ROOT="$src"
cmake --build "$build" -j "${GW_BM_JOBS:-2}"

for image in gw_rtu_slave.elf gw_rtu_router.elf; do
  if [[ ! -f "$build/$image" ]]; then
    echo "FAIL: $build/$image was not produced" >&2
    exit 1
  fi
done
echo "bare metal images built and checked in $build"
