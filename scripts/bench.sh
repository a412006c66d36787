#!/usr/bin/env bash
# Benchmark: logsql against `wc -l` and `cat > /dev/null` on the same generated file, in one run.
#
#   scripts/bench.sh [LINES]        (default 5000000 lines, about 1.1 GB)
#   LOGSQL_BIN=path/to/logsql scripts/bench.sh   (use a binary already built)
#   BENCH_BIG=1 scripts/bench.sh                 (also: peak RSS over a ~10 GB file)
#   BENCH_PEERS= scripts/bench.sh                (skip DuckDB and chDB even if installed)
#
# Prints, for each command, the median wall time of 3 runs (file in the page cache), the
# throughput in MB/s, the ratio to `wc -l` (timed in the same round, just before), and the
# peak RSS. Absolute times are noisy on shared machines: compare the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
LINES="${1:-5000000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/logsql-target}"
if [ -z "${LOGSQL_BIN:-}" ]; then
    cargo build --release --quiet
fi
BIN="${LOGSQL_BIN:-$CARGO_TARGET_DIR/release/logsql}"
DATA="${BENCH_DIR:-bench-data}"
mkdir -p "$DATA"
LOG="$DATA/access-$LINES.log"
if [ ! -s "$LOG" ]; then
    echo "generating $LINES lines into $LOG ..." >&2
    "$BIN" generate --lines "$LINES" --seed 7 > "$LOG"
fi
# The same traffic with Apache's %D appended: the hand-written combined parser (which skips
# trailing fields) and a parser compiled from the LogFormat string read the same bytes.
TIMED="$DATA/access-timed-$LINES.log"
if [ ! -s "$TIMED" ]; then
    echo "generating $LINES lines into $TIMED ..." >&2
    "$BIN" generate --lines "$LINES" --seed 7 --format apache_timed > "$TIMED"
fi
# Traffic like $LOG's from 250,000 returning visitors, a few far busier than the rest, as real
# traffic is (the NASA fixture has 178 hosts in 1,880 requests). In $LOG almost every line has a client
# of its own: the worst case for DISTINCT and GROUP BY client.
VISITORS="$DATA/access-visitors-$LINES.log"
if [ ! -s "$VISITORS" ]; then
    echo "generating $LINES lines into $VISITORS ..." >&2
    "$BIN" generate --lines "$LINES" --seed 7 --visitors 250000 > "$VISITORS"
fi
LOGFORMAT='apache:%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D'
# Compressed copies of the same log, for the decoding rows (timed against zcat / zstd -dc).
[ -s "$LOG.gz" ] || { echo "compressing $LOG.gz ..." >&2; gzip -c "$LOG" > "$LOG.gz"; }
[ -s "$LOG.zst" ] || { echo "compressing $LOG.zst ..." >&2; zstd -q -c "$LOG" > "$LOG.zst"; }
# The last hour of the log: a time-range query that --time-ordered answers by seeking.
LAST=$("$BIN" "$LOG" --out-format tsv -e "SELECT max(ts) - INTERVAL '1 hour' FROM logs" 2>/dev/null | tail -1)
LAST_HOUR="SELECT status, count(*) FROM logs WHERE ts >= '$LAST' GROUP BY status ORDER BY status"
SIZE=$(stat -c %s "$LOG")
MB=$(awk "BEGIN { printf \"%.1f\", $SIZE / 1000000 }")
cat "$LOG" > /dev/null  # warm the page cache
# Peers, when installed (pip install duckdb chdb): scripts/peer_NAME.py asks them the same
# questions as users do; LABEL names their rows.
PEERS=()
for p in ${BENCH_PEERS-duckdb chdb}; do
    if python3 -c "import $p" 2>/dev/null; then
        PEERS+=("$p")
    fi
done
declare -A LABEL=([duckdb]="duckdb regex" [chdb]="chdb regexp")

# time_once CMD...: "wall maxrss_kb" of one run, or nothing if the command failed. The wall
# time is bash's microsecond clock: GNU time's %e has 10 ms steps, 5% of a `wc -l`.
time_once() {
    local tf out t0 t1
    tf=$(mktemp)
    t0=$EPOCHREALTIME
    if /usr/bin/time -o "$tf" -f "%M" "$@" > /dev/null 2>&1; then
        t1=$EPOCHREALTIME
        out="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') $(tail -1 "$tf")"
    fi
    rm -f "$tf"
    echo "${out:-}"
}

# time_base BASE: time_once of the baseline a row is paired with.
time_base() {
    case "$1" in
        wc) time_once wc -l "$LOG" ;;
        wct) time_once wc -l "$TIMED" ;;
        wcv) time_once wc -l "$VISITORS" ;;
        pipe) time_once sh -c "cat '$LOG' | wc -l" ;;
        zcat) time_once sh -c "zcat '$LOG.gz' > /dev/null" ;;
        zstd) time_once sh -c "zstd -qdc '$LOG.zst' > /dev/null" ;;
    esac
}
declare -A BASE_NAME=([wc]="wc -l" [wct]="wc -l" [wcv]="wc -l" [pipe]="cat | wc -l" [zcat]="zcat" [zstd]="zstd -dc" [-]="-")

