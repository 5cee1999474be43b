#!/bin/bash
# Runs end-to-end test suites with specwatchd under valgrind memcheck (issue 9):
# a wrapper passed as SPECWATCHD runs every daemon the tests start under
# `valgrind --leak-check=full`, failing on any error or definite leak; each
# process's report goes to build/valgrind/specwatchd.PID.log (empty = clean).
#
#   scripts/valgrind-e2e.sh [BUILD_DIR] [SUITE...]   (default: build/ci, all but crash)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/ci}
shift || true
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(skeleton control faults mail backup meetings report
                                   participation catalog disk systemd)
out=$PWD/$build/valgrind
rm -rf "$out" && mkdir -p "$out"
cat > "$out/specwatchd" <<WRAP
#!/bin/sh
exec valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
    --log-file=$out/specwatchd.%p.log $PWD/$build/daemon/specwatchd "\$@"
WRAP
chmod +x "$out/specwatchd"
status=0
for s in "${suites[@]}"; do
    echo "== $s"
    SPECWATCHD=$out/specwatchd SPECWATCH=$PWD/$build/cli/specwatch \
    SPECWATCH_FIXTURES=$PWD/tests/fixtures SPECWATCH_TEST_TOOLS=$PWD/tests/tools \
    SPECWATCH_BUILD_DIR=$PWD/$build \
        python3 "tests/e2e/test_$s.py" 2>&1 | tail -3 || status=1
done
reports=$(find "$out" -name 'specwatchd.*.log' | wc -l)
dirty=$(find "$out" -name 'specwatchd.*.log' -size +0 | wc -l)
echo "valgrind: $reports daemon processes, $dirty with errors or leaks"
[ "$dirty" = 0 ] || { find "$out" -name 'specwatchd.*.log' -size +0 | head; status=1; }
exit $status
