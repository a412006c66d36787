#!/usr/bin/env bash
# Runs every fuzz target in turn for SECONDS each (default 180) on one core, seeding the corpus
# first if needed. Crashes land in fuzz/artifacts/<target>/.
#   fuzz/run-all.sh 300            # or: TARGETS="scan line_reader" fuzz/run-all.sh 600
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-180}
target_dir=${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-/tmp/logsql-fuzz}}
targets=${TARGETS:-"access_common access_combined clf_time unescape request_split line_reader scan formats"}
[ -d fuzz/corpus/scan ] || fuzz/seed-corpus.sh
flags=(-s none -O -a --codegen-units 16 --target-dir "$target_dir")
cargo +nightly fuzz build "${flags[@]}" || exit 1
status=0
for t in $targets; do
    echo "== $t: ${seconds}s"
    cargo +nightly fuzz run "${flags[@]}" "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -max_len=65536 -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 2>&1 | grep -E "^(#|==|Done|stat::|SUMMARY|.*panicked|.*Test unit written)" | tail -n 12
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
exit $status
