#!/bin/bash
# Runs every fuzz target (or those named) for SECONDS each, two at a time,
# with ASan+UBSan, seeded from the fixtures and the kept crashers; prints
# executions and findings per target. A finding is saved under
# build/fuzz/findings/<target>/ — minimize it, fix the bug, and keep the input
# in fuzz/regressions/<target>/ so the replay test guards the fix.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (default: 60 s, every target)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
./scripts/install-deps.sh

CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSPECWATCH_FUZZ=ON >/dev/null
cmake --build build/fuzz -j2

declare -A seeds
every=()
while read -r name _libs dirs; do
    [[ $name =~ ^[a-z] ]] || continue
    seeds[$name]=$dirs
    every+=("$name")
done < fuzz/targets.txt
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${every[@]}")

run_one() {
    local t=$1 out=build/fuzz/runs/$1
    rm -rf "$out" build/fuzz/findings/"$t"
    mkdir -p "$out/corpus" build/fuzz/findings/"$t"
    local inputs=()
    for d in ${seeds[$t]} fuzz/regressions/$t; do [ -e "$d" ] && inputs+=("$d"); done
    set +e
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        build/fuzz/fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
        -max_len=1048576 -print_final_stats=1 \
        -artifact_prefix=build/fuzz/findings/"$t"/ "$out/corpus" "${inputs[@]}" \
        >"$out/log" 2>&1
    echo $? >"$out/rc"
    set -e
}

pids=()
for t in "${targets[@]}"; do
    [ -n "${seeds[$t]+x}" ] || { echo "unknown fuzz target '$t'" >&2; exit 2; }
    run_one "$t" &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
wait

status=0
printf '%-9s %8s %12s %9s %8s %s\n' target seconds executions exec/s corpus findings
for t in "${targets[@]}"; do
    log=build/fuzz/runs/$t/log
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find build/fuzz/runs/"$t"/corpus -type f | wc -l)
    findings=$(find build/fuzz/findings/"$t" -type f | wc -l)
    rc=$(cat build/fuzz/runs/"$t"/rc)
    note=$findings
    if [ "$rc" != 0 ] || [ "$findings" != 0 ]; then
        status=1
        note="$findings (exit $rc; see $log)"
    fi
    printf '%-9s %8s %12s %9s %8s %s\n' "$t" "$seconds" "${execs:-?}" "${rate:-?}" "$corpus" "$note"
done
exit $status
