#!/usr/bin/env bash
# The ffmpeg the render benchmark gives the server (VIDGATE_FFMPEG): runs the real one with the same arguments and
# appends "start_ms end_ms exit_code args..." (args shell-quoted) to $BENCH_FFMPEG_LOG, so run.sh learns the
# renderer's exact command and how long each ffmpeg run took inside the server.
set -uo pipefail
start=$(date +%s%3N)
"$BENCH_REAL_FFMPEG" "$@"
status=$?
end=$(date +%s%3N)
{ printf '%s %s %s' "$start" "$end" "$status"; printf ' %q' "$@"; printf '\n'; } >>"$BENCH_FFMPEG_LOG"
exit "$status"
