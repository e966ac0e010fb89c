include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS gw EXPORT gwTargets)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/gw DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT gwTargets NAMESPACE gw:: DESTINATION ${CMAKE_INSTALL_DATADIR}/cmake/gw)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/gwConfig.cmake.in
  ${PROJECT_BINARY_DIR}/gwConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_DATADIR}/cmake/gw)
# Header-only: the package is the same for every architecture.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gwConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/gwConfig.cmake ${PROJECT_BINARY_DIR}/gwConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_DATADIR}/cmake/gw)
