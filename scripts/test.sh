#!/bin/sh
# Builds and runs every test twice: a release build with warnings as errors,
# then an AddressSanitizer + UndefinedBehaviorSanitizer build; then runs each
# fuzz target for 60 s (clang's libFuzzer, ASan+UBSan). This is what CI runs
# (.ci/run).
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

cmake -S . -B build/ci -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPECWATCH_WERROR=ON
cmake --build build/ci -j2
ctest --test-dir build/ci --output-on-failure -j2

cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSPECWATCH_WERROR=ON \
      -DSPECWATCH_SANITIZE=ON
cmake --build build/asan -j2
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure -j2

./scripts/fuzz.sh 60
echo "all tests passed (release, ASan+UBSan, 60 s of fuzzing per target)"
