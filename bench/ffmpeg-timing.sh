#!/usr/bin/env bash
# The ffmpeg the render benchmark gives the server (VIDGATE_FFMPEG): runs the real one with the same arguments and
# appends "start_ms end_ms exit_code cpu_ms args..." (cpu = ffmpeg's user + system time; args shell-quoted) to
# $BENCH_FFMPEG_LOG, so run.sh learns the renderer's exact command and what each ffmpeg run cost inside the server.
set -uo pipefail
start=$(date +%s%3N)
"$BENCH_REAL_FFMPEG" "$@"
status=$?
end=$(date +%s%3N)
# This shell's waited-for children's user + system time (cutime, cstime in clock ticks): ffmpeg's, as it is the only one.
read -ra stat </proc/$$/stat
cpu=$(((stat[15] + stat[16]) * 1000 / $(getconf CLK_TCK)))
{ printf '%s %s %s %s' "$start" "$end" "$status" "$cpu"; printf ' %q' "$@"; printf '\n'; } >>"$BENCH_FFMPEG_LOG"
exit "$status"
