# Included by the top-level CMakeLists.txt, before any target, when MOREL_FUZZ is ON
# (preset "fuzz", build-fuzz/). Every target of that build is compiled with ASan +
# UBSan and GCC's coverage hooks, so the decoders and assemblers the harnesses drive
# are instrumented, not only the harness files:
#   -fsanitize-coverage=trace-pc   a callback per basic block: coverage, counted by
#                                  fuzz/SanitizerCoverage.cpp into libFuzzer's extra
#                                  counters (clang-14's libFuzzer dropped trace-pc)
#   -fsanitize-coverage=trace-cmp  comparison operands: libFuzzer's value profile and
#                                  its table of recent comparisons (dictionary-like)
# GCC has no trace-pc-guard or inline counters, the modes libFuzzer reads natively.
# Executables link morel_fuzz_coverage (the trace-pc callback); only the harnesses link
# the libFuzzer runtime (MOREL_LIBFUZZER, see fuzz/CMakeLists.txt), so the unit tests
# and tools of build-fuzz link and run as usual.
find_program(MOREL_CLANG14 clang-14 REQUIRED)
execute_process(COMMAND ${MOREL_CLANG14} -print-file-name=libclang_rt.fuzzer_no_main-x86_64.a
                OUTPUT_VARIABLE libfuzzer OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT EXISTS "${libfuzzer}")
  message(FATAL_ERROR "libFuzzer runtime not found (${libfuzzer}): install libclang-rt-14-dev")
endif()
# The runtime with its aborting trace-pc stub made weak, so SanitizerCoverage.cpp's wins.
set(MOREL_LIBFUZZER ${CMAKE_BINARY_DIR}/fuzz/libfuzzer_no_main_gcc.a)
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
execute_process(COMMAND ${CMAKE_OBJCOPY} --weaken-symbol=__sanitizer_cov_trace_pc
                        ${libfuzzer} ${MOREL_LIBFUZZER}
                RESULT_VARIABLE objcopy_result)
if(NOT objcopy_result EQUAL 0)
  message(FATAL_ERROR "objcopy could not copy ${libfuzzer}")
endif()

# Created before add_compile_options, so it is the one uninstrumented target.
add_library(morel_fuzz_coverage STATIC ${CMAKE_CURRENT_LIST_DIR}/SanitizerCoverage.cpp)

add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer -fsanitize-coverage=trace-pc,trace-cmp)
add_link_options(-fsanitize=address,undefined)
link_libraries(morel_fuzz_coverage)
