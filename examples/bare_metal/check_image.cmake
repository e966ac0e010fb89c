# Post-build proof of the firmware's constraints (cmake -P). Fails - and deletes the ELF, so that
# nobody flashes it - when the linked image contains heap or exception machinery or exceeds its
# flash / RAM budget.
#   -DELF=<file> -DNM=<arm-none-eabi-nm> -DSIZE=<arm-none-eabi-size>
#   -DFLASH_BUDGET=<bytes> -DRAM_BUDGET=<bytes>
foreach(var ELF NM SIZE FLASH_BUDGET RAM_BUDGET)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_image.cmake: -D${var}=... is required")
  endif()
endforeach()
get_filename_component(name "${ELF}" NAME)

function(reject why)
  file(REMOVE "${ELF}")
  message(FATAL_ERROR "${name}: ${why} (image deleted)")
endfunction()

# Every symbol of the linked image, defined or not (a static link leaves none undefined).
execute_process(COMMAND "${NM}" "${ELF}" OUTPUT_VARIABLE nm_out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  reject("${NM} failed")
endif()
string(REPLACE "\n" ";" lines "${nm_out}")
# Heap: malloc family, newlib's reentrant variants and sbrk, operator new / delete in all their
# overloads (_Znwj, _Znaj, _ZnwjSt11align_val_t, _ZdlPv, _ZdlPvj, _ZdaPv, ...).
# Exceptions: throwing, catching, the personality routine. Static destructors: __cxa_atexit.
set(forbidden_regex
  "^(malloc|calloc|realloc|free|_malloc_r|_calloc_r|_realloc_r|_free_r|_sbrk|_sbrk_r|__cxa_throw|__cxa_rethrow|__cxa_allocate_exception|__cxa_begin_catch|__gxx_personality_v0|__cxa_atexit|atexit|_Znwj.*|_Znaj.*|_Zdl.*|_Zda.*)$")
set(found "")
foreach(line IN LISTS lines)
  if(line MATCHES "^[0-9a-fA-F ]* [A-Za-z] ([^ ]+)$")
    set(sym "${CMAKE_MATCH_1}")
    if(sym MATCHES "${forbidden_regex}")
      list(APPEND found "${sym}")
    endif()
  endif()
endforeach()
if(found)
  list(JOIN found ", " found_text)
  reject("forbidden symbol(s) linked: ${found_text}")
endif()
message(STATUS "${name}: symbol check passed (no malloc/free/new/delete/__cxa_throw/__cxa_allocate_exception/__cxa_atexit)")

# Sizes. Berkeley format: text (code + rodata + vectors), data (initialised RAM, also stored in
# flash), bss (zeroed RAM, including the stack section).
execute_process(COMMAND "${SIZE}" -A "${ELF}" OUTPUT_VARIABLE size_sysv)
execute_process(COMMAND "${SIZE}" -B "${ELF}" OUTPUT_VARIABLE size_out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  reject("${SIZE} failed")
endif()
message(STATUS "${name}: sections\n${size_sysv}")
if(NOT size_out MATCHES "\n[ \t]*([0-9]+)[ \t]+([0-9]+)[ \t]+([0-9]+)")
  reject("cannot parse the output of ${SIZE}: ${size_out}")
endif()
set(text "${CMAKE_MATCH_1}")
set(data "${CMAKE_MATCH_2}")
set(bss "${CMAKE_MATCH_3}")
math(EXPR flash "${text} + ${data}")
math(EXPR ram "${data} + ${bss}")
math(EXPR flash_pct "100 * ${flash} / ${FLASH_BUDGET}")
math(EXPR ram_pct "100 * ${ram} / ${RAM_BUDGET}")
message(STATUS "${name}: flash ${flash} B of ${FLASH_BUDGET} B budget (${flash_pct}%), RAM ${ram} B of ${RAM_BUDGET} B budget (${ram_pct}%) [text ${text}, data ${data}, bss+stack ${bss}]")
if(flash GREATER FLASH_BUDGET)
  reject("flash ${flash} B over budget ${FLASH_BUDGET} B")
endif()
if(ram GREATER RAM_BUDGET)
  reject("RAM ${ram} B over budget ${RAM_BUDGET} B")
endif()
