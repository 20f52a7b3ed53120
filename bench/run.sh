#!/usr/bin/env bash
# Loopback benchmarks of Vidgate against baselines measured in the same run (DESIGN.md §6).
#   bench/run.sh [poll|create|render|tracking [--callbacks]|pg|pg-tracking|all]   (default all; normally run as ./vidgate bench …)
#   pg: create and poll with the server on PostgreSQL, in a throwaway cluster this script starts and removes, then the
#   same on 1 vs 2 nodes, then tracking 10,000 upstream tasks across 2 worker nodes (pg-tracking: only that).
# Every figure ends as one line: bench <name>: <figure> <value> (baseline <value>, ratio <r>, goal <g>) ok|MISS
# Settings (env): BENCH_DURATION=10s BENCH_WARMUP=3s BENCH_CONNECTIONS=32 BENCH_THREADS=2 BENCH_RENDER_RUNS=5 (render: floor runs before the server starts, and warm renders),
# BENCH_SERVER_ARGS="…" extra server arguments (to try a setting; the default is the server as shipped), BENCH_SKIP_BUILD=1 (use
# the build already in .build/bench),
# BENCH_TRACKING_TASKS=10000 BENCH_TRACKING_MIN_S=5 BENCH_TRACKING_MAX_S=120 (tracking: tasks and job durations),
# BENCH_TRACKING_RUN_S (tracking: the driver's time bound, default jobs' max + 300 s),
# BENCH_PG_TRACKING_NODES=2 (pg-tracking: worker nodes), BENCH_PG_PART=all (pg: "create" stops after pg-create, "create-poll" after pg-create and
# pg-poll, for measuring a change to those two without the minutes of the node and tracking runs), BENCH_PG_ROUNDS=5 BENCH_PG_SETTLE=10s (pg-create:
# rounds of baseline and server, alternating which goes first, and the unmeasured load of both before them), BENCH_TRACKING_POLL_FAULTS=0.05 (tracking: share of the fake's
# polls and result downloads answered 500; the issue's "notice lag under faults"), BENCH_PG_STATEMENTS=1 BENCH_PG_EXPLAIN_MS=1000 (pg, pg-tracking: a
# profiling aid, not a figure: pg_stat_statements' top statements to logs/pg-statements.txt, auto_explain's plans of 2 % of the statements slower than
# that to logs/postgres.log).
# Needs: dotnet, wrk, ffmpeg, curl (pg: Debian's postgresql package, initdb/pg_ctl under /usr/lib/postgresql/*/bin). Everything listens on 127.0.0.1 and every load has a fixed duration.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
WHAT="${1:-all}"
# tracking --callbacks: the polling run, then the same load on the fake Kling with upstream callbacks on.
CALLBACKS="${2:-}"
case "$WHAT" in poll | create | render | tracking | pg | pg-tracking | all) ;; *) echo "usage: bench/run.sh [poll|create|render|tracking [--callbacks]|pg|pg-tracking|all]" >&2; exit 2 ;; esac
case "$CALLBACKS" in "" | --callbacks) ;; *) echo "usage: bench/run.sh tracking [--callbacks]" >&2; exit 2 ;; esac

DURATION="${BENCH_DURATION:-10s}"
WARMUP="${BENCH_WARMUP:-3s}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-2}"
RENDER_RUNS="${BENCH_RENDER_RUNS:-5}"
read -r -a SERVER_ARGS <<<"${BENCH_SERVER_ARGS:-}"

BUILD="$ROOT/.build/bench"
LOGS="$BUILD/logs"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vidgate-bench.XXXXXX")"
RESULTS="$BENCH/results/$(date -u +%Y%m%dT%H%M%SZ)-$WHAT.txt"
ADMIN_KEY="vg_bench_admin_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
# The seed document's create body (shared/seed): 8 s, 16:9, 720P, text only.
SEED_BODY="$WORK/seed.json"
printf '%s' '{"model":"grok-imagine-video","prompt":"A city street in the early morning, sunlight filtering through leaves, camera slowly moving forward","seconds":"8","aspect_ratio":"16:9","resolution":"720P"}' >"$SEED_BODY"

PIDS=()
# Where the server and the baseline keep their data: empty = SQLite in the run's temp dir (the default); bench_pg sets
# them to environment for the server (VAR=VALUE…) and arguments for the baseline that point both at PostgreSQL.
SERVER_DB_ENV=()
BASELINE_DB_ARGS=()
PG_DIR=""
cleanup() {
    local pid
    for pid in ${PIDS[@]+"${PIDS[@]}"}; do kill "$pid" 2>/dev/null || true; done
    for pid in ${PIDS[@]+"${PIDS[@]}"}; do wait "$pid" 2>/dev/null || true; done
    [ -z "$PG_DIR" ] || pg_stop
    rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
now_ms() { date +%s%3N; }
# Milliseconds without a fork (bash 5); the locale may write the decimal point as a comma.
clock_ms() { local t="${EPOCHREALTIME/[.,]/}"; echo "$((t / 1000))"; }
# Lines that are results go to the terminal and to the results file.
emit() { printf '%s\n' "$*" | tee -a "$RESULTS"; }

build() {
    if [ -n "${BENCH_SKIP_BUILD:-}" ] && [ -d "$BUILD/server" ]; then say "BENCH_SKIP_BUILD: using the previous build in ${BUILD#"$ROOT"/}"; return 0; fi
    say "building Release (server, baseline)…"
    mkdir -p "$LOGS"
    local project
    local projects=(server:src/Vidgate.Server/Vidgate.Server.csproj baseline:bench/Vidgate.Bench.Baseline/Vidgate.Bench.Baseline.csproj)
    case "$WHAT" in tracking | pg | pg-tracking | all) projects+=(fakes:tests/Vidgate.Fakes/Vidgate.Fakes.csproj tracking:bench/Vidgate.Bench.Tracking/Vidgate.Bench.Tracking.csproj) ;; esac
    for project in "${projects[@]}"; do
        dotnet publish "$ROOT/${project#*:}" -c Release -o "$BUILD/${project%%:*}" -nologo -v quiet >"$LOGS/build-${project%%:*}.log" 2>&1 \
            || { cat "$LOGS/build-${project%%:*}.log" >&2; die "build of ${project%%:*} failed"; }
    done
}

