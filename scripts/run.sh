#!/bin/sh
# Builds specwatch and runs specwatchd in the foreground on the shipped config
# (config/specwatch.toml), with its database and control socket in ./run/ of
# the checkout, so nothing needs installing. From a second terminal:
#   SPECWATCH_SOCKET=$PWD/run/control.sock ./build/release/cli/specwatch status
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPECWATCH_TESTS=OFF
cmake --build build/release -j2
mkdir -p run
echo "specwatchd: control socket $PWD/run/control.sock; in another terminal:"
echo "  SPECWATCH_SOCKET=$PWD/run/control.sock $PWD/build/release/cli/specwatch status"
STATE_DIRECTORY="$PWD/run" RUNTIME_DIRECTORY="$PWD/run" \
    exec ./build/release/daemon/specwatchd --config config/specwatch.toml "$@"
