#!/bin/sh
# Installs every Debian 12 package that specwatch's build and tests need.
# Idempotent: packages already present are left alone, and apt is not even
# consulted when nothing is missing (so repeated runs cost nothing).
set -eu

PACKAGES="
  build-essential cmake ninja-build pkg-config git ca-certificates
  libcurl4-openssl-dev libpugixml-dev libsqlite3-dev sqlite3
  libboost1.81-dev libtomlplusplus-dev libical-dev libgumbo-dev
  nlohmann-json3-dev libsystemd-dev libcli11-dev libfmt-dev libxxhash-dev
  libgtest-dev libgmock-dev libbenchmark-dev libzip-dev
  python3 python3-aiosmtpd python3-openpyxl openssl clang-format
  systemd dpkg-dev file e2fsprogs util-linux
  nginx-light time newsboat rss2email
  clang libclang-rt-14-dev
"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages:$missing" >&2
  echo "install-deps: run this script as root (or: sudo $0)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