machine_header() {
    mkdir -p "$(dirname "$RESULTS")"
    {
        echo "# vidgate bench $WHAT, $(date -u '+%Y-%m-%d %H:%M:%SZ'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
        echo "# machine: nproc $(nproc), cpu $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), kernel $(uname -r)"
        free -g | sed 's/^/# /'
        echo "# dotnet $(dotnet --version), $(ffmpeg -version | head -n1 | cut -d' ' -f1-3), $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)"
        echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (anything else running on the cores skews the figures)"
        echo "# settings: $CONNECTIONS connections, $THREADS wrk threads, ${DURATION} after ${WARMUP} warm-up, $RENDER_RUNS render runs, server args: ${BENCH_SERVER_ARGS:-none}"
    } >>"$RESULTS"
    # fsync cost is half of the create benchmark; on tmpfs it would be free and the comparison meaningless.
    [ "$(stat -f -c %T "$WORK")" != "tmpfs" ] || say "warning: $WORK is tmpfs; create figures will not reflect disk durability"
}

# start_app NAME COMMAND… : runs COMMAND (which must listen on --urls http://127.0.0.1:0) and sets APP_PID and APP_URL.
# Port 0 lets the kernel pick a free port; Kestrel logs the one it got, so there is no guess-and-race.
start_app() {
    local name="$1"; shift
    local log="$LOGS/$name.log" port="" i
    # Truncated here, not by the child's redirection: the port scan below must never read a previous run's log.
    : >"$log"
    "$@" >>"$log" 2>&1 &
    APP_PID=$!
    PIDS+=("$APP_PID")
    for i in $(seq 1 300); do
        port="$(sed -n 's|.*Now listening on: http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$log" | head -n1)"
        [ -n "$port" ] && break
        kill -0 "$APP_PID" 2>/dev/null || { tail -n 30 "$log" >&2; die "$name exited while starting (log: $log)"; }
        sleep 0.1
    done
    [ -n "$port" ] || die "$name did not start within 30 s (log: $log)"
    APP_URL="http://127.0.0.1:$port"
    for i in $(seq 1 100); do
        curl -fsS -o /dev/null "$APP_URL/healthz" 2>/dev/null && return 0
        sleep 0.1
    done
    die "$name does not answer on $APP_URL (log: $log)"
}

stop_app() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# start_server NAME WORKERS(true|false) [ENV=VALUE…] : a fresh server with an empty data dir; sets SERVER_PID/URL.
start_server() {
    local name="$1" workers="$2"; shift 2
    start_app "$name" env VIDGATE_DATA_DIR="$WORK/$name-data" VIDGATE_ADMIN_KEY="$ADMIN_KEY" ${SERVER_DB_ENV[@]+"${SERVER_DB_ENV[@]}"} "$@" \
        dotnet "$BUILD/server/Vidgate.Server.dll" --urls http://127.0.0.1:0 --Vidgate:Workers="$workers" ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"}
    SERVER_PID="$APP_PID" SERVER_URL="$APP_URL"
}

start_baseline() {
    start_app baseline dotnet "$BUILD/baseline/Vidgate.Bench.Baseline.dll" --urls http://127.0.0.1:0 --DataDir="$WORK/baseline-data" \
        ${BASELINE_DB_ARGS[@]+"${BASELINE_DB_ARGS[@]}"} "$@"
    BASELINE_PID="$APP_PID" BASELINE_URL="$APP_URL"
}

# api METHOD URL KEY [BODY_FILE] : the response body; fails on an HTTP error.
api() {
    local args=(-sS --fail-with-body -X "$1" -H "Authorization: Bearer $3")
    [ -z "${4:-}" ] || args+=(-H "Content-Type: application/json" --data-binary "@$4")
    curl "${args[@]}" "$2"
}
# A top-level string field of one of our own compact JSON replies (no jq dependency).
json_string() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

# A metered user key (holds and ledger rows are written as for any paying user) whose account is on the `unlimited`
# tier with a large balance, so the benchmark measures the create path, not the rate limit or an empty wallet.
new_user_key() {
    printf '{"name":"bench"}' >"$WORK/key.json"
    local created account
    created="$(api POST "$SERVER_URL/admin/keys" "$ADMIN_KEY" "$WORK/key.json")"
    USER_KEY="$(json_string key <<<"$created")"
    account="$(json_string account_id <<<"$created")"
    [ -n "$USER_KEY" ] && [ -n "$account" ] || die "POST /admin/keys returned no key"
    printf '{"tier":"unlimited"}' >"$WORK/tier.json"
    printf '{"amount_micros":1000000000000000,"reason":"bench"}' >"$WORK/topup.json"
    curl -sS --fail-with-body -X PATCH -H "Authorization: Bearer $ADMIN_KEY" -H "Content-Type: application/json" \
        --data-binary "@$WORK/tier.json" "$SERVER_URL/admin/accounts/$account" >/dev/null
    api POST "$SERVER_URL/admin/accounts/$account/top-up" "$ADMIN_KEY" "$WORK/topup.json" >/dev/null
}

# wrk_run URL [BODY_FILE] : warm-up (discarded), then the measured run; prints wrk.lua's BENCH line.
wrk_run() {
    local url="$1" body="${2:-}"
    BENCH_AUTH="Bearer $USER_KEY" BENCH_BODY_FILE="$body" \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" --timeout 5s -s "$BENCH/wrk.lua" "$url" >/dev/null
    BENCH_AUTH="Bearer $USER_KEY" BENCH_BODY_FILE="$body" \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s -s "$BENCH/wrk.lua" "$url" | grep '^BENCH ' \
        || die "wrk gave no result for $url"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# figure BENCH LABEL VALUE BASELINE RULE GOAL [FORCE_MISS]
#   RULE min-ratio: value/baseline >= goal; max-ratio: value/baseline <= goal; max: value <= goal (absolute).
figure() {
    local bench="$1" label="$2" value="$3" base="$4" rule="$5" goal="$6" force="${7:-}" verdict shown
    local ratio; ratio="$(awk -v a="$value" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
    verdict="$(awk -v a="$value" -v b="$base" -v g="$goal" -v r="$rule" 'BEGIN {
        ok = (r == "min-ratio") ? (b > 0 && a / b >= g) : (r == "max-ratio") ? (b > 0 && a / b <= g) : (a <= g)
        print ok ? "ok" : "MISS" }')"
    [ -z "$force" ] || verdict="MISS"
    case "$rule" in min-ratio) shown=">=${goal}x" ;; max-ratio) shown="<=${goal}x" ;; *) shown="<=${goal}" ;; esac
    emit "bench $bench: $label $value (baseline $base, ratio $ratio, goal $shown) $verdict"
}