# run NAME BASE CMD...: 3 rounds, each timing the baseline BASE (see time_base, or - for
# none) and then CMD, back to back, so that both see the same moment of a shared machine.
# Prints the median wall of CMD, its max RSS (KB), the median of the per-round ratios to the
# baseline, the baseline's name, and the size in MB of the file read ($ROWS_MB, for MB/s).
run() {
    local name="$1" base="$2"; shift 2
    local times=() ratios=() rss=0 out b
    for _ in 1 2 3; do
        b=1
        if [ "$base" != - ]; then
            b=$(time_base "$base")
            b="${b% *}"
        fi
        out=$(time_once "$@")
        if [ -z "$out" ]; then
            # A failing command is reported, not timed (and does not end the benchmark).
            printf '%s\t0\t0\t0\t-\t0\n' "$name (FAILED)"
            return
        fi
        times+=("${out% *}")
        ratios+=("$(awk -v t="${out% *}" -v b="$b" 'BEGIN { print (b > 0) ? t / b : 0 }')")
        local r="${out#* }"
        [ "$r" -gt "$rss" ] && rss="$r"
    done
    local median ratio
    median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
    ratio=$(printf '%s\n' "${ratios[@]}" | sort -g | sed -n 2p)
    [ "$base" = - ] && ratio=0
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$median" "$rss" "$ratio" "${BASE_NAME[$base]}" "$ROWS_MB"
}

mb_of() { stat -c %s "$1" | awk '{ printf "%.1f", $1 / 1000000 }'; }
RESULTS=$(mktemp)
{
    ROWS_MB=$MB
    run "wc -l" - wc -l "$LOG"
    run "cat > /dev/null" - cat "$LOG"
    run "GROUP BY status" wc "$BIN" "$LOG" -e "SELECT status, count(*) FROM logs GROUP BY status"
    run "GROUP BY user_agent" wc "$BIN" "$LOG" -e "SELECT user_agent, count(*) FROM logs GROUP BY user_agent"
    run "GROUP BY ua_browser" wc "$BIN" "$LOG" -e "SELECT ua_browser(user_agent), count(*) FROM logs GROUP BY 1"
    run "404 top-10 URIs" wc "$BIN" "$LOG" -e "SELECT uri, count(*) FROM logs WHERE status = 404 GROUP BY uri ORDER BY 2 DESC LIMIT 10"
    run "rows per hour" wc "$BIN" "$LOG" -e "SELECT date_trunc('hour', ts) AS h, count(*) FROM logs GROUP BY h ORDER BY h"
    run "every column" wc "$BIN" "$LOG" -e "SELECT count(DISTINCT client), sum(bytes), min(ts), max(ts), count(DISTINCT user_agent) FROM logs"
    # The same columns parsed and aggregated without DISTINCT: the scan's share of the above.
    run "every column, no DISTINCT" wc "$BIN" "$LOG" -e "SELECT count(client), sum(bytes), min(ts), max(ts), count(user_agent) FROM logs"
    # 4.3M groups: all of them held, then the same under a limit (spilled to temporary files).
    TOP_CLIENTS="SELECT client, count(*) FROM logs GROUP BY client ORDER BY 2 DESC, client LIMIT 3"
    run "GROUP BY client" wc "$BIN" "$LOG" -e "$TOP_CLIENTS"
    run "  --memory-limit 200M" wc "$BIN" "$LOG" --memory-limit 200M -e "$TOP_CLIENTS"
    run "SELECT * LIMIT 10" wc "$BIN" "$LOG" -e "SELECT * FROM logs LIMIT 10"
    run "WHERE status = 500" wc "$BIN" "$LOG" -e "SELECT count(*), sum(bytes) FROM logs WHERE status = 500"
    run "last hour: full scan" wc "$BIN" "$LOG" -e "$LAST_HOUR"
    run "last hour: --time-ordered" wc "$BIN" "$LOG" --time-ordered -e "$LAST_HOUR"
    # Piped input: queried as it arrives while it is copied to a temporary file (`cat | wc -l`
    # reads the pipe with Linux's default 64 KB buffer; logsql asks for 1 MB).
    run "cat | wc -l" - sh -c "cat '$LOG' | wc -l"
    run "stdin: GROUP BY status" pipe sh -c "cat '$LOG' | '$BIN' - -e 'SELECT status, count(*) FROM logs GROUP BY status'"
    run "stdin: LIMIT 10" - sh -c "cat '$LOG' | '$BIN' - -e 'SELECT * FROM logs LIMIT 10'"
    run "zcat > /dev/null" - sh -c "zcat '$LOG.gz' > /dev/null"
    run "gzip: GROUP BY status" zcat "$BIN" "$LOG.gz" -e "SELECT status, count(*) FROM logs GROUP BY status"
    run "zstd -dc > /dev/null" - sh -c "zstd -qdc '$LOG.zst' > /dev/null"
    run "zstd: GROUP BY status" zstd "$BIN" "$LOG.zst" -e "SELECT status, count(*) FROM logs GROUP BY status"
    ROWS_MB=$(mb_of "$VISITORS")
    cat "$VISITORS" > /dev/null
    run "wc -l (visitors file)" - wc -l "$VISITORS"
    run "every column: visitors" wcv "$BIN" "$VISITORS" -e "SELECT count(DISTINCT client), sum(bytes), min(ts), max(ts), count(DISTINCT user_agent) FROM logs"
    ROWS_MB=$(mb_of "$TIMED")
    cat "$TIMED" > /dev/null
    run "wc -l (timed file)" - wc -l "$TIMED"
    run "status: combined" wct "$BIN" "$TIMED" --format combined -e "SELECT status, count(*) FROM logs GROUP BY status"
    run "status: LogFormat %D" wct "$BIN" "$TIMED" --format "$LOGFORMAT" -e "SELECT status, count(*) FROM logs GROUP BY status"
    # A pushed filter: the template tests `status = 404` as soon as it has read the status.
    run "404 top-10: combined" wct "$BIN" "$TIMED" --format combined -e "SELECT uri, count(*) FROM logs WHERE status = 404 GROUP BY uri ORDER BY 2 DESC LIMIT 10"
    run "404 top-10: LogFormat" wct "$BIN" "$TIMED" --format "$LOGFORMAT" -e "SELECT uri, count(*) FROM logs WHERE status = 404 GROUP BY uri ORDER BY 2 DESC LIMIT 10"
    run "all cols: combined" wct "$BIN" "$TIMED" --format combined -e "SELECT count(DISTINCT client), sum(bytes), min(ts), max(ts), count(DISTINCT user_agent) FROM logs"
    run "all cols: LogFormat" wct "$BIN" "$TIMED" --format "$LOGFORMAT" -e "SELECT count(DISTINCT client), sum(bytes), min(ts), max(ts), count(DISTINCT user_agent), sum(duration_ms) FROM logs"
    ROWS_MB=$MB
    for p in ${PEERS[@]+"${PEERS[@]}"}; do
        for q in status 404 hour all; do
            run "${LABEL[$p]}: $q" wc python3 "scripts/peer_$p.py" "$LOG" "$q"
        done
    done
} > "$RESULTS"

