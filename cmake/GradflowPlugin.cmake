# gradflow_add_op_plugin(<name> SOURCES <file>... [INSTALL_DESTINATION <dir>] [NO_INSTALL])
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

function(gradflow_add_op_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "NO_INSTALL" "INSTALL_DESTINATION" "SOURCES")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "gradflow_add_op_plugin(${name}): unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "gradflow_add_op_plugin(${name}): SOURCES is empty")
  endif()
  if(NOT TARGET gradflow::sdk)
    message(FATAL_ERROR "gradflow_add_op_plugin(${name}): gradflow::sdk is missing; call find_package(gradflow) first")
  endif()

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
