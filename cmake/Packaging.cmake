# Packaging: the man page (pandoc, from docs/mcidctl.1.md), the shell completion scripts
# (printed by the built binary, so they always match its command tree), their install rules,
# and a Debian package through CPack (cpack -G DEB).
#
# Included from the top-level CMakeLists.txt after the mcidctl target and its install rule:
#   include(Packaging)
#
# The same file is also run in script mode at build time (cmake -P) to write one completion
# script: execute_process() captures the output without relying on shell redirection.

# ---- script mode: MCID_EXE completion MCID_SHELL > MCID_OUT ---------------------------------
if(CMAKE_SCRIPT_MODE_FILE)
  execute_process(
    COMMAND "${MCID_EXE}" completion "${MCID_SHELL}"
    OUTPUT_FILE "${MCID_OUT}.tmp"
    ERROR_VARIABLE _error
    RESULT_VARIABLE _result)
  if(NOT _result EQUAL 0)
    file(REMOVE "${MCID_OUT}.tmp")
    message(FATAL_ERROR "'mcidctl completion ${MCID_SHELL}' failed (${_result}): ${_error}")
  endif()
  file(SIZE "${MCID_OUT}.tmp" _size)
  if(_size EQUAL 0)
    file(REMOVE "${MCID_OUT}.tmp")
    message(FATAL_ERROR "'mcidctl completion ${MCID_SHELL}' printed nothing")
  endif()
  file(RENAME "${MCID_OUT}.tmp" "${MCID_OUT}")
  return()
endif()

include(GNUInstallDirs)

