# What every target of the tree shares, as usage requirements rather than global settings:
# cgw_options (C++20, the repo root on the include path, warnings, the sanitizer or fuzzer
# instrumentation), and the helpers that make a library or a program with it and with the shared
# precompiled header (cgw_pch).

add_library(cgw_options INTERFACE)
target_compile_features(cgw_options INTERFACE cxx_std_20)
target_include_directories(cgw_options INTERFACE ${CMAKE_SOURCE_DIR})
# -Wmismatched-new-delete: a known g++ 12 false positive on Asio awaitable frames.
target_compile_options(cgw_options INTERFACE -Wall -Wextra -Wno-missing-field-initializers
                                             $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)
if(CGW_FUZZ)
  target_compile_options(cgw_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(cgw_options INTERFACE -fsanitize=address,undefined)
endif()
if(CGW_SANITIZE)
  target_compile_options(cgw_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                               -fno-sanitize-recover=undefined)
  target_link_options(cgw_options INTERFACE -fsanitize=address,undefined)
endif()
if(CGW_FUZZ OR CGW_SANITIZE)
  # clang 14's function sanitizer cannot be assembled for Asio's coroutine frames ("Cannot
  # represent a difference across sections", llvm/llvm-project#49689); the rest of UBSan can.
  target_compile_options(cgw_options INTERFACE $<$<CXX_COMPILER_ID:Clang>:-fno-sanitize=function>)
endif()

# The heavy third-party headers, precompiled once and reused by every target. Every target links it
# (through cgw_net or cgw_core), so all compile with the same Boost definitions the header was
# built with: Asio and Beast compiled separately (gateway/net), without deprecated names.
add_library(cgw_pch STATIC ${CMAKE_SOURCE_DIR}/gateway/net/pch.cpp)
target_compile_definitions(cgw_pch PUBLIC BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION
                                          BOOST_ASIO_NO_DEPRECATED)
target_link_libraries(cgw_pch PUBLIC cgw_options Boost::headers Boost::json Boost::url spdlog::spdlog)
target_precompile_headers(cgw_pch PRIVATE ${CMAKE_SOURCE_DIR}/gateway/net/pch.hpp)

# cgw_library(name [EXCLUDE_FROM_ALL] source...): a static library of the tree. Its dependencies
# are its own target_link_libraries() call.
function(cgw_library name)
  add_library(${name} STATIC ${ARGN})
  target_link_libraries(${name} PUBLIC cgw_options)
  target_precompile_headers(${name} REUSE_FROM cgw_pch)
endfunction()

# cgw_executable(name source...): a program of the tree (the gateway, the sandbox program, a test
# or a benchmark).
function(cgw_executable name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE cgw_options)
  target_precompile_headers(${name} REUSE_FROM cgw_pch)
endfunction()