# latency_lines BENCH SERVER_LINE BASELINE_LINE : p50/p99 and failure counts of both sides; sets FAILED if any failed.
latency_lines() {
    local s="$2" b="$3"
    emit "bench $1: p50 ms $(field p50_ms "$s") (baseline $(field p50_ms "$b")), p99 ms $(field p99_ms "$s") (baseline $(field p99_ms "$b"))"
    emit "bench $1: requests $(field requests "$s") in $(field seconds "$s") s, status>=400 $(field status_errors "$s"), socket errors $(field socket_errors "$s")" \
        "(baseline $(field requests "$b") in $(field seconds "$b") s, status>=400 $(field status_errors "$b"), socket errors $(field socket_errors "$b"))"
    FAILED=""
    local n
    for n in "$(field status_errors "$s")" "$(field socket_errors "$s")" "$(field status_errors "$b")" "$(field socket_errors "$b")"; do
        [ "$n" = "0" ] || FAILED=1
    done
    # A side that answered nothing within the run (every request still waiting at the end) did not fail in wrk's
    # counts, but it is no result either.
    [ "$(field requests "$s")" != "0" ] && [ "$(field requests "$b")" != "0" ] || FAILED=1
    [ -z "$FAILED" ] || emit "bench $1: requests failed or none was answered, so these figures are not a result (see $LOGS)"
}

# bench_poll [NAME] : NAME (default poll) names the figures and the logs; the store is SERVER_DB_ENV's.
bench_poll() {
    local name="${1:-poll}"
    say "$name: GET /v1/videos/{id} vs a bare Kestrel endpoint returning the same bytes"
    start_server "$name" false
    new_user_key
    local id
    id="$(api POST "$SERVER_URL/v1/videos" "$USER_KEY" "$SEED_BODY" | json_string id)"
    [ -n "$id" ] || die "create returned no id"
    # The baseline serves exactly the bytes the server answers with, so both move the same payload.
    api GET "$SERVER_URL/v1/videos/$id" "$USER_KEY" >"$WORK/poll-body.json"
    start_baseline --FixedBodyFile="$WORK/poll-body.json"
    emit "bench $name: response body $(wc -c <"$WORK/poll-body.json") bytes on both sides"

    local base server
    base="$(wrk_run "$BASELINE_URL/fixed")"
    server="$(wrk_run "$SERVER_URL/v1/videos/$id")"
    stop_app "$BASELINE_PID"
    stop_app "$SERVER_PID"

    latency_lines "$name" "$server" "$base"
    figure "$name" requests/s "$(field rps "$server")" "$(field rps "$base")" min-ratio 0.5 "$FAILED"
    figure "$name" "p99 ms" "$(field p99_ms "$server")" "$(field p99_ms "$base")" max 10 "$FAILED"
}

# bench_create [NAME] [ROUNDS] : NAME (default create) names the figures and the logs; the server's store is SERVER_DB_ENV's
# and the baseline's naive INSERT goes where BASELINE_DB_ARGS say (SQLite in the temp dir by default). With ROUNDS > 1
# (pg-create) both stay up and are measured ROUNDS times each, alternating which goes first, each side after a CHECKPOINT
# of the cluster, and the figures are the round whose ratio is the median (see docs/benchmarks.md, "measured stably").
bench_create() {
    local name="${1:-create}" rounds="${2:-1}"
    say "$name: durable POST /v1/videos (group commit) vs one autocommit INSERT per request ($rounds round(s))"
    start_server "$name" false
    new_user_key
    start_baseline

    # One create on its own first: the caches a create reads (prices, upstreams) load on first use, and the warm-up's
    # 32 requests finding them cold at once would measure that (on PostgreSQL, a stall of the thread pool) instead.
    api POST "$SERVER_URL/v1/videos" "$USER_KEY" "$SEED_BODY" >/dev/null
    if [ "$rounds" -le 1 ]; then
        local base server
        base="$(wrk_run "$BASELINE_URL/naive" "$SEED_BODY")"
        server="$(wrk_run "$SERVER_URL/v1/videos" "$SEED_BODY")"
        stop_app "$BASELINE_PID"
        stop_app "$SERVER_PID"
        latency_lines "$name" "$server" "$base"
        figure "$name" requests/s "$(field rps "$server")" "$(field rps "$base")" min-ratio 1.5 "$FAILED"
        figure "$name" "p99 ms" "$(field p99_ms "$server")" "$(field p99_ms "$base")" max 50 "$FAILED"
        return
    fi

    # The first seconds of a fresh cluster are not its steady state (new WAL segments are created and zero-filled
    # until the first checkpoint recycles them; the tables' first pages and index levels are being built): both sides
    # run once, unmeasured, before any round.
    local settle="${BENCH_PG_SETTLE:-10s}"
    wrk_for "$settle" "$BASELINE_URL/naive" "$SEED_BODY"
    wrk_for "$settle" "$SERVER_URL/v1/videos" "$SEED_BODY"
    local r side line ratios=() bases=() servers=() failed=""
    for r in $(seq 1 "$rounds"); do
        local order=(baseline server)
        [ $((r % 2)) -eq 1 ] || order=(server baseline)
        for side in "${order[@]}"; do
            pg_checkpoint
            if [ "$side" = baseline ]; then
                line="$(wrk_measured "$BASELINE_URL/naive" "$SEED_BODY" "$BASELINE_PID" naive)"
                bases+=("$line")
            else
                line="$(wrk_measured "$SERVER_URL/v1/videos" "$SEED_BODY" "$SERVER_PID" "$PG_SERVER_DB")"
                servers+=("$line")
            fi
        done
        latency_lines "$name round $r" "${servers[-1]}" "${bases[-1]}"
        [ -z "$FAILED" ] || failed=1
        cpu_lines "$name round $r" "${servers[-1]}" "${bases[-1]}"
        ratios+=("$(awk -v a="$(field rps "${servers[-1]}")" -v b="$(field rps "${bases[-1]}")" 'BEGIN { printf "%.4f", (b > 0) ? a / b : 0 }') $((r - 1))")
    done
    stop_app "$BASELINE_PID"
    stop_app "$SERVER_PID"

    # The round whose ratio is the median: its requests/s and p99 are the figures (its ratio is the median ratio).
    local mid; mid="$(printf '%s\n' "${ratios[@]}" | sort -n | awk -v n="${#ratios[@]}" 'NR == int((n + 1) / 2) { print $2 }')"
    emit "bench $name: ratios of the $rounds rounds: $(printf '%s\n' "${ratios[@]}" | awk '{ printf "%s%.2f", (NR > 1) ? " " : "", $1 }'); the median is round $((mid + 1))'s"
    emit "bench $name: server p99 ms of the rounds: $(for line in "${servers[@]}"; do printf '%s ' "$(field p99_ms "$line")"; done)"
    figure "$name" requests/s "$(field rps "${servers[$mid]}")" "$(field rps "${bases[$mid]}")" min-ratio 1.5 "$failed"
    figure "$name" "p99 ms" "$(field p99_ms "${servers[$mid]}")" "$(field p99_ms "${bases[$mid]}")" max 50 "$failed"
}

# wrk_for DURATION URL BODY_FILE : load that is not measured (settling a fresh cluster).
wrk_for() {
    BENCH_AUTH="Bearer $USER_KEY" BENCH_BODY_FILE="$3" \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$1" --timeout 5s -s "$BENCH/wrk.lua" "$2" >/dev/null
}

# wrk_measured URL BODY_FILE PID DATABASE : wrk_run's warm-up and measured run, its BENCH line extended with the CPU
# (user + system, ms) that the process PID and the cluster's processes used during the measured window only:
# app_cpu_ms, pg_cpu_ms (every process of the cluster: the backends, and the WAL writer, checkpointer…), and the
# commits of DATABASE and task rows inserted into it in the window, so a run says its creates per commit.
wrk_measured() {
    local url="$1" body="$2" pid="$3" db="$4" app0 pg0 app1 pg1 st0 st1 line
    BENCH_AUTH="Bearer $USER_KEY" BENCH_BODY_FILE="$body" \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" --timeout 5s -s "$BENCH/wrk.lua" "$url" >/dev/null
    st0="$(pg_db_stat "$db")"
    app0="$(proc_cpu_ms "$pid")" pg0="$(pg_cpu_ms)"
    line="$(BENCH_AUTH="Bearer $USER_KEY" BENCH_BODY_FILE="$body" \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s -s "$BENCH/wrk.lua" "$url" | grep '^BENCH ')" \
        || die "wrk gave no result for $url"
    app1="$(proc_cpu_ms "$pid")" pg1="$(pg_cpu_ms)"
    st1="$(pg_db_stat "$db")"
    echo "$line app_cpu_ms=$((app1 - app0)) pg_cpu_ms=$((pg1 - pg0)) commits=$(($(cut -d' ' -f1 <<<"$st1") - $(cut -d' ' -f1 <<<"$st0"))) inserted=$(($(cut -d' ' -f2 <<<"$st1") - $(cut -d' ' -f2 <<<"$st0")))"
}

# cpu_lines BENCH SERVER_LINE BASELINE_LINE : CPU per request of each side, split app / PostgreSQL, and rows per commit.
cpu_lines() {
    local s="$2" b="$3"
    emit "bench $1: $(awk -v rs="$(field requests "$s")" -v as="$(field app_cpu_ms "$s")" -v ps="$(field pg_cpu_ms "$s")" \
        -v rb="$(field requests "$b")" -v ab="$(field app_cpu_ms "$b")" -v pb="$(field pg_cpu_ms "$b")" \
        -v ss="$(field seconds "$s")" -v sb="$(field seconds "$b")" -v cs="$(field commits "$s")" -v is="$(field inserted "$s")" -v cb="$(field commits "$b")" -v ib="$(field inserted "$b")" 'BEGIN {
        if (rs == 0 || rb == 0) { print "CPU per request: n/a"; exit }
        ts = (as + ps) / rs; tb = (ab + pb) / rb
        printf "CPU ms per request: server %.3f + PostgreSQL %.3f = %.3f (baseline %.3f + %.3f = %.3f, ratio %.2f); cores busy %.2f (baseline %.2f); tasks inserted per commit %.1f (baseline %.1f; a pooled open adds a reset transaction)",
            as / rs, ps / rs, ts, ab / rb, pb / rb, tb, (tb > 0) ? ts / tb : 0, (as + ps) / ss / 1000, (ab + pb) / sb / 1000,
            (cs > 0) ? is / cs : 0, (cb > 0) ? ib / cb : 0 }')"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
seconds_of() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }

