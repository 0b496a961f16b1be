# What `cmake --install` puts where (GNUInstallDirs): the programs, the
# students' shell, man pages, bash completion, the systemd units, the sshd
# drop-in, the libvirt network hook, the example config and the sample labs.
# debian/rules installs with prefix /usr, which makes SYSCONFDIR /etc.
include(GNUInstallDirs)

# systemd's own answer where units go (/lib/systemd/system on Debian 12).
pkg_get_variable(_systemd_unit_dir systemd systemdsystemunitdir)
if(NOT _systemd_unit_dir)
  set(_systemd_unit_dir /lib/systemd/system)
endif()
set(WORLDS_SYSTEMD_UNIT_DIR ${_systemd_unit_dir} CACHE PATH "where systemd units are installed")

# Paths the programs and the installed files name: the menu shell students
# log in to, the main program the units and the hook run, the config file.
set(WORLDS_MENU_SHELL ${CMAKE_INSTALL_FULL_BINDIR}/worlds-menu)
set(WORLDS_PROGRAM ${CMAKE_INSTALL_FULL_BINDIR}/worlds)
set(WORLDS_CONFIG_FILE ${CMAKE_INSTALL_FULL_SYSCONFDIR}/worlds/worlds.conf)
target_compile_definitions(worlds_accounts PUBLIC WORLDS_MENU_SHELL="${WORLDS_MENU_SHELL}")
target_compile_definitions(worlds_settings PUBLIC WORLDS_CONFIG_FILE="${WORLDS_CONFIG_FILE}")

# Files that name installed paths are configured into the build tree.
set(WORLDS_DATA_OUT ${CMAKE_BINARY_DIR}/data)
foreach(file systemd/worlds-broker.service systemd/worlds-broker.socket ssh/worlds.conf
             libvirt/worlds-network-hook libvirt/worlds-qemu-hook)
  configure_file(${CMAKE_SOURCE_DIR}/data/${file}.in ${WORLDS_DATA_OUT}/${file} @ONLY)
endforeach()

install(TARGETS worlds worlds-menu RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES docs/man/worlds.1 docs/man/worlds-menu.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES docs/man/worlds.conf.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES data/completion/worlds
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${WORLDS_DATA_OUT}/systemd/worlds-broker.service
              ${WORLDS_DATA_OUT}/systemd/worlds-broker.socket
        DESTINATION ${WORLDS_SYSTEMD_UNIT_DIR})
install(FILES ${WORLDS_DATA_OUT}/ssh/worlds.conf
        DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/ssh/sshd_config.d)
install(PROGRAMS ${WORLDS_DATA_OUT}/libvirt/worlds-network-hook
        DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/libvirt/hooks/network.d RENAME worlds)
install(PROGRAMS ${WORLDS_DATA_OUT}/libvirt/worlds-qemu-hook
        DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/libvirt/hooks/qemu.d RENAME worlds)
install(FILES data/worlds.conf DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/worlds)
install(FILES data/worlds.conf DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(DIRECTORY labs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/worlds/labs
        FILES_MATCHING PATTERN "*.yaml" PATTERN "*.csv")
