# Every dependency is a Debian 12 package (scripts/install-deps.sh); nothing is
# downloaded at build time.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(CURL REQUIRED)
find_package(pugixml REQUIRED)
find_package(SQLite3 REQUIRED)
# Boost 1.81 (libboost1.81-dev) rather than Debian's default 1.74: its Asio has
# the C++20 fixes we rely on and Boost.System gains result<T, E>, our value type
# for expected failures.
find_package(Boost 1.81 REQUIRED CONFIG)
find_package(tomlplusplus REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
pkg_check_modules(GUMBO REQUIRED IMPORTED_TARGET gumbo)
pkg_check_modules(LIBICAL REQUIRED IMPORTED_TARGET libical)
# XLSX workbooks (3GPP TDoc lists) are ZIP archives: libzip reads them from memory.
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)
