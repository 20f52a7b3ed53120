// Shared by the interop tests: the server under test, keys, test images and ffprobe.
// ./vidgate test starts a real Vidgate process on loopback and sets VIDGATE_URL and VIDGATE_ADMIN_KEY;
// point them at any running server to run these files by hand (node --test *.test.mjs).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

export const baseUrl = process.env.VIDGATE_URL ?? 'http://127.0.0.1:8080';
export const adminKey = process.env.VIDGATE_ADMIN_KEY ?? '';

async function admin(path, body) {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `POST ${path} failed: ${text}`);
  return JSON.parse(text);
}

/**
 * A fresh user key from the admin API, so every test file sees only its own videos. Its new account is topped up
 * (100.00, in micro-units) so these tests are about the clients, not about money.
 */
export async function newUserKey(name = 'interop') {
  const created = await admin('/admin/keys', { name });
  await admin(`/admin/accounts/${created.account_id}/top-up`, { amount_micros: 100_000_000, reason: 'interop tests' });
  return created.key;
}

function withTempDir(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'vidgate-interop-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A real image made by ffmpeg (png, jpg or webp). */
export function testImage(format = 'png', width = 320, height = 240) {
  return withTempDir((dir) => {
    const path = join(dir, `image.${format}`);
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=1`, '-frames:v', '1', path]);
    return readFileSync(path);
  });
}

/** ffprobe on the decoded bytes: codec, size, frame count (by decoding) and duration. */
export function probe(bytes) {
  return withTempDir((dir) => {
    const path = join(dir, 'video.mp4');
    writeFileSync(path, bytes);
    const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0',
      '-show_entries', 'stream=codec_name,width,height,nb_read_frames,pix_fmt:format=duration', '-of', 'json', path]);
    const json = JSON.parse(out.toString());
    const stream = json.streams[0];
    return {
      codec: stream.codec_name,
      width: stream.width,
      height: stream.height,
      pixFmt: stream.pix_fmt,
      frames: Number(stream.nb_read_frames),
      duration: Number(json.format.duration),
    };
  });
}

/** Asserts an H.264 MP4 of exactly this size and length (24 fps, one frame of slack). */
export function assertVideo(bytes, { width, height, seconds }) {
  const p = probe(Buffer.from(bytes));
  assert.equal(p.codec, 'h264');
  assert.equal(p.pixFmt, 'yuv420p');
  assert.deepEqual([p.width, p.height], [width, height]);
  assert.ok(Math.abs(p.frames - seconds * 24) <= 1, `expected ~${seconds * 24} frames, got ${p.frames}`);
  assert.ok(Math.abs(p.duration - seconds) <= 0.05, `expected ${seconds}s, got ${p.duration}s`);
  return p;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
