# CMake toolchain file for Cortex-M3 firmware with the Arm GNU toolchain (arm-none-eabi-gcc 12,
# newlib). Used by examples/bare_metal:
#   cmake -S examples/bare_metal -B build/fw -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-none-eabi.cmake
# Override the CPU with -DGW_ARM_CPU_FLAGS="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16".
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(GW_ARM_TOOLCHAIN_PREFIX "arm-none-eabi-" CACHE STRING "Prefix of the cross tools")
find_program(CMAKE_C_COMPILER ${GW_ARM_TOOLCHAIN_PREFIX}gcc REQUIRED)
find_program(CMAKE_CXX_COMPILER ${GW_ARM_TOOLCHAIN_PREFIX}g++ REQUIRED)
set(CMAKE_ASM_COMPILER ${CMAKE_C_COMPILER})
find_program(GW_ARM_NM ${GW_ARM_TOOLCHAIN_PREFIX}nm REQUIRED)
find_program(GW_ARM_SIZE ${GW_ARM_TOOLCHAIN_PREFIX}size REQUIRED)
find_program(GW_ARM_OBJCOPY ${GW_ARM_TOOLCHAIN_PREFIX}objcopy REQUIRED)
find_program(GW_ARM_OBJDUMP ${GW_ARM_TOOLCHAIN_PREFIX}objdump)

# There is no OS to link test programs against: CMake's compiler checks build a static library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(GW_ARM_CPU_FLAGS "-mcpu=cortex-m3 -mthumb" CACHE STRING "CPU selection flags")
set(CMAKE_C_FLAGS_INIT "${GW_ARM_CPU_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${GW_ARM_CPU_FLAGS}")
set(CMAKE_ASM_FLAGS_INIT "${GW_ARM_CPU_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${GW_ARM_CPU_FLAGS}")

# Never pick up host headers or libraries: a stray /usr/include would shadow newlib's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