# render_once : create the seed task and wait for "completed"; prints the client-side milliseconds.
# created_at/completed_at are whole seconds, so the client times it: create sent → "completed" seen, 50 ms polls.
# The polls come from ONE curl process (URL range, --rate, one kept-alive connection) read line by line with bash
# builtins and the clock from $EPOCHREALTIME: a fork of curl, sed and date per poll would take a fifth of a core
# from the render being measured.
render_once() {
    local t0 id line poll poller result=""
    t0="$(clock_ms)"
    id="$(api POST "$SERVER_URL/v1/videos" "$USER_KEY" "$SEED_BODY" | json_string id)"
    [ -n "$id" ] || die "create returned no id"
    exec {poll}< <(curl -sS --rate 20/s -w '\n' -H "Authorization: Bearer $USER_KEY" "$SERVER_URL/v1/videos/$id?poll=[1-6000]" 2>/dev/null)
    poller=$!
    while IFS= read -r -u "$poll" line; do
        case "$line" in
            *'"status":"completed"'*) result="$(($(clock_ms) - t0))"; break ;;
            *'"status":"failed"'* | *'"status":"cancelled"'*) kill "$poller" 2>/dev/null; die "render of $id failed: $line (log: $LOGS/render.log)" ;;
        esac
    done
    # The poller would go on through its 6,000 URLs (5 minutes at 20/s) and load the server during the next renders.
    kill "$poller" 2>/dev/null || true
    exec {poll}<&-
    [ -n "$result" ] || die "render of $id not done after 5 minutes"
    echo "$result"
}

# proc_cpu_ms PID : user + system time of a running process so far (utime, stime of /proc/PID/stat), with builtins only.
CLK_TCK="$(getconf CLK_TCK)"
proc_cpu_ms() {
    local -a stat
    read -ra stat <"/proc/$1/stat"
    echo "$(((stat[13] + stat[14]) * 1000 / CLK_TCK))"
}

# floor_once : ffmpeg's own testsrc2 encode of the same size and length; sets FLOOR_MS (wall) and FLOOR_CPU_MS.
floor_once() {
    local t0 before after
    local -a stat
    read -ra stat </proc/$BASHPID/stat
    before=$((stat[15] + stat[16]))
    t0="$(clock_ms)"
    "$FFMPEG_BIN" -hide_banner -nostdin -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=24 -t 8 \
        -c:v libx264 -preset veryfast -pix_fmt yuv420p "$WORK/floor.mp4"
    FLOOR_MS=$(($(clock_ms) - t0))
    read -ra stat </proc/$BASHPID/stat
    after=$((stat[15] + stat[16]))
    FLOOR_CPU_MS=$(((after - before) * 1000 / CLK_TCK))
}

# measured_render : one render_once; sets RENDER_MS (client side) and RENDER_CPU_MS (the server's CPU time meanwhile plus
# that of the ffmpeg runs it started, from bench/ffmpeg-timing.sh's log), FFMPEG_RUNS (how many).
measured_render() {
    local server_before lines_before server_after
    server_before="$(proc_cpu_ms "$SERVER_PID")"
    lines_before="$(wc -l <"$WORK/ffmpeg.log")"
    RENDER_MS="$(render_once)"
    server_after="$(proc_cpu_ms "$SERVER_PID")"
    local ffmpeg_cpu
    ffmpeg_cpu="$(tail -n +"$((lines_before + 1))" "$WORK/ffmpeg.log" | awk '{ t += $4 } END { print t + 0 }')"
    FFMPEG_RUNS="$(($(wc -l <"$WORK/ffmpeg.log") - lines_before))"
    RENDER_CPU_MS=$((server_after - server_before + ffmpeg_cpu))
}

