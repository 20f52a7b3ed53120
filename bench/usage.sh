#!/usr/bin/env bash
# GET /admin/usage latency against the number of tasks ever made (issue #13, the soak: the report used to aggregate
# every hold at each request, so it slowed down as the server lived).
#   bench/usage.sh [TASKS…]     default: 1000 10000 50000
# For each count: a fresh SQLite database made by the server's own migrations, then that many holds written straight
# into `holds` with sqlite3 (3 accounts × 2 keys × 2 models over 30 days; completed, short, failed, cancelled and open
# ones, a third with an upstream cost). Written that way, the rollup triggers of the database keep usage_daily as the
# server itself would. Then the server is started again and GET /admin/usage (all time, JSON) is asked
# USAGE_WARMUP (5) times, then USAGE_RUNS (50) times over one kept-alive connection: median, p90 and max in ms.
# Next to it, "scan": the pre-rollup report's query (an aggregate over `holds`) timed by sqlite3 on the same file, the
# CPU each request used to cost. Settings (env): USAGE_RUNS, USAGE_WARMUP, USAGE_SKIP_BUILD=1 (reuse .build/usage).
# Needs dotnet, sqlite3, curl. Loopback only; results in bench/results/<time>-usage.txt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/.build/usage"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vidgate-usage.XXXXXX")"
RESULTS="$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-usage.txt"
RUNS="${USAGE_RUNS:-50}"
WARMUP="${USAGE_WARMUP:-5}"
ADMIN_KEY="vg_bench_admin_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
COUNTS=("$@")
[ ${#COUNTS[@]} -gt 0 ] || COUNTS=(1000 10000 50000)

SERVER_PID=""
cleanup() {
    [ -z "$SERVER_PID" ] || { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
    rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf 'usage-bench: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
emit() { printf '%s\n' "$*" | tee -a "$RESULTS"; }

for tool in dotnet sqlite3 curl; do command -v "$tool" >/dev/null || die "$tool is needed"; done

if [ -n "${USAGE_SKIP_BUILD:-}" ] && [ -f "$BUILD/Vidgate.Server.dll" ]; then
    say "USAGE_SKIP_BUILD: using ${BUILD#"$ROOT"/}"
else
    say "building the server (Release)…"
    dotnet publish "$ROOT/src/Vidgate.Server/Vidgate.Server.csproj" -c Release -o "$BUILD" -nologo -v quiet >"$WORK/build.log" 2>&1 \
        || { cat "$WORK/build.log" >&2; die "build failed"; }
fi

# start DATA_DIR : the server on a free loopback port; sets SERVER_PID and URL.
start() {
    local log="$1/server.log" port="" i
    VIDGATE_DATA_DIR="$1" VIDGATE_ADMIN_KEY="$ADMIN_KEY" dotnet "$BUILD/Vidgate.Server.dll" --urls http://127.0.0.1:0 --Vidgate:Workers=false \
        --Logging:LogLevel:Default=Warning --Logging:LogLevel:Microsoft.Hosting.Lifetime=Information >"$log" 2>&1 &
    SERVER_PID=$!
    for i in $(seq 1 300); do
        port="$(sed -n 's|.*Now listening on: http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$log" | head -n1)"
        [ -n "$port" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 30 "$log" >&2; die "the server exited while starting"; }
        sleep 0.1
    done
    [ -n "$port" ] || die "the server did not start within 30 s"
    URL="http://127.0.0.1:$port"
    for i in $(seq 1 100); do curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null && return 0; sleep 0.1; done
    die "the server does not answer on $URL"
}

stop() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

# The pre-rollup report: what GET /admin/usage ran on every request before migration 0012.
SCAN_SQL="SELECT account_id, key_id, model, date(created_at / 1000, 'unixepoch') AS day, COUNT(*),
       COUNT(*) FILTER (WHERE outcome = 'completed'), COUNT(*) FILTER (WHERE outcome = 'failed'),
       COUNT(*) FILTER (WHERE outcome = 'cancelled'),
       COUNT(*) FILTER (WHERE state <> 'held' AND outcome NOT IN ('completed', 'failed', 'cancelled')),
       COUNT(*) FILTER (WHERE state = 'held'),
       COALESCE(SUM(CASE WHEN state = 'settled' THEN actual_seconds END), 0),
       COALESCE(SUM(charged), 0), COALESCE(SUM(CASE WHEN state <> 'held' THEN amount - charged END), 0),
       COALESCE(SUM(CASE WHEN state = 'held' THEN amount END), 0),
       COALESCE(SUM(upstream_cost_usd_ticks / 10000000000), 0), COALESCE(SUM(upstream_cost_usd_ticks % 10000000000), 0),
       COUNT(upstream_cost_usd_ticks)
  FROM holds GROUP BY account_id, key_id, model, day ORDER BY day, account_id, key_id, model;"

percentile() { sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int((NR - 1) * p) + 1; printf "%.1f", v[i] }'; }

mkdir -p "$(dirname "$RESULTS")"
emit "usage bench $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${COUNTS[@]}"; do
    data="$WORK/data-$n"
    mkdir -p "$data"
    start "$data"
    stop
    # 30 days back from now, a task every few minutes; outcomes by i mod 10: 6 completed (one of them short), 1 failed,
    # 1 cancelled, 2 still open; a third carry an upstream cost.
    sqlite3 "$data/vidgate.db" "
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $n - 1)
        INSERT INTO holds (task_id, account_id, key_id, model, resolution, seconds, images, per_second, per_image, price_multiplier, amount,
                           state, outcome, actual_seconds, charged, created_at, closed_at, upstream_cost_usd_ticks)
        SELECT 'task_bench_' || i, 'acct_bench_' || (i % 3), 'key_bench_' || (i % 6), CASE WHEN i % 4 < 2 THEN 'grok-imagine-video' ELSE 'sora-2' END,
               720, 8, 0, 1000000, 0, 1000000, 8000000,
               CASE WHEN i % 10 < 6 THEN 'settled' WHEN i % 10 < 8 THEN 'released' ELSE 'held' END,
               CASE WHEN i % 10 < 6 THEN 'completed' WHEN i % 10 = 6 THEN 'failed' WHEN i % 10 = 7 THEN 'cancelled' END,
               CASE WHEN i % 10 < 6 THEN CASE WHEN i % 10 = 5 THEN 5 ELSE 8 END WHEN i % 10 < 8 THEN 0 END,
               CASE WHEN i % 10 < 6 THEN CASE WHEN i % 10 = 5 THEN 5000000 ELSE 8000000 END WHEN i % 10 < 8 THEN 0 END,
               (unixepoch() - 30 * 86400) * 1000 + i * (30 * 86400000 / $n),
               CASE WHEN i % 10 < 8 THEN (unixepoch() - 30 * 86400) * 1000 + i * (30 * 86400000 / $n) + 60000 END,
               CASE WHEN i % 3 = 0 THEN 4000000000 + i END
          FROM n;" || die "seeding $n holds failed"
    # Five runs on a warm page cache; the median (sqlite3 prints its timer only when reading commands from stdin).
    scan_ms="$(for i in 1 2 3 4 5; do printf '.timer on\n%s\n' "$SCAN_SQL"; done | sqlite3 "$data/vidgate.db" 2>&1 \
        | sed -n 's/^Run Time: real \([0-9.]*\).*/\1/p' | awk '{ printf "%.1f\n", $1 * 1000 }' | percentile 0.5)"
    start "$data"
    urls=()
    for i in $(seq 1 "$((WARMUP + RUNS))"); do urls+=(-o /dev/null "$URL/admin/usage"); done
    times="$(curl -sS --fail -H "Authorization: Bearer $ADMIN_KEY" -w '%{time_total}\n' "${urls[@]}" | tail -n "$RUNS" | awk '{ printf "%.2f\n", $1 * 1000 }')"
    rows="$(curl -sS --fail -H "Authorization: Bearer $ADMIN_KEY" "$URL/admin/usage?format=csv" | tail -n +2 | wc -l)"
    stop
    emit "usage tasks=$n rows=$rows GET /admin/usage ms: median $(percentile 0.5 <<<"$times") p90 $(percentile 0.9 <<<"$times") max $(percentile 1 <<<"$times") (runs $RUNS); scan of holds (pre-rollup query, sqlite3): ${scan_ms:-?} ms"
done
say "results: ${RESULTS#"$ROOT"/}"
