# Installation layout and the Debian package (cpack -G DEB).
include(GNUInstallDirs)

install(FILES docs/man/specwatch.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES docs/man/specwatchd.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES docs/man/specwatch.toml.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES cli/specwatch.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME specwatch)
install(FILES config/specwatch.toml DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/specwatch/examples)
# The topic rules users include (`include = ["/usr/share/specwatch/topics.toml"]`):
# not a conffile, so package upgrades bring improved queries.
install(FILES config/topics.toml DESTINATION ${CMAKE_INSTALL_DATADIR}/specwatch)

# The example config goes to /etc/specwatch only when there is none: an
# administrator's config is never overwritten by `cmake --install`. (In the
# .deb it is a conffile, which dpkg protects the same way.)
set(SPECWATCH_ETC /etc/specwatch)
install(CODE "
  set(dest \"\$ENV{DESTDIR}${SPECWATCH_ETC}/specwatch.toml\")
  if(EXISTS \"\${dest}\")
    message(STATUS \"Keeping existing \${dest}\")
  else()
    # file(INSTALL) prefixes DESTDIR itself.
    file(INSTALL \"${PROJECT_SOURCE_DIR}/config/specwatch.toml\"
         DESTINATION \"${SPECWATCH_ETC}\" FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
  endif()")

set(CPACK_PACKAGE_NAME specwatch)
set(CPACK_PACKAGE_VENDOR "specwatch")
set(CPACK_PACKAGE_CONTACT "specwatch maintainers <specwatch@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "watches standards bodies' feeds (ITU, 3GPP, IETF, W3C, ETSI...) and mails alerts")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from the binaries themselves (dpkg-shlibdeps), plus what
# the maintainer scripts use.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd, adduser | systemd-sysusers")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
