#!/usr/bin/env bash
# Writes docs/img/preview-gallery.png: the first, middle and last frame of 8 sample prompts (the seed's first), each
# rendered by the builtin preview renderer through the real API of a throwaway server (temp data folder, loopback).
# Rows are in the order of PROMPTS below (the README lists them). Usage: bench/gallery.sh [output.png]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/docs/img/preview-gallery.png}"
PROMPTS=(
    "A city street in the early morning, sunlight filtering through leaves, camera slowly moving forward"
    "a snowy mountain at dusk, slow pan right"
    "a calm lake at night under moonlight with fireflies, static shot"
    "a beach at sunset with birds, handheld"
    "a neon city street in the rain at night, push in"
    "a misty forest at dawn with god rays, tilt up"
    "sand dunes in the desert at golden hour, orbit"
    "a cozy room with a window, vintage film, pull back"
)
SECONDS_EACH=4
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vidgate-gallery.XXXXXX")"
SERVER_PID=""
cleanup() {
    [ -z "$SERVER_PID" ] || { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
    rm -rf "$WORK"
}
trap cleanup EXIT
say() { printf 'gallery: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
json_string() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
# JSON string literal of $1: backslashes and quotes escaped (the prompts above have no control characters).
json_quote() { local v="${1//\\/\\\\}"; v="${v//\"/\\\"}"; printf '"%s"' "$v"; }

say "building the server (Release)…"
dotnet publish "$ROOT/src/Vidgate.Server/Vidgate.Server.csproj" -c Release -o "$ROOT/.build/gallery" -nologo -v quiet >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; die "build failed"; }

ADMIN="vg_gallery_$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
VIDGATE_DATA_DIR="$WORK/data" VIDGATE_ADMIN_KEY="$ADMIN" \
    dotnet "$ROOT/.build/gallery/Vidgate.Server.dll" --urls http://127.0.0.1:0 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
URL=""
for _ in $(seq 1 300); do
    URL="$(sed -n 's|.*Now listening on: \(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$WORK/server.log" | head -n1)"
    [ -n "$URL" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "the server exited while starting"; }
    sleep 0.1
done
[ -n "$URL" ] || die "the server did not start"

created="$(curl -sS --fail-with-body -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    --data '{"name":"gallery"}' "$URL/admin/keys")"
KEY="$(json_string key <<<"$created")"
ACCOUNT="$(json_string account_id <<<"$created")"
[ -n "$KEY" ] || die "no key: $created"
curl -sS --fail-with-body -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    --data '{"amount_micros":1000000000000,"reason":"gallery"}' "$URL/admin/accounts/$ACCOUNT/top-up" >/dev/null

frames=$((SECONDS_EACH * 24))
rows=()
for i in "${!PROMPTS[@]}"; do
    prompt="${PROMPTS[$i]}"
    body="{\"model\":\"grok-imagine-video\",\"prompt\":$(json_quote "$prompt"),\"seconds\":\"$SECONDS_EACH\",\"aspect_ratio\":\"16:9\",\"resolution\":\"720P\"}"
    id="$(curl -sS --fail-with-body -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' --data "$body" "$URL/v1/videos" | json_string id)"
    [ -n "$id" ] || die "create failed for: $prompt"
    for _ in $(seq 1 1200); do
        state="$(curl -sS -H "Authorization: Bearer $KEY" "$URL/v1/videos/$id")"
        case "$state" in
            *'"status":"completed"'*) break ;;
            *'"status":"failed"'*) die "render failed: $state" ;;
        esac
        sleep 0.25
    done
    curl -sS --fail -H "Authorization: Bearer $KEY" -o "$WORK/$i.mp4" "$URL/v1/videos/$id/content"
    ffmpeg -v error -y -i "$WORK/$i.mp4" \
        -vf "select='eq(n,0)+eq(n,$((frames / 2)))+eq(n,$((frames - 1)))',scale=400:-2,pad=iw+8:ih+8:4:4:color=0x202020,tile=3x1" \
        -frames:v 1 "$WORK/row$i.png"
    rows+=(-i "$WORK/row$i.png")
    say "$((i + 1))/${#PROMPTS[@]} $prompt"
done
mkdir -p "$(dirname "$OUT")"
ffmpeg -v error -y "${rows[@]}" -filter_complex "vstack=inputs=${#PROMPTS[@]},pad=iw+8:ih+8:4:4:color=0x202020" -frames:v 1 "$OUT"
say "wrote $OUT"