# The first render as a new user meets it (issue #13): the floor, then a fresh server, then ONE cold render (create →
# "completed", 50 ms polls on one kept-alive connection) right after it listens, then warm renders, each after a floor
# run, so a change in machine load hits both alike. The floor is the median of all floor runs of this run.
bench_render() {
    say "render: builtin 8 s 1280x720 render, cold (first after start) and warm, vs ffmpeg's x264 encode of testsrc2 ($RENDER_RUNS runs each, median)"
    local i floor=() floor_cpu=() warm=() warm_cpu=() cold cold_cpu started_ms
    FFMPEG_BIN="$(command -v ffmpeg)"
    for i in $(seq 1 "$RENDER_RUNS"); do
        floor_once
        floor+=("$FLOOR_MS") floor_cpu+=("$FLOOR_CPU_MS")
    done

    # The server runs ffmpeg through bench/ffmpeg-timing.sh, which logs each command line, its duration and CPU time.
    : >"$WORK/ffmpeg.log"
    started_ms="$(clock_ms)"
    start_server render true VIDGATE_FFMPEG="$BENCH/ffmpeg-timing.sh" BENCH_REAL_FFMPEG="$FFMPEG_BIN" BENCH_FFMPEG_LOG="$WORK/ffmpeg.log"
    started_ms=$(($(clock_ms) - started_ms))
    new_user_key
    measured_render
    cold="$RENDER_MS" cold_cpu="$RENDER_CPU_MS"
    grep -- ' libx264 ' "$WORK/ffmpeg.log" | tail -n1 | cut -d' ' -f5- >"$LOGS/render-encode-command.txt"

    for i in $(seq 1 "$RENDER_RUNS"); do
        floor_once
        floor+=("$FLOOR_MS") floor_cpu+=("$FLOOR_CPU_MS")
        measured_render
        warm+=("$RENDER_MS") warm_cpu+=("$RENDER_CPU_MS")
    done
    stop_app "$SERVER_PID"

    local floor_ms floor_cpu_ms warm_ms warm_cpu_ms in_server_encode
    floor_ms="$(printf '%s\n' "${floor[@]}" | median)"
    floor_cpu_ms="$(printf '%s\n' "${floor_cpu[@]}" | median)"
    warm_ms="$(printf '%s\n' "${warm[@]}" | median)"
    warm_cpu_ms="$(printf '%s\n' "${warm_cpu[@]}" | median)"
    in_server_encode="$(grep -- ' libx264 ' "$WORK/ffmpeg.log" | tail -n +2 | awk '{ print $2 - $1 }' | median)"
    emit "bench render: load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); server start to listening $(seconds_of "$started_ms") s"
    emit "bench render: runs ms: floor ${floor[*]}; cold ${cold}; warm ${warm[*]}"
    emit "bench render: CPU ms (user+system, every process of a render; load-independent): floor ${floor_cpu[*]}; cold ${cold_cpu}; warm ${warm_cpu[*]}"
    emit "bench render: inside the server (warm median): the encode run (frames drawn and piped in meanwhile) $(seconds_of "$in_server_encode") s, $FFMPEG_RUNS ffmpeg run(s) per render"
    figure render "cold s" "$(seconds_of "$cold")" "$(seconds_of "$floor_ms")" max-ratio 1.3
    figure render "warm s" "$(seconds_of "$warm_ms")" "$(seconds_of "$floor_ms")" max-ratio 1.2
    # Not a goal, a guide: on two idle cores wall time follows CPU time, and CPU time hardly moves with other load.
    emit "bench render: warm CPU s $(seconds_of "$warm_cpu_ms") (floor $(seconds_of "$floor_cpu_ms"), ratio $(awk -v a="$warm_cpu_ms" -v b="$floor_cpu_ms" 'BEGIN { printf "%.2f", a / b }'))"
}

