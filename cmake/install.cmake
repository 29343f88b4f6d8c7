# `cmake --install`: the public headers, migrator::core, the embedding tool and
# migratorConfig.cmake (find_package(migrator CONFIG)), with a version file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(MIGRATOR_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/migrator)
install(TARGETS migrator_core embed_migrations EXPORT migratorTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/core/include/migrator DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT migratorTargets NAMESPACE migrator:: DESTINATION ${MIGRATOR_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/migratorConfig.cmake.in
  ${PROJECT_BINARY_DIR}/migratorConfig.cmake INSTALL_DESTINATION ${MIGRATOR_CMAKE_DIR})
# 0.x: a minor version may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/migratorConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/migratorConfig.cmake ${PROJECT_BINARY_DIR}/migratorConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/MigratorEmbedModules.cmake
  DESTINATION ${MIGRATOR_CMAKE_DIR})