echo "file: $LOG  ($MB MB, $LINES lines), $(nproc) cores; timed rows read $TIMED ($(mb_of "$TIMED") MB), visitors rows $VISITORS ($(mb_of "$VISITORS") MB)"
# Each ratio is the median of 3 per-round ratios to the baseline timed just before it: `wc -l`
# of the same file, or `zcat` / `zstd -dc` for compressed input.
printf '%-26s %9s %10s %10s %-10s %10s\n' "command" "wall s" "MB/s" "ratio" "to" "peak RSS"
awk -F'\t' '{
    mbs = ($2 > 0) ? $6 / $2 : 0
    ratio = ($5 == "-") ? "-" : sprintf("%.2f", $4)
    printf "%-26s %9.3f %10.0f %10s %-10s %7.1f MB\n", $1, $2, mbs, ratio, $5, $3 / 1024
}' "$RESULTS"
rm -f "$RESULTS"

# Are the peers' answers right? Compare each one's status counts with logsql's (the status
# "-" they keep is logsql's NULL, left out).
if [ ${#PEERS[@]} -gt 0 ]; then
    ours=$("$BIN" "$LOG" --out-format tsv -e "SELECT status, count(*) FROM logs WHERE status IS NOT NULL GROUP BY status ORDER BY status" 2>/dev/null | tail -n +2)
    for p in "${PEERS[@]}"; do
        if ! raw=$(python3 "scripts/peer_$p.py" "$LOG" status 2>/dev/null); then
            echo "$p failed to answer the status question"
            continue
        fi
        theirs=$(echo "$raw" | grep -v '^-' || true)
        if [ "$ours" = "$theirs" ]; then
            echo "$p's status counts equal logsql's"
        else
            echo "$p's status counts differ from logsql's (logsql's are checked against the generator):"
            diff <(echo "$ours") <(echo "$theirs") | grep "^[<>]" | head -5 || true
        fi
    done
fi

# Memory as files grow (BENCH_BIG=1): GROUP BY status over the log repeated to ~10x its size,
# which is larger than most page caches; peak RSS should be what it is for 1x.
if [ "${BENCH_BIG:-0}" = 1 ]; then
    BIG="$DATA/access-x11.log"
    if [ ! -s "$BIG" ]; then
        echo "writing $BIG ..." >&2
        for _ in $(seq 11); do cat "$LOG"; done > "$BIG"
    fi
    tf=$(mktemp)
    /usr/bin/time -o "$tf" -f "%e %M" "$BIN" "$BIG" -e "SELECT status, count(*) FROM logs GROUP BY status" > /dev/null
    read -r wall rss < "$tf"
    rm -f "$tf"
    awk -v s="$(stat -c %s "$BIG")" -v w="$wall" -v r="$rss" \
        'BEGIN { printf "GROUP BY status over %.1f GB: %.1f s, peak RSS %.1f MB\n", s / 1e9, w, r / 1024 }'
fi