# A throwaway PostgreSQL cluster, as tests/Vidgate.Tests/Support/PostgresServer.cs starts one: Debian's initdb/pg_ctl
# (the newest under /usr/lib/postgresql), a temp dir, trust auth on loopback, the unix socket in that dir. PostgreSQL
# refuses to run as root, so under root it runs as the `postgres` user (runuser). Unlike the tests' cluster, fsync
# stays on: create is a durability benchmark. Sets PG_DIR, PG_PORT; pg_stop (from the EXIT trap) removes it all.
PG_RUN=()
pg_start() {
    local dir
    PG_BIN=""
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && { PG_BIN="$dir"; break; }
    done
    [ -n "$PG_BIN" ] || die "PostgreSQL's initdb/pg_ctl not found under /usr/lib/postgresql/*/bin: apt-get install postgresql"
    if [ "$(id -u)" -eq 0 ]; then
        id -u postgres >/dev/null 2>&1 || die "PostgreSQL refuses to run as root and there is no 'postgres' user to run it as"
        PG_RUN=(runuser -u postgres --)
    fi
    # Made by the user the cluster runs as, so it owns it; /tmp because a root-only TMPDIR would not do for it.
    PG_DIR="$(${PG_RUN[@]+"${PG_RUN[@]}"} mktemp -d /tmp/vidgate-bench-pg.XXXXXX)"
    [ "$(stat -f -c %T "$PG_DIR")" != "tmpfs" ] || say "warning: $PG_DIR is tmpfs; PostgreSQL create figures will not reflect disk durability"
    ${PG_RUN[@]+"${PG_RUN[@]}"} "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
        >"$LOGS/pg-initdb.log" 2>&1 || { cat "$LOGS/pg-initdb.log" >&2; die "initdb failed"; }
    # pg_ctl cannot be given port 0: try random free-looking ports until one starts (a taken one fails the start).
    local try
    for try in 1 2 3 4 5 6 7 8 9 10; do
        PG_PORT="$((20000 + RANDOM % 40000))"
        (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null && continue
        ${PG_RUN[@]+"${PG_RUN[@]}"} "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=300${BENCH_PG_STATEMENTS:+ -c shared_preload_libraries=pg_stat_statements,auto_explain -c auto_explain.log_min_duration=${BENCH_PG_EXPLAIN_MS:-1000} -c auto_explain.sample_rate=0.02}" start >/dev/null 2>&1 \
            && { say "PostgreSQL listening on 127.0.0.1:$PG_PORT (data $PG_DIR)"; pg_statements_start; return 0; }
    done
    cat "$PG_DIR/log" >&2 2>/dev/null || true
    die "PostgreSQL did not start"
}

# BENCH_PG_STATEMENTS=1: pg_stat_statements is loaded, and pg_stop writes the statements that took the most time (all
# databases of the run) to $LOGS/pg-statements.txt; auto_explain logs the plan of 2 % of the statements slower than
# BENCH_PG_EXPLAIN_MS (1000) to $LOGS/postgres.log. A profiling aid, not a figure: it costs PostgreSQL some CPU itself.
pg_statements_start() {
    [ -n "${BENCH_PG_STATEMENTS:-}" ] || return 0
    "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qAt -c 'CREATE EXTENSION pg_stat_statements;' >/dev/null \
        || die "BENCH_PG_STATEMENTS: pg_stat_statements could not be loaded"
}

pg_statements_dump() {
    [ -n "${BENCH_PG_STATEMENTS:-}" ] && [ -n "$PG_DIR" ] || return 0
    "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -P pager=off -c "SELECT d.datname AS db,
            round(s.total_exec_time)::bigint AS total_ms, s.calls, round((s.total_exec_time / greatest(s.calls, 1))::numeric, 3) AS ms_per_call,
            s.rows, left(regexp_replace(s.query, '\s+', ' ', 'g'), 160) AS query
          FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
         ORDER BY s.total_exec_time DESC LIMIT 40;" >"$LOGS/pg-statements.txt" 2>&1 || true
    say "pg_stat_statements: the top statements are in $LOGS/pg-statements.txt"
}

pg_stop() {
    pg_statements_dump
    ${PG_RUN[@]+"${PG_RUN[@]}"} "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    cp "$PG_DIR/log" "$LOGS/postgres.log" 2>/dev/null || true
    rm -rf "$PG_DIR"
    PG_DIR=""
}

# pg_checkpoint : a CHECKPOINT of the bench cluster, so no side of a comparison pays for one the other side's WAL started.
pg_checkpoint() {
    "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qAt -c 'CHECKPOINT;' >/dev/null || die "CHECKPOINT failed"
}

# pg_cpu_ms : user + system time so far of the bench cluster's postmaster and every process it started.
pg_cpu_ms() {
    local master; master="$(head -n1 "$PG_DIR/data/postmaster.pid" 2>/dev/null || true)"
    [ -n "$master" ] || { echo 0; return; }
    # The comm field is in parentheses; what follows ") " is state, ppid, … utime (12th), stime (13th).
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v m="$master" -v hz="$CLK_TCK" '{
        line = $0; pid = $1; sub(/^.*\) /, "", line); split(line, f, " ")
        if (pid == m || f[2] == m) t += f[12] + f[13] } END { printf "%d", t * 1000 / hz }'
}

# pg_db_stat DATABASE : "commits task_rows_inserted" of that database so far (statistics lag up to a second behind).
pg_db_stat() {
    "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$1" -qAt -F ' ' -c "SELECT
        (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
        (SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'tasks');" 2>/dev/null || echo "0 0"
}

# pg_database NAME : creates an empty database; sets PG_CONNECTION to its connection string.
pg_database() {
    ${PG_RUN[@]+"${PG_RUN[@]}"} "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$1" || die "createdb $1 failed"
    PG_CONNECTION="Host=127.0.0.1;Port=$PG_PORT;Database=$1;Username=postgres"
}

# pg: create and poll with the server on PostgreSQL (it migrates its fresh database at start); create's naive baseline
# INSERTs into a database of its own on the same cluster, poll's baseline is bare Kestrel as in `poll`.
bench_pg() {
    pg_start
    say "pg: PostgreSQL $("$PG_BIN/pg_ctl" --version | awk '{ print $3 }') on 127.0.0.1:$PG_PORT ($PG_DIR), fsync on"
    emit "bench pg: PostgreSQL $("$PG_BIN/pg_ctl" --version | awk '{ print $3 }'), throwaway cluster on loopback, fsync on, synchronous_commit on"
    pg_database naive
    BASELINE_DB_ARGS=(--Postgres="$PG_CONNECTION")
    pg_database vidgate_create
    SERVER_DB_ENV=(Vidgate__Database__Provider=postgres ConnectionStrings__Vidgate="$PG_CONNECTION")
    PG_SERVER_DB=vidgate_create bench_create pg-create "${BENCH_PG_ROUNDS:-5}"
    [ "$PG_PART" != create ] || { pg_stop; return 0; }
    BASELINE_DB_ARGS=()
    pg_database vidgate_poll
    SERVER_DB_ENV=(Vidgate__Database__Provider=postgres ConnectionStrings__Vidgate="$PG_CONNECTION")
    bench_poll pg-poll
    SERVER_DB_ENV=()
    case "$PG_PART" in all) bench_pg_nodes; bench_pg_tracking ;; esac
    pg_stop
}

# pg-tracking alone (it takes minutes): the cluster, then 10,000 upstream tasks across two worker nodes.
bench_pg_tracking_only() {
    pg_start
    emit "bench pg: PostgreSQL $("$PG_BIN/pg_ctl" --version | awk '{ print $3 }'), throwaway cluster on loopback, fsync on, synchronous_commit on"
    bench_pg_tracking
    pg_stop
}

