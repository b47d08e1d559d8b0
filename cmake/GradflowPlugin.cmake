# gradflow_add_op_plugin(<name> SOURCES <file>... [INSTALL_DESTINATION <dir>] [NO_INSTALL])
# gradflow_add_op_test(<name> SOURCES <file>... [PLUGIN <target>] [NO_ALLOCATION_CHECK])  (below)
#
# Builds an op plugin: a MODULE library (loaded with dlopen, never linked against) named
# lib<name>.so that sees only the SDK headers. Hidden visibility keeps every symbol except the
# GRADFLOW_PLUGIN entry point private, so two plugins can use the same class names without
# clashing and an upgrade cannot make a plugin depend on gradflow internals by accident.
#
# `cmake --install` copies the plugin into INSTALL_DESTINATION, by default
# GRADFLOW_PLUGIN_INSTALL_DIR: the plugin folder of the gradflow installation that
# find_package(gradflow) found, where graph-runner looks without any flag.
include_guard(GLOBAL)

# The argument checks both functions share (a macro: it reads the caller's ARG_ variables).
macro(_gradflow_check_arguments function)
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${function}(${name}): unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "${function}(${name}): SOURCES is empty")
  endif()
  if(NOT TARGET gradflow::sdk)
    message(FATAL_ERROR "${function}(${name}): gradflow::sdk is missing; call find_package(gradflow) first")
  endif()
endmacro()

function(gradflow_add_op_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "NO_INSTALL" "INSTALL_DESTINATION" "SOURCES")
  _gradflow_check_arguments(gradflow_add_op_plugin)

  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE gradflow::sdk)
  target_compile_features(${name} PRIVATE cxx_std_20)
  set_target_properties(${name} PROPERTIES
    PREFIX "lib"
    SUFFIX ".so"
    CXX_EXTENSIONS OFF
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)

  if(NOT ARG_NO_INSTALL)
    set(destination "${ARG_INSTALL_DESTINATION}")
    if(NOT destination)
      set(destination "${GRADFLOW_PLUGIN_INSTALL_DIR}")
    endif()
    if(NOT destination)
      message(FATAL_ERROR "gradflow_add_op_plugin(${name}): no INSTALL_DESTINATION and GRADFLOW_PLUGIN_INSTALL_DIR is not set")
    endif()
    install(TARGETS ${name} LIBRARY DESTINATION "${destination}")
  endif()
endfunction()

# gradflow_add_op_test(<name> SOURCES <file>... [PLUGIN <target>] [NO_ALLOCATION_CHECK])
#
# Builds a test executable of <gradflow/testing.hpp> (no test framework needed: a main() that
# returns non-zero on failure, e.g. gradflow::testing::Suite) and adds it to CTest as <name>;
# call enable_testing() once in your top-level CMakeLists.txt. With PLUGIN, the test sees the
# built plugin file as the string macro GRADFLOW_TEST_PLUGIN (load_op(GRADFLOW_TEST_PLUGIN,
# "MyOp")) and is built after it. Unless NO_ALLOCATION_CHECK, the test counts operator new, so
# that every op call is also checked for allocations (leave it out under sanitizers that
# replace operator new themselves).
function(gradflow_add_op_test name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "NO_ALLOCATION_CHECK" "PLUGIN" "SOURCES")
  _gradflow_check_arguments(gradflow_add_op_test)

  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE gradflow::sdk ${CMAKE_DL_LIBS})
  target_compile_features(${name} PRIVATE cxx_std_20)
  set_target_properties(${name} PROPERTIES CXX_EXTENSIONS OFF)
  if(NOT ARG_NO_ALLOCATION_CHECK)
    set(counter "${CMAKE_CURRENT_BINARY_DIR}/${name}_count_allocations.cpp")
    file(GENERATE OUTPUT "${counter}" CONTENT "#include <gradflow/testing/count_allocations.hpp>\n")
    target_sources(${name} PRIVATE "${counter}")
  endif()
  if(ARG_PLUGIN)
    if(NOT TARGET ${ARG_PLUGIN})
      message(FATAL_ERROR "gradflow_add_op_test(${name}): PLUGIN ${ARG_PLUGIN} is not a target")
    endif()
    target_compile_definitions(${name} PRIVATE GRADFLOW_TEST_PLUGIN="$<TARGET_FILE:${ARG_PLUGIN}>")
    add_dependencies(${name} ${ARG_PLUGIN})
  endif()
  add_test(NAME ${name} COMMAND ${name})
endfunction()
