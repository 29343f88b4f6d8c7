# migrator_embed_modules(<target> MANIFEST <path/to/modules.yaml>)
#
# Compiles the module set whose manifest is MANIFEST (MANIFEST's folder holds
# modules.yaml and <module>/migrations/*.sql) into <target>, which then has
# migrator::make_embedded_source() (migrator/embedded.h). <target> must link
# migrator::core. The set is checked at build time: any problem (a malformed
# file, a version outside its module's namespace, a manifest error) fails the
# build with `path:line: message`. Adding, editing or removing a file is picked
# up by the next build.
#
# The manifest alone gives each module its version namespace (its position in
# modules.yaml); one target embeds one set, so no order of CMake calls can
# change a namespace.
function(migrator_embed_modules target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "MANIFEST" "")
  if(ARG_UNPARSED_ARGUMENTS OR ARG_KEYWORDS_MISSING_VALUES OR NOT ARG_MANIFEST)
    message(FATAL_ERROR "usage: migrator_embed_modules(<target> MANIFEST <path/to/modules.yaml>)")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "migrator_embed_modules: no target named '${target}'")
  endif()
  get_filename_component(manifest "${ARG_MANIFEST}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  get_target_property(embedded ${target} MIGRATOR_EMBEDDED_MANIFEST)
  if(embedded)
    message(FATAL_ERROR "migrator_embed_modules: ${target} already embeds ${embedded}; a program has one "
                        "module set, ordered by its one modules.yaml")
  endif()
  get_filename_component(manifest_name "${manifest}" NAME)
  if(NOT manifest_name STREQUAL "modules.yaml")
    message(FATAL_ERROR "migrator_embed_modules: MANIFEST must be a file named modules.yaml, not '${manifest}'")
  endif()
  if(NOT EXISTS "${manifest}")
    message(FATAL_ERROR "migrator_embed_modules: ${manifest} does not exist")
  endif()
  get_filename_component(modules_dir "${manifest}" DIRECTORY)
  # Messages and status name files from the project's root ("modules/billing/...").
  file(RELATIVE_PATH display_root "${PROJECT_SOURCE_DIR}" "${modules_dir}")
  if(display_root STREQUAL "" OR display_root MATCHES "^\\.\\.")
    set(display_root "${modules_dir}")
  endif()

  # In this source tree the tool is built here; from an installed package it is imported.
  get_target_property(tool migrator::embed_migrations ALIASED_TARGET)
  if(tool)
    set(tool_dependency ${tool})
  else()
    set(tool migrator::embed_migrations)
    set(tool_dependency $<TARGET_FILE:migrator::embed_migrations>)
  endif()

  file(GLOB_RECURSE module_files CONFIGURE_DEPENDS LIST_DIRECTORIES false "${modules_dir}/*")
  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/migrator_generated")
  file(MAKE_DIRECTORY "${out_dir}")
  set(out "${out_dir}/${target}_embedded_modules.cpp")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${tool} "${modules_dir}" "${display_root}" "${out}"
    DEPENDS ${tool_dependency} ${module_files}
    COMMENT "Embedding and checking the module set ${manifest}"
    VERBATIM)
  # Compiled with migrator::core's headers and C++17 whatever <target> uses.
  add_library(${target}_migrator_modules OBJECT "${out}")
  target_link_libraries(${target}_migrator_modules PRIVATE migrator::core)
  target_sources(${target} PRIVATE $<TARGET_OBJECTS:${target}_migrator_modules>)
  set_target_properties(${target} PROPERTIES MIGRATOR_EMBEDDED_MANIFEST "${manifest}")
endfunction()