rss_mb() { awk -v f="$2" '$1 == f":" { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# tracking: N remote tasks in flight against the fake xAI running as its own process (DESIGN.md §6). The baseline is
# new-api's polling design computed for the same load (peers.md §1.5): every 15 s a pass polls a channel's unfinished
# tasks one by one with a 1 s sleep between them, so with N tasks on one channel a task is looked at once per ~(N + 15) s
# and a finished job waits U(0, N + 15) s: p50 (N + 15) / 2, p99 0.99 (N + 15), max N + 15.
# bench_tracking [NAME] [NODES] : NODES worker nodes (2 only on PostgreSQL: they share the database and a data folder);
# the driver creates and watches through the first, every node tracks.
bench_tracking() {
    local name="${1:-tracking}" nodes="${2:-1}"
    local tasks="${BENCH_TRACKING_TASKS:-10000}" min="${BENCH_TRACKING_MIN_S:-5}" max="${BENCH_TRACKING_MAX_S:-120}" faults="${BENCH_TRACKING_POLL_FAULTS:-0}"
    local fake_key="xai-bench-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')" fake_log="$LOGS/fake-xai.log" fake_url="" i
    say "$name: $tasks tasks in flight on the fake xAI (separate process), jobs ${min}-${max} s, $nodes worker node(s), share of failed polls $faults"
    : >"$fake_log"
    dotnet "$BUILD/fakes/Vidgate.Fakes.dll" xai --key "$fake_key" --min-seconds "$min" --max-seconds "$max" --poll-fault-rate "$faults" >>"$fake_log" 2>&1 &
    local fake_pid=$!
    PIDS+=("$fake_pid")
    for i in $(seq 1 300); do
        fake_url="$(sed -n 's|^listening \(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$fake_log" | head -n1)"
        [ -n "$fake_url" ] && break
        kill -0 "$fake_pid" 2>/dev/null || { cat "$fake_log" >&2; die "the fake xAI exited while starting"; }
        sleep 0.1
    done
    [ -n "$fake_url" ] || die "the fake xAI did not start"

    # The fake's result URLs are on loopback: allowlisted for the SSRF guard, as an operator would for a LAN upstream.
    local data="$WORK/$name-data" second_pid="" ready=()
    start_app "$name" env VIDGATE_DATA_DIR="$data" VIDGATE_ADMIN_KEY="$ADMIN_KEY" Vidgate__Fetch__Allow__0=127.0.0.0/8 \
        ${SERVER_DB_ENV[@]+"${SERVER_DB_ENV[@]}"} dotnet "$BUILD/server/Vidgate.Server.dll" --urls http://127.0.0.1:0 --Vidgate:Workers=true \
        ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"}
    SERVER_PID="$APP_PID" SERVER_URL="$APP_URL"
    local idle_mb; idle_mb="$(rss_mb "$SERVER_PID" VmRSS)"
    if [ "$nodes" -gt 1 ]; then
        # The upstream is configured before the second node starts, so both load it at start (not after a reload).
        printf '{"id":"xai-bench","type":"xai","base_url":"%s","api_keys":["%s"]}' "$fake_url" "$fake_key" >"$WORK/provider.json"
        printf '{"model":"grok-imagine-video","provider":"xai-bench"}' >"$WORK/route.json"
        api POST "$SERVER_URL/admin/providers" "$ADMIN_KEY" "$WORK/provider.json" >/dev/null
        api POST "$SERVER_URL/admin/routes" "$ADMIN_KEY" "$WORK/route.json" >/dev/null
        start_app "$name-2" env VIDGATE_DATA_DIR="$data" VIDGATE_ADMIN_KEY="$ADMIN_KEY" Vidgate__Fetch__Allow__0=127.0.0.0/8 \
            ${SERVER_DB_ENV[@]+"${SERVER_DB_ENV[@]}"} dotnet "$BUILD/server/Vidgate.Server.dll" --urls http://127.0.0.1:0 --Vidgate:Workers=true \
            ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"}
        second_pid="$APP_PID"
        ready=(--upstream-ready)
    fi
    local line
    line="$(dotnet "$BUILD/tracking/Vidgate.Bench.Tracking.dll" --server "$SERVER_URL" --admin-key "$ADMIN_KEY" --fake "$fake_url" \
        --fake-key "$fake_key" --tasks "$tasks" --server-pid "$SERVER_PID" --max-seconds "${BENCH_TRACKING_RUN_S:-$((max + 300))}" ${ready[@]+"${ready[@]}"} | grep '^RESULT ')" \
        || { say "the tracking driver reported missing or failed tasks"; }
    [ -n "$line" ] || die "the tracking driver gave no result (logs: $LOGS)"
    local peak; peak="$(field peak_rss_mb "$line")"
    POLLING_P50="$(field p50 "$line")" POLLING_P99="$(field p99 "$line")" POLLING_MAX="$(field max "$line")" POLLING_REQUESTS="$(field requests_per_task "$line")"
    if [ -n "$second_pid" ]; then
        local second_peak; second_peak="$(rss_mb "$second_pid" VmHWM)"
        emit "bench $name: peak RSS MB per node: $peak (API and worker), $second_peak (worker)"
        peak="$(( peak > second_peak ? peak : second_peak ))"
        stop_app "$second_pid"
    fi
    stop_app "$SERVER_PID"
    stop_app "$fake_pid"

    local n_p50 n_p99 n_max
    n_p50="$(awk -v n="$tasks" 'BEGIN { printf "%.0f", (n + 15) / 2 }')"
    n_p99="$(awk -v n="$tasks" 'BEGIN { printf "%.0f", 0.99 * (n + 15) }')"
    n_max="$((tasks + 15))"
    emit "bench $name: $(field tasks "$line") tasks, $(field completed "$line") completed, $(field failed "$line") failed, $(field not_completed "$line") not completed when the run's time ran out, $(field create_failures "$line") creates refused, in $(field run_s "$line") s; upstream submits $(field submits "$line"), polls $(field polls "$line"), downloads $(field downloads "$line"); load average now $(cut -d' ' -f1-3 /proc/loadavg)"
    emit "bench $name: watchers started after their job was already done (lag overstated for those): $(field late_starts "$line")"
    emit "bench $name: baseline = new-api's design computed for the same load (15 s passes, 1 s sleep between tasks of a channel)"
    local miss=""
    [ "$(field failed "$line")" = "0" ] && [ "$(field completed "$line")" = "$tasks" ] || miss=1
    figure "$name" "p50 lag s" "$(field p50 "$line")" "$n_p50" max 1 "$miss"
    figure "$name" "p99 lag s" "$(field p99 "$line")" "$n_p99" max 2 "$miss"
    figure "$name" "max lag s" "$(field max "$line")" "$n_max" max 5 "$miss"
    figure "$name" "upstream requests/task" "$(field requests_per_task "$line")" "1.5" max 20 "$miss"
    figure "$name" "peak server RSS MB" "$peak" "$idle_mb" max 500 "$miss"
}

