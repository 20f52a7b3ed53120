// The starting document's own requests, sent by curl exactly as the document writes them (host and key replaced),
// plus the same document's image variant and the legacy grok-video multipart from its comparison table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertVideo, baseUrl, newUserKey, sleep, testImage } from './helpers.mjs';

const key = await newUserKey('seed-curl');

// Verbatim from the starting document.
const SEED_T2V = `curl -X POST https://duoyuanx.com/v1/videos \\
  -H "Authorization: Bearer YOUR_API_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{
    "model": "grok-imagine-video",
    "prompt": "A city street in the early morning, sunlight filtering through leaves, camera slowly moving forward",
    "seconds": "8",
    "aspect_ratio": "16:9",
    "resolution": "720P"
  }'`;

function curl(command) {
  const script = command.replaceAll('https://duoyuanx.com', baseUrl).replaceAll('YOUR_API_KEY', key);
  return JSON.parse(execFileSync('bash', ['-c', `${script} --silent --show-error --fail-with-body`]).toString());
}

async function untilCompleted(id) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await fetch(`${baseUrl}/v1/videos/${id}`, { headers: { authorization: `Bearer ${key}` } });
    const video = await res.json();
    assert.ok(['queued', 'processing', 'completed'].includes(video.status), JSON.stringify(video));
    if (video.status === 'completed') return video;
    assert.ok(Date.now() < deadline, `still ${video.status}`);
    await sleep(200);
  }
}

// video_url is a signed link: fetched here with no Authorization header at all.
async function videoBytes(video) {
  const res = await fetch(video.video_url);
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

test('the seed JSON text-to-video curl, verbatim: the seed shape, then an 8 s 1280x720 H.264 MP4 at video_url', async () => {
  const created = curl(SEED_T2V);
  assert.equal(created.object, 'video');
  assert.equal(created.model, 'grok-imagine-video');
  assert.equal(created.status, 'queued');
  assert.equal(created.progress, 0);
  assert.equal(created.seconds, '8');
  assert.equal(created.size, '720P');
  assert.equal(created.video_url, '');

  const done = await untilCompleted(created.id);
  assertVideo(await videoBytes(done), { width: 1280, height: 720, seconds: 8 });
});

test('the seed JSON image-to-video request (image as a data URI) sent by curl', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vidgate-curl-'));
  try {
    const body = join(dir, 'body.json');
    writeFileSync(body, JSON.stringify({
      model: 'grok-imagine-video',
      prompt: 'zoom out from the picture',
      seconds: '2',
      aspect_ratio: '9:16',
      resolution: '480P',
      image: `data:image/png;base64,${testImage('png', 320, 240).toString('base64')}`,
    }));
    const created = curl(`curl -X POST https://duoyuanx.com/v1/videos \\
  -H "Authorization: Bearer YOUR_API_KEY" \\
  -H "Content-Type: application/json" \\
  -d @${body}`);
    const done = await untilCompleted(created.id);
    assertVideo(await videoBytes(done), { width: 480, height: 854, seconds: 2 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the legacy grok-video multipart curl: -pro forces 10 s, size 540P, two input_reference files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vidgate-curl-'));
  try {
    writeFileSync(join(dir, 'a.png'), testImage('png', 320, 240));
    writeFileSync(join(dir, 'b.jpg'), testImage('jpg', 400, 300));
    const created = curl(`curl -X POST https://duoyuanx.com/v1/videos \\
  -H "Authorization: Bearer YOUR_API_KEY" \\
  -F model=grok-video-3-pro \\
  -F "prompt=A paper boat on a river, camera moving forward" \\
  -F seconds=5 \\
  -F aspect_ratio=16:9 \\
  -F size=540P \\
  -F input_reference=@${join(dir, 'a.png')} \\
  -F input_reference=@${join(dir, 'b.jpg')}`);
    assert.equal(created.model, 'grok-video-3-pro');
    assert.equal(created.seconds, '10');
    assert.equal(created.size, '540P');
    assert.equal(created.status, 'queued');
    const done = await untilCompleted(created.id);
    assertVideo(await videoBytes(done), { width: 960, height: 540, seconds: 10 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
