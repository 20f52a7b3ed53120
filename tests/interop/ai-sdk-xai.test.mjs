// The Vercel AI SDK (`ai` + `@ai-sdk/xai`) against Vidgate's xAI native dialect, unmodified but for baseURL and key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { experimental_generateVideo as generateVideo } from 'ai';
import { createXai } from '@ai-sdk/xai';
import { assertVideo, baseUrl, newUserKey, testImage } from './helpers.mjs';

const xai = createXai({ apiKey: await newUserKey('ai-sdk'), baseURL: `${baseUrl}/v1` });

// The AI SDK's default download refuses loopback and private addresses (its SSRF guard); a server with a public
// video_url needs no such option. This plain fetch sends no Authorization header: the signed URL alone must work.
const plainDownload = async ({ url }) => {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  return { data: new Uint8Array(await res.arrayBuffer()), mediaType: res.headers.get('content-type') };
};

test('generateVideo through /v1/videos/generations: a 2 s 480p 16:9 clip, bytes read from video.url', async () => {
  const { video, providerMetadata } = await generateVideo({
    model: xai.video('grok-imagine-video'),
    prompt: 'a red kite drifting over a beach, camera moving forward',
    duration: 2,
    aspectRatio: '16:9',
    providerOptions: { xai: { resolution: '480p', pollIntervalMs: 200 } },
    download: plainDownload,
  });
  assert.equal(video.mediaType, 'video/mp4');
  assertVideo(video.uint8Array, { width: 854, height: 480, seconds: 2 });
  assert.equal(providerMetadata.xai.duration, 2);
  assert.match(providerMetadata.xai.requestId, /^video_/);
});

test('generateVideo from a start image: the prompt image arrives as image:{url} with a data URL', async () => {
  const { video } = await generateVideo({
    model: xai.video('grok-imagine-video'),
    prompt: { text: 'zoom out', image: testImage('jpg', 400, 400) },
    duration: 1,
    aspectRatio: '9:16',
    providerOptions: { xai: { resolution: '480p', pollIntervalMs: 200 } },
    download: plainDownload,
  });
  assertVideo(video.uint8Array, { width: 480, height: 854, seconds: 1 });
});
