#!/usr/bin/env bash
# Runs every wpgate fuzz target for a bounded time, one after the other.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60 (the documented runs in docs/FUZZING.md used 600).
# Working corpora live in fuzz/corpus/<target> (git-ignored) and start from the project's
# own files (fixtures, default policy, packet template) plus fuzz/seeds/<target>.
# WPGATE_FUZZ_EXTRA_SEEDS=DIR adds a read-only seed directory to every run, and
# WPGATE_FUZZ_EXTRA_SEEDS_<target>=DIR to one target (e.g. a real repository's packets);
# nothing from them is copied to the working corpus except new finds.
# Logs go to fuzz/logs/<target>.log; crashes to fuzz/artifacts/<target>/.
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain (or
# RUSTC_BOOTSTRAP=1 on stable; see docs/FUZZING.md). Exit status: 1 if any target crashed.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${1:-60}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    TARGETS=(packet policy board spec pre_push waiver)
fi
TOOLCHAIN=${WPGATE_FUZZ_TOOLCHAIN:-+nightly}
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    TOOLCHAIN=""
    export RUSTC_BOOTSTRAP=1
fi

seed() {
    local t=$1 dir=$ROOT/fuzz/corpus/$1
    mkdir -p "$dir"
    cp -n "$ROOT"/fuzz/seeds/"$t"/* "$dir"/ 2>/dev/null || true
    case $t in
        packet)  cp -n "$ROOT"/tests/fixtures/packets/*.md "$ROOT"/policies/templates/task_packet.md "$dir"/ 2>/dev/null ;;
        policy)  cp -n "$ROOT"/policies/default.toml "$dir"/ 2>/dev/null ;;
        board)   cp -n "$ROOT"/tests/fixtures/gov/TASK_BOARD.md "$dir"/ 2>/dev/null ;;
        spec)    cp -n "$ROOT"/tests/fixtures/gov/Demo_Master_Spec_v01.002.md "$dir"/ 2>/dev/null ;;
        waiver)  cp -n "$ROOT"/tests/fixtures/gov2/waivers/WAIVERS.toml "$dir"/ 2>/dev/null ;;
    esac
    true
}

mkdir -p fuzz/logs
cargo $TOOLCHAIN fuzz build --fuzz-dir fuzz || exit 2
status=0
for t in "${TARGETS[@]}"; do
    seed "$t"
    extra=()
    if [ -n "${WPGATE_FUZZ_EXTRA_SEEDS:-}" ]; then
        extra+=("$WPGATE_FUZZ_EXTRA_SEEDS")
    fi
    var=WPGATE_FUZZ_EXTRA_SEEDS_$t
    if [ -n "${!var:-}" ]; then
        extra+=("${!var}")
    fi
    mkdir -p "fuzz/artifacts/$t"
    echo "== $t: ${SECS}s" | tee "fuzz/logs/$t.log"
    start=$(date +%s)
    cargo $TOOLCHAIN fuzz run --fuzz-dir fuzz "$t" "fuzz/corpus/$t" "${extra[@]}" -- \
        -max_total_time="$SECS" -max_len=1048576 -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 >>"fuzz/logs/$t.log" 2>&1
    rc=$?
    end=$(date +%s)
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "fuzz/logs/$t.log" | tail -1 | grep -o '[0-9]*$')
    echo "== $t: exit $rc, $((end - start))s, ${execs:-?} executions, corpus $(ls "fuzz/corpus/$t" | wc -l) files" | tee -a "fuzz/logs/$t.log"
    [ $rc -ne 0 ] && status=1
done
exit $status
