# migrator_add_code_migrations(<target> <modules_dir>)
#
# Compiles the code migrations of a module set (<modules_dir>/<module>/migrations/*.cpp,
# and the SQLite ones in migrations/sqlite/*.cpp) into <target>, next to the source embed_migrations generates for the same set.
# Each file is told its own version and name (MIGRATOR_CODE_MIGRATION_VERSION,
# MIGRATOR_CODE_MIGRATION_FILE), so MIGRATOR_CODE_MIGRATION defines the one
# symbol the generated source refers to: the link keeps every code migration
# even from a static library, and no list is kept by hand. The glob is
# CONFIGURE_DEPENDS: adding or removing a file is picked up by the next build.
# A file whose name has no version is left out here; embed_migrations then
# fails the build naming it.
function(migrator_add_code_migrations target modules_dir)
  file(GLOB code_files CONFIGURE_DEPENDS LIST_DIRECTORIES false "${modules_dir}/*/migrations/*.cpp"
       "${modules_dir}/*/migrations/sqlite/*.cpp")
  foreach(file IN LISTS code_files)
    get_filename_component(name "${file}" NAME)
    if(NOT name MATCHES "^0*([1-9][0-9]*)_[^/]*\\.cpp$")
      continue()
    endif()
    set(definitions "MIGRATOR_CODE_MIGRATION_VERSION=${CMAKE_MATCH_1};MIGRATOR_CODE_MIGRATION_FILE=\"${name}\"")
    if(file MATCHES "/migrations/sqlite/[^/]*$")
      list(APPEND definitions MIGRATOR_CODE_MIGRATION_SQLITE)
    endif()
    set_source_files_properties("${file}" TARGET_DIRECTORY ${target} PROPERTIES COMPILE_DEFINITIONS "${definitions}")
    target_sources(${target} PRIVATE "${file}")
  endforeach()
endfunction()
