#!/usr/bin/env bash
# Builds the seed corpus of every fuzz target in fuzz/corpus/<target>/ from a few hundred real
# lines: examples/access.log and, when present, ../shared/fixtures/real/*.log. The corpus is
# not committed (the shared fixtures must not be copied into the repository); run this before
# the first `cargo fuzz run`.
set -euo pipefail
cd "$(dirname "$0")/.."
sources=(examples/access.log)
for f in ../shared/fixtures/real/*.log; do [ -f "$f" ] && sources+=("$f"); done
sample=$(mktemp)
trap 'rm -f "$sample"' EXIT
# 120 lines from the top of each source, plus its last lines (cut-off records live there).
for f in "${sources[@]}"; do head -n 120 "$f"; tail -n 5 "$f"; echo; done > "$sample"

corpus=fuzz/corpus
for t in access_common access_combined clf_time unescape request_split line_reader scan formats; do
    mkdir -p "$corpus/$t"
done
# The formats target: every built-in format's sample lines, and a few lines of each source.
k=0
for f in formats/*.toml; do
    k=$((k + 1))
    sed -n "s/^line = '\(.*\)'$/\1/p; s/^line = \"\(.*\)\"$/\1/p" "$f" > "$corpus/formats/sample$k"
done
head -n 20 "$sample" > "$corpus/formats/access"
n=0
while IFS= read -r line; do
    n=$((n + 1))
    printf '%s' "$line" > "$corpus/access_common/l$n"
    printf '%s' "$line" > "$corpus/access_combined/l$n"
    # The timestamp, the request and the user agent of the line.
    ts=$(printf '%s' "$line" | sed -n 's/^[^[]*\[\([^]]*\)\].*/\1/p')
    [ -n "$ts" ] && printf '%s' "$ts" > "$corpus/clf_time/t$n"
    req=$(printf '%s' "$line" | sed -n 's/^[^"]*"\(\([^"\\]\|\\.\)*\)".*/\1/p')
    if [ -n "$req" ]; then
        printf '%s' "$req" > "$corpus/request_split/r$n"
        printf '%s' "$req" > "$corpus/unescape/r$n"
    fi
done < "$sample"
# Several timestamps in a row (the cached parser's runs of one day and zone).
cat "$corpus"/clf_time/t1 "$corpus"/clf_time/t2 "$corpus"/clf_time/t3 > "$corpus/clf_time/run" 2>/dev/null || true
# Line reader and whole scans: blocks of 1 to 40 lines behind their control bytes.
i=0
for size in 1 3 10 40; do
    for start in 1 50 130 260; do
        i=$((i + 1))
        block=$(mktemp)
        sed -n "${start},$((start + size - 1))p" "$sample" > "$block"
        { printf '\x05\x10\x80\x40\x07\x00\x03'; cat "$block"; } > "$corpus/line_reader/b$i"
        for mode in 0 1 2 3 4 6 13; do
            { printf "\\x$(printf %02x $mode)\\x03\\x40\\x05"; cat "$block"; } > "$corpus/scan/b${i}m$mode"
        done
        rm -f "$block"
    done
done
echo "seeded $(find "$corpus" -type f | wc -l) inputs in $corpus"
