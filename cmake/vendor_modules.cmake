# Vendor modules (adapters/module.hpp): each vendor folder registers its module with one
# cgw_vendor_module() call, and two tables are written from the calls when the tree is configured:
# cgw_vendor_modules, the product's modules, and cgw_test_vendor_modules, the same plus the
# test-only ones. A binary links one of them; nothing else lists the vendors.

set(cgw_module_tables ${CMAKE_BINARY_DIR}/vendor_modules)
cgw_library(cgw_vendor_modules ${CMAKE_SOURCE_DIR}/adapters/module.cpp
                                      ${cgw_module_tables}/product.cpp)
cgw_library(cgw_test_vendor_modules EXCLUDE_FROM_ALL ${CMAKE_SOURCE_DIR}/adapters/module.cpp
                                                            ${cgw_module_tables}/test.cpp)
target_link_libraries(cgw_vendor_modules PUBLIC cgw_sandbox_kit cgw_adapter_kit)
target_link_libraries(cgw_test_vendor_modules PUBLIC cgw_sandbox_kit cgw_adapter_kit)

# cgw_vendor_module(NAME name LIBRARIES lib... [NAMESPACE ns] [FUZZ source] [TEST_ONLY])
# registers `ns::definition` (a cgw::adapters::vendor_module, defined in one of LIBRARIES; ns
# defaults to cgw::adapters::<name>). FUZZ is the module's libFuzzer entry over the vendor's
# answers, its corpus the folder fuzz_corpus/ beside it: tests/fuzz builds fuzz_<name> from it.
function(cgw_vendor_module)
  cmake_parse_arguments(PARSE_ARGV 0 arg "TEST_ONLY" "NAME;NAMESPACE;FUZZ" "LIBRARIES")
  if(NOT arg_NAME OR NOT arg_LIBRARIES)
    message(FATAL_ERROR "cgw_vendor_module: NAME and LIBRARIES are required")
  endif()
  if(NOT arg_NAMESPACE)
    set(arg_NAMESPACE cgw::adapters::${arg_NAME})
  endif()
  set_property(GLOBAL APPEND PROPERTY CGW_TEST_VENDOR_MODULES ${arg_NAMESPACE})
  target_link_libraries(cgw_test_vendor_modules PUBLIC ${arg_LIBRARIES})
  if(NOT arg_TEST_ONLY)
    set_property(GLOBAL APPEND PROPERTY CGW_VENDOR_MODULES ${arg_NAMESPACE})
    target_link_libraries(cgw_vendor_modules PUBLIC ${arg_LIBRARIES})
  endif()
  if(arg_FUZZ)
    set_property(GLOBAL APPEND PROPERTY CGW_VENDOR_FUZZ
                 "${arg_NAME}|${CMAKE_CURRENT_SOURCE_DIR}/${arg_FUZZ}|${CMAKE_CURRENT_SOURCE_DIR}/fuzz_corpus")
  endif()
endfunction()

# Writes one table; called once every module has registered (the end of the top-level file).
function(cgw_write_module_table property file)
  get_property(namespaces GLOBAL PROPERTY ${property})
  set(declarations "")
  set(entries "")
  foreach(ns IN LISTS namespaces)
    string(APPEND declarations "namespace ${ns} {\nextern const ::cgw::adapters::vendor_module definition;\n}\n")
    string(APPEND entries "      &::${ns}::definition,\n")
  endforeach()
  file(CONFIGURE OUTPUT ${file} @ONLY CONTENT [=[
// Written by cmake/vendor_modules.cmake from the cgw_vendor_module() calls: do not edit.
#include "adapters/module.hpp"

@declarations@
namespace cgw::adapters {

std::span<const vendor_module* const> modules() {
  static const vendor_module* const all[] = {
@entries@  };
  return all;
}

}  // namespace cgw::adapters
]=])
endfunction()

function(cgw_write_module_tables)
  cgw_write_module_table(CGW_VENDOR_MODULES ${CMAKE_BINARY_DIR}/vendor_modules/product.cpp)
  cgw_write_module_table(CGW_TEST_VENDOR_MODULES ${CMAKE_BINARY_DIR}/vendor_modules/test.cpp)
endfunction()
