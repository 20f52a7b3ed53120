// The openai npm SDK (6.x, multipart create) against Vidgate's OpenAI dialect, unmodified but for baseURL and key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { AuthenticationError, BadRequestError, NotFoundError, toFile } from 'openai';
import { assertVideo, baseUrl, newUserKey, sleep, testImage } from './helpers.mjs';

const STATUSES = new Set(['queued', 'in_progress', 'completed', 'failed']);
const VIDEO_FIELDS = ['id', 'object', 'model', 'status', 'progress', 'created_at', 'completed_at', 'expires_at',
  'prompt', 'size', 'seconds', 'remixed_from_video_id', 'error'];

const client = new OpenAI({ apiKey: await newUserKey('openai-node'), baseURL: `${baseUrl}/v1` });

async function untilDone(id) {
  const deadline = Date.now() + 120_000;
  let progress = 0;
  for (;;) {
    const video = await client.videos.retrieve(id);
    assert.ok(STATUSES.has(video.status), `unexpected status ${video.status}`);
    assert.ok(video.progress >= progress, 'progress went down');
    progress = video.progress;
    if (video.status === 'completed') return video;
    assert.notEqual(video.status, 'failed', JSON.stringify(video.error));
    assert.ok(Date.now() < deadline, `still ${video.status}`);
    await sleep(200);
  }
}

async function download(id, variant) {
  const res = await client.videos.downloadContent(id, { variant });
  assert.equal(res.status, 200);
  return { type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
}

test('create (multipart, no file) → retrieve until done → the exact Video object and an H.264 MP4 of the size asked', async () => {
  const created = await client.videos.create({ prompt: 'a slow pan left over green hills', model: 'sora-2', seconds: '4', size: '1280x720' });
  for (const field of VIDEO_FIELDS) assert.ok(field in created, `missing ${field}`);
  assert.equal(created.object, 'video');
  assert.equal(created.status, 'queued');
  assert.equal(created.model, 'sora-2');
  assert.equal(created.size, '1280x720');
  assert.equal(created.seconds, '4');
  assert.equal(created.completed_at, null);
  assert.equal(created.remixed_from_video_id, null);
  assert.equal(created.error, null);

  const done = await untilDone(created.id);
  assert.equal(done.progress, 100);
  assert.ok(done.completed_at >= done.created_at);
  assert.ok(done.expires_at > done.completed_at);
  assert.match(done.video_url, /^http/);

  const { type, bytes } = await download(created.id, 'video');
  assert.equal(type, 'video/mp4');
  assertVideo(bytes, { width: 1280, height: 720, seconds: 4 });
});

test('create with an input_reference file part animates the image; thumbnail and spritesheet download too', async () => {
  const image = await toFile(testImage('png', 640, 360), 'reference.png', { type: 'image/png' });
  const created = await client.videos.create({ prompt: 'zoom in slowly', model: 'sora-2', seconds: '4', size: '720x1280', input_reference: image });
  await untilDone(created.id);

  assertVideo((await download(created.id, 'video')).bytes, { width: 720, height: 1280, seconds: 4 });
  const thumbnail = await download(created.id, 'thumbnail');
  assert.equal(thumbnail.type, 'image/webp');
  assert.equal(thumbnail.bytes.subarray(8, 12).toString('ascii'), 'WEBP');
  const sprites = await download(created.id, 'spritesheet');
  assert.equal(sprites.type, 'image/jpeg');
  assert.deepEqual([...sprites.bytes.subarray(0, 3)], [0xff, 0xd8, 0xff]);
});

test('list pages with a small limit through every own video, newest first', async () => {
  const lister = new OpenAI({ apiKey: await newUserKey('openai-node-list'), baseURL: `${baseUrl}/v1` });
  const ids = [];
  for (const prompt of ['one', 'two', 'three']) {
    ids.push((await lister.videos.create({ prompt, model: 'sora-2', seconds: '4' })).id);
  }

  const first = await lister.videos.list({ limit: 2 });
  assert.equal(first.data.length, 2);
  assert.ok(first.hasNextPage());
  const seen = [];
  for await (const video of lister.videos.list({ limit: 2 })) seen.push(video.id);
  assert.deepEqual(seen, [...ids].reverse());

  const ascending = [];
  for await (const video of lister.videos.list({ limit: 1, order: 'asc' })) ascending.push(video.id);
  assert.deepEqual(ascending, ids);
  for (const id of ids) await lister.videos.delete(id);
});

test('remix makes a new video from a completed one, then delete removes both', async () => {
  const source = await client.videos.create({ prompt: 'a calm lake at dawn', model: 'sora-2', seconds: '4', size: '1280x720' });
  await untilDone(source.id);

  const remix = await client.videos.remix(source.id, { prompt: 'the same lake at night, orbit' });
  assert.equal(remix.remixed_from_video_id, source.id);
  assert.notEqual(remix.id, source.id);
  const done = await untilDone(remix.id);
  assert.equal(done.prompt, 'the same lake at night, orbit');
  assertVideo((await download(remix.id, 'video')).bytes, { width: 1280, height: 720, seconds: 4 });

  for (const id of [remix.id, source.id]) {
    const deleted = await client.videos.delete(id);
    assert.deepEqual(deleted, { id, object: 'video.deleted', deleted: true });
    await assert.rejects(client.videos.retrieve(id), NotFoundError);
  }
});

test('errors surface as the SDK classes: NotFoundError, AuthenticationError, BadRequestError', async () => {
  await assert.rejects(client.videos.retrieve('video_does_not_exist'), NotFoundError);
  await assert.rejects(client.videos.remix('video_does_not_exist', { prompt: 'x' }), NotFoundError);

  const stranger = new OpenAI({ apiKey: 'vg_not_a_key', baseURL: `${baseUrl}/v1`, maxRetries: 0 });
  await assert.rejects(stranger.videos.list(), AuthenticationError);

  await assert.rejects(client.videos.create({ prompt: 'x', model: 'sora-2', size: '1920x1080' }), (err) => {
    assert.ok(err instanceof BadRequestError);
    assert.equal(err.param, 'size');
    return true;
  });
  await assert.rejects(client.videos.create({ prompt: 'x', model: 'sora-2', seconds: '5' }), BadRequestError);
  await assert.rejects(client.videos.create({
    prompt: 'x', model: 'sora-2', input_reference: { image_url: 'https://169.254.169.254/cat.png' },
  }), (err) => err instanceof BadRequestError && /cannot be fetched/.test(err.message));
});

test('models list names the sora aliases with their sizes and seconds', async () => {
  const ids = [];
  for await (const model of client.models.list()) {
    ids.push(model.id);
    if (model.id === 'sora-2-pro') {
      assert.deepEqual(model.limits.sizes, ['720x1280', '1280x720', '1024x1792', '1792x1024']);
      assert.deepEqual(model.limits.allowed_seconds, [4, 8, 12]);
    }
  }
  for (const id of ['sora-2', 'sora-2-pro', 'grok-imagine-video', 'grok-video-3-pro']) assert.ok(ids.includes(id), id);
});
