# MIGRATOR_STATIC_APP (default ON): every application start pays the dynamic
# loader for each shared library and each symbol it binds, and `app` bound 33
# libraries. With this option the C++ dependencies are linked into `app`
# statically: libstdc++/libgcc, Boost.Program_options, yaml-cpp and SQLite from
# Debian's static archives (the core talks to libpq directly; libcrypto stays
# shared so that libpq and the core share one OpenSSL), spdlog and fmt compiled
# header-only (Debian ships no static archive for them); libpg_query (the
# linter's parser) from its archive, chosen in core/CMakeLists.txt. What stays
# shared is libpq (and the libraries libpq itself needs: Kerberos, LDAP, GnuTLS)
# and libc. The option itself is declared in the top-level CMakeLists.txt, before
# the core. SQLite's archive needs libm (its
# pthread and dl calls are in glibc's libc since 2.34). Only this build's imported
# targets change: the installed package's config still finds each dependency
# (find_dependency(SQLite3)) and links it as the consumer's system provides it;
# libpg_query, a plain library path, is exported as the archive itself.
# It changes the imported dependency targets, so every target of the build
# (core, tests, tools) links the same way; off for sanitizer builds.
if(NOT MIGRATOR_STATIC_APP OR MIGRATOR_SANITIZE)
  return()
endif()

# Points an imported library target at a static archive, for every configuration.
function(migrator_use_archive target archive)
  get_target_property(configs ${target} IMPORTED_CONFIGURATIONS)
  set_property(TARGET ${target} PROPERTY IMPORTED_LOCATION ${archive})
  if(configs)
    foreach(config IN LISTS configs)
      set_property(TARGET ${target} PROPERTY IMPORTED_LOCATION_${config} ${archive})
    endforeach()
  endif()
endfunction()

set(static_archives boost_program_options yaml-cpp sqlite3)
foreach(name IN LISTS static_archives)
  find_library(MIGRATOR_STATIC_${name} NAMES lib${name}.a)
  if(NOT MIGRATOR_STATIC_${name})
    message(STATUS "MIGRATOR_STATIC_APP: no lib${name}.a; app links it shared")
  endif()
endforeach()

if(MIGRATOR_STATIC_boost_program_options)
  migrator_use_archive(Boost::program_options ${MIGRATOR_STATIC_boost_program_options})
endif()
if(MIGRATOR_STATIC_yaml-cpp)
  migrator_use_archive(yaml-cpp ${MIGRATOR_STATIC_yaml-cpp})
endif()
if(MIGRATOR_STATIC_sqlite3)
  migrator_use_archive(SQLite::SQLite3 ${MIGRATOR_STATIC_sqlite3})
  set_property(TARGET SQLite::SQLite3 APPEND PROPERTY INTERFACE_LINK_LIBRARIES m)
endif()

# spdlog and fmt header-only: the same definitions for every object that includes
# them. Their imported targets are SHARED and cannot change kind, so they point
# at an empty archive: nothing of libspdlog.so or libfmt.so is linked.
set(empty_archive ${CMAKE_BINARY_DIR}/migrator-empty.a)
file(WRITE ${empty_archive} "!<arch>\n")
foreach(target spdlog::spdlog fmt::fmt)
  migrator_use_archive(${target} ${empty_archive})
endforeach()
set_property(TARGET spdlog::spdlog PROPERTY INTERFACE_COMPILE_DEFINITIONS SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY=1)
set_property(TARGET fmt::fmt PROPERTY INTERFACE_COMPILE_DEFINITIONS FMT_HEADER_ONLY=1)

# libstdc++ and libgcc into app; --as-needed drops any shared library app does not call.
target_link_options(app PRIVATE -static-libstdc++ -static-libgcc LINKER:--as-needed)
# The empty archive's folder is not a library folder: no RUNPATH for the loader to search.
set_property(TARGET app PROPERTY SKIP_BUILD_RPATH ON)
# A position-dependent executable: a PIE's loader first writes every pointer in
# app's relocated data (16,450 relative relocations, 260 KB of .data.rel.ro, most
# of it the statically linked libraries' tables), a copy-on-write page fault per
# page at every start. Without PIE those pages stay shared with the page cache;
# `app --version` measured 14.6 ms as a PIE, 13.5 ms without, against 12.4 ms for
# a program that only links libpq. What is given up is address-space layout
# randomisation of app's own code; the shared libraries keep theirs. A build
# with MIGRATOR_STATIC_APP=OFF stays a PIE.
set_property(TARGET app PROPERTY POSITION_INDEPENDENT_CODE OFF)
target_link_options(app PRIVATE -no-pie)
