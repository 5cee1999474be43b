#!/bin/bash
# Prints `specwatch --json parse` of every file of tests/fixtures, the
# feedparser corpus (../shared/conformance/feedparser when present),
# fuzz/seeds and fuzz/regressions, each after a "== PATH" line: run it
# before and after a parser change and `cmp` the two outputs, which must be
# byte-identical.
#
#   scripts/parse-outputs.sh [BUILD_DIR] > out.txt      (default: build)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
dirs=(tests/fixtures fuzz/seeds fuzz/regressions)
[ -d ../shared/conformance/feedparser ] && dirs+=(../shared/conformance/feedparser)
find "${dirs[@]}" -type f | LC_ALL=C sort | while read -r f; do
    echo "== $f"
    "$build"/cli/specwatch-local --json parse "$f" 2>&1
done