# ---- man page ---------------------------------------------------------------------------------
# Debian ships man pages gzip-compressed; `man` reads both forms.
find_program(PANDOC pandoc)
find_program(GZIP gzip)
set(MCID_MAN_SOURCE "${PROJECT_SOURCE_DIR}/docs/mcidctl.1.md")
set(MCID_MAN_PAGE "${PROJECT_BINARY_DIR}/man/mcidctl.1")
if(PANDOC)
  set(_man_outputs "${MCID_MAN_PAGE}")
  set(_man_commands
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${PROJECT_BINARY_DIR}/man"
    COMMAND "${PANDOC}" --standalone --from markdown --to man
            "--variable=footer:mcidctl ${PROJECT_VERSION}" --output "${MCID_MAN_PAGE}" "${MCID_MAN_SOURCE}")
  set(MCID_MAN_INSTALLED "${MCID_MAN_PAGE}")
  if(GZIP)
    # -n: no name or time stamp in the archive, so the package is reproducible.
    list(APPEND _man_outputs "${MCID_MAN_PAGE}.gz")
    list(APPEND _man_commands COMMAND "${GZIP}" -9 -n -f -k "${MCID_MAN_PAGE}")
    set(MCID_MAN_INSTALLED "${MCID_MAN_PAGE}.gz")
  endif()
  add_custom_command(
    OUTPUT ${_man_outputs}
    ${_man_commands}
    DEPENDS "${MCID_MAN_SOURCE}"
    COMMENT "Building the man page mcidctl.1 with pandoc"
    VERBATIM)
  add_custom_target(mcidctl_man ALL DEPENDS ${_man_outputs})
  install(FILES "${MCID_MAN_INSTALLED}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
else()
  message(STATUS "pandoc not found: the man page mcidctl.1 is not built or installed (apt-get install pandoc)")
endif()

# ---- per-command man pages (mcidctl-purge-user(1), ...) ------------------------------------------
# Written by mcidctl-gen-man from the command definitions --help prints (tools/gen_man.cpp), so
# the two cannot disagree; rebuilt whenever the commands change.
set(MCID_COMMAND_MAN_DIR "${PROJECT_BINARY_DIR}/man/commands")
if(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  message(STATUS "cross-compiling: the per-command man pages are not generated or installed")
else()
  set(_command_man_commands
    COMMAND "${CMAKE_COMMAND}" -E rm -rf "${MCID_COMMAND_MAN_DIR}"
    COMMAND "$<TARGET_FILE:mcidctl-gen-man>" "${MCID_COMMAND_MAN_DIR}")
  set(_command_man_pattern "*.1")
  if(GZIP)
    list(APPEND _command_man_commands COMMAND sh -c "\"$1\" -9 -n -f \"$2\"/*.1" sh "${GZIP}" "${MCID_COMMAND_MAN_DIR}")
    set(_command_man_pattern "*.1.gz")
  endif()
  add_custom_command(
    OUTPUT "${MCID_COMMAND_MAN_DIR}.stamp"
    ${_command_man_commands}
    COMMAND "${CMAKE_COMMAND}" -E touch "${MCID_COMMAND_MAN_DIR}.stamp"
    DEPENDS mcidctl-gen-man
    COMMENT "Writing the per-command man pages"
    VERBATIM)
  add_custom_target(mcidctl_command_man ALL DEPENDS "${MCID_COMMAND_MAN_DIR}.stamp")
  install(DIRECTORY "${MCID_COMMAND_MAN_DIR}/" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1"
          FILES_MATCHING PATTERN "${_command_man_pattern}")
endif()

# ---- shell completion scripts -------------------------------------------------------------------
# Written by running the built binary; rebuilt whenever the binary changes.
set(MCID_COMPLETION_DIR "${PROJECT_BINARY_DIR}/completions")
set(MCID_COMPLETION_bash "${MCID_COMPLETION_DIR}/mcidctl")
set(MCID_COMPLETION_zsh "${MCID_COMPLETION_DIR}/_mcidctl")
set(MCID_COMPLETION_fish "${MCID_COMPLETION_DIR}/mcidctl.fish")
if(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  message(STATUS "cross-compiling: shell completion scripts are not generated or installed")
else()
  set(_completion_outputs)
  foreach(_shell IN ITEMS bash zsh fish)
    add_custom_command(
      OUTPUT "${MCID_COMPLETION_${_shell}}"
      COMMAND "${CMAKE_COMMAND}" -E make_directory "${MCID_COMPLETION_DIR}"
      COMMAND "${CMAKE_COMMAND}" "-DMCID_EXE=$<TARGET_FILE:mcidctl>" -DMCID_SHELL=${_shell}
              "-DMCID_OUT=${MCID_COMPLETION_${_shell}}" -P "${CMAKE_CURRENT_LIST_FILE}"
      DEPENDS mcidctl "${CMAKE_CURRENT_LIST_FILE}"
      COMMENT "Generating the ${_shell} completion script"
      VERBATIM)
    list(APPEND _completion_outputs "${MCID_COMPLETION_${_shell}}")
  endforeach()
  add_custom_target(mcidctl_completions ALL DEPENDS ${_completion_outputs})
  install(FILES "${MCID_COMPLETION_bash}" DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions")
  install(FILES "${MCID_COMPLETION_zsh}" DESTINATION "${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions")
  install(FILES "${MCID_COMPLETION_fish}" DESTINATION "${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d")
endif()

# Debian wants the licence at /usr/share/doc/PACKAGE/copyright.
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION "${CMAKE_INSTALL_DOCDIR}" RENAME copyright)
# The man page points to the user guide: ship it beside the copyright file.
install(FILES "${PROJECT_SOURCE_DIR}/docs/user-guide.md" DESTINATION "${CMAKE_INSTALL_DOCDIR}")

# ---- Debian package (cpack -G DEB) ------------------------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "mcidctl")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "mcidctl")
set(CPACK_PACKAGE_CONTACT "mcidctl maintainers <mcidctl@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "link certification profiles (MCIDs) to partner organizations")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}/packages")

set(CPACK_DEBIAN_PACKAGE_NAME "mcidctl")
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")  # mcidctl_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion")
# The extended description (CPack puts the summary line first and indents the rest).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "mcidctl is a self-hosted system of record that links individuals' certification
profiles (MCIDs) to partner organizations (MPN memberships): users link their own
profiles, admins read skills reports and remove departed users, and the operator
loads the certification data. One command-line binary over one SQLite file.")
# Depends from the libraries the binary really links (dpkg-shlibdeps, from dpkg-dev); without
# dpkg-shlibdeps, the Debian 12 packages of those libraries, listed by hand. SQLiteCpp is not
# among them: Debian 12 ships it only as a static library (libsqlitecpp-dev), linked in, and
# has no libsqlitecpp0 package (naming one would make the .deb uninstallable).
find_program(DPKG_SHLIBDEPS dpkg-shlibdeps)
if(DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  # libpq and libxlsxwriter are loaded when first used (dlopen: src/store/pg.cpp, src/cli/xlsx.cpp),
  # so the binary does not link them and dpkg-shlibdeps cannot see them: named here, the rest is
  # appended.
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libpq5 (>= 14), libxlsxwriter4")
else()
  message(STATUS "dpkg-shlibdeps not found (apt-get install dpkg-dev): the .deb lists its dependencies by hand")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6 (>= 2.34), libstdc++6 (>= 12), libgcc-s1, libsodium23, libfmt9, libsqlite3-0, libxlsxwriter4, libpq5 (>= 14)")
endif()

include(CPack)