# tracking --callbacks: the same load on the fake Kling (its own process), whose jobs call back when they end, with
# callbacks on for the instance; the server's PublicBaseUrl is its own loopback address. The figure is the notice lag
# with callbacks, next to the polling run's just before (goal: p99 <= 0.5 s).
bench_tracking_callbacks() {
    local tasks="${BENCH_TRACKING_TASKS:-10000}" min="${BENCH_TRACKING_MIN_S:-5}" max="${BENCH_TRACKING_MAX_S:-120}"
    local fake_key="ak-bench$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')|sk-bench$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
    local fake_log="$LOGS/fake-kling.log" fake_url="" i port
    say "tracking-callbacks: $tasks tasks on the fake Kling (separate process) with callbacks, jobs ${min}-${max} s"
    : >"$fake_log"
    dotnet "$BUILD/fakes/Vidgate.Fakes.dll" kling --key "$fake_key" --min-seconds "$min" --max-seconds "$max" >>"$fake_log" 2>&1 &
    local fake_pid=$!
    PIDS+=("$fake_pid")
    for i in $(seq 1 300); do
        fake_url="$(sed -n 's|^listening \(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$fake_log" | head -n1)"
        [ -n "$fake_url" ] && break
        kill -0 "$fake_pid" 2>/dev/null || { cat "$fake_log" >&2; die "the fake Kling exited while starting"; }
        sleep 0.1
    done
    [ -n "$fake_url" ] || die "the fake Kling did not start"

    # The callback URL names the server's own address, so it needs a port known before it starts.
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    start_app tracking-callbacks env VIDGATE_DATA_DIR="$WORK/tracking-callbacks-data" VIDGATE_ADMIN_KEY="$ADMIN_KEY" Vidgate__Fetch__Allow__0=127.0.0.0/8 \
        VIDGATE_PUBLIC_URL="http://127.0.0.1:$port" dotnet "$BUILD/server/Vidgate.Server.dll" --urls "http://127.0.0.1:$port" --Vidgate:Workers=true \
        ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"}
    SERVER_PID="$APP_PID" SERVER_URL="$APP_URL"
    local line
    line="$(dotnet "$BUILD/tracking/Vidgate.Bench.Tracking.dll" --server "$SERVER_URL" --admin-key "$ADMIN_KEY" --fake "$fake_url" \
        --fake-key "$fake_key" --tasks "$tasks" --server-pid "$SERVER_PID" --max-seconds "$((max + 300))" --callbacks | grep '^RESULT ')" \
        || { say "the tracking driver reported missing or failed tasks"; }
    [ -n "$line" ] || die "the tracking driver gave no result (logs: $LOGS)"
    local callbacks; callbacks="$(curl -fsS -H "Authorization: Bearer $ADMIN_KEY" "$SERVER_URL/metrics" | grep '^vidgate_upstream_callbacks_total' | tr '\n' ' ')"
    stop_app "$SERVER_PID"
    stop_app "$fake_pid"

    emit "bench tracking-callbacks: $(field tasks "$line") tasks, $(field completed "$line") completed, $(field failed "$line") failed in $(field run_s "$line") s; upstream submits $(field submits "$line"), polls $(field polls "$line"), downloads $(field downloads "$line")"
    emit "bench tracking-callbacks: callbacks answered: ${callbacks:-none}"
    emit "bench tracking-callbacks: baseline = the polling run above (fake xAI, same task count and durations)"
    local miss=""
    [ "$(field failed "$line")" = "0" ] && [ "$(field completed "$line")" = "$tasks" ] || miss=1
    figure tracking-callbacks "p50 lag s" "$(field p50 "$line")" "${POLLING_P50:-0}" max 0.5 "$miss"
    figure tracking-callbacks "p99 lag s" "$(field p99 "$line")" "${POLLING_P99:-0}" max 0.5 "$miss"
    figure tracking-callbacks "max lag s" "$(field max "$line")" "${POLLING_MAX:-0}" max 2 "$miss"
    figure tracking-callbacks "upstream requests/task" "$(field requests_per_task "$line")" "${POLLING_REQUESTS:-0}" max 20 "$miss"
}

# bench_pg_nodes: the same creates and polls against one API node, then against two on the same PostgreSQL (each wrk
# gets half the connections, their rates are summed). No goal: it shows what a second process buys on this machine.
bench_pg_nodes() {
    local what body url_suffix one two_a two_b id
    say "pg-nodes: create and poll on 1 node vs 2 nodes sharing PostgreSQL"
    pg_database vidgate_nodes
    SERVER_DB_ENV=(Vidgate__Database__Provider=postgres ConnectionStrings__Vidgate="$PG_CONNECTION")
    start_server pg-nodes-1 false
    local first_pid="$SERVER_PID" first_url="$SERVER_URL"
    new_user_key
    start_server pg-nodes-2 false
    local second_pid="$SERVER_PID" second_url="$SERVER_URL"
    id="$(api POST "$first_url/v1/videos" "$USER_KEY" "$SEED_BODY" | json_string id)"
    [ -n "$id" ] || die "create returned no id"
    local half=$((CONNECTIONS / 2)) full="$CONNECTIONS"
    for what in create poll; do
        case "$what" in create) body="$SEED_BODY" url_suffix="/v1/videos" ;; poll) body="" url_suffix="/v1/videos/$id" ;; esac
        CONNECTIONS="$full"
        one="$(wrk_run "$first_url$url_suffix" "$body")"
        CONNECTIONS="$half"
        wrk_run "$first_url$url_suffix" "$body" >"$WORK/two-a.txt" &
        local wrk_a=$!
        two_b="$(wrk_run "$second_url$url_suffix" "$body")"
        wait "$wrk_a" || die "wrk against the first node failed"
        two_a="$(cat "$WORK/two-a.txt")"
        CONNECTIONS="$full"
        local rps1 rps2 errors
        rps1="$(field rps "$one")"
        rps2="$(awk -v a="$(field rps "$two_a")" -v b="$(field rps "$two_b")" 'BEGIN { printf "%.1f", a + b }')"
        errors="$(( $(field status_errors "$one") + $(field socket_errors "$one") + $(field status_errors "$two_a") + $(field socket_errors "$two_a") + $(field status_errors "$two_b") + $(field socket_errors "$two_b") ))"
        emit "bench pg-nodes-$what: 1 node $rps1 requests/s (p99 ms $(field p99_ms "$one")); 2 nodes $rps2 requests/s (p99 ms $(field p99_ms "$two_a") and $(field p99_ms "$two_b")); ratio $(awk -v a="$rps2" -v b="$rps1" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'); errors $errors"
    done
    stop_app "$second_pid"
    stop_app "$first_pid"
    SERVER_DB_ENV=()
}

bench_pg_tracking() {
    pg_database vidgate_tracking
    SERVER_DB_ENV=(Vidgate__Database__Provider=postgres ConnectionStrings__Vidgate="$PG_CONNECTION")
    bench_tracking pg-tracking "${BENCH_PG_TRACKING_NODES:-2}"
    SERVER_DB_ENV=()
}

command -v wrk >/dev/null && command -v ffmpeg >/dev/null && command -v curl >/dev/null || die "needs wrk, ffmpeg and curl (./vidgate bench installs them)"
machine_header
# BENCH_SKIP_BUILD=1 measures what .build/bench already holds (to compare builds or runtime settings back to back).
if [ "${BENCH_SKIP_BUILD:-0}" = 1 ] && [ -f "$BUILD/server/Vidgate.Server.dll" ]; then say "using the build in ${BUILD#"$ROOT"/}"; else build; fi
case "$WHAT" in
    poll) bench_poll ;;
    create) bench_create ;;
    render) bench_render ;;
    tracking) bench_tracking; [ "$CALLBACKS" != --callbacks ] || bench_tracking_callbacks ;;
    pg) PG_PART="${BENCH_PG_PART:-all}" bench_pg ;;
    pg-tracking) bench_pg_tracking_only ;;
    all) bench_poll; bench_create; bench_render; bench_tracking ;;
esac
say "results appended to ${RESULTS#"$ROOT"/}"
