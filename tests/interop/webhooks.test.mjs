// Webhooks verified by the official TypeScript library (npm `standardwebhooks`), as a TypeScript backend would: a real
// receiver on loopback, a real render, the raw body checked against the webhook-* headers with the endpoint's secret.
// The server under test allowlists the host name `localhost` for the SSRF guard (./vidgate test sets it), as an
// operator who runs a receiver on the same machine would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { baseUrl, newUserKey } from './helpers.mjs';

const key = await newUserKey('webhooks');

function receiver() {
  const received = [];
  const waiting = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const delivery = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      res.writeHead(204).end();
      const next = waiting.shift();
      if (next) next(delivery); else received.push(delivery);
    });
  });
  return {
    server,
    listen: () => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port))),
    next: (ms = 90_000) => new Promise((resolve, reject) => {
      const ready = received.shift();
      if (ready) return resolve(ready);
      const timer = setTimeout(() => reject(new Error('no webhook delivery arrived')), ms);
      waiting.push((d) => { clearTimeout(timer); resolve(d); });
    }),
  };
}

async function api(method, path, body) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text) };
}

test('a completed render is delivered signed so that standardwebhooks verifies it, and a tampered body is refused', async () => {
  const hook = receiver();
  const port = await hook.listen();
  try {
    const endpoint = await api('POST', '/v1/webhooks', { url: `http://localhost:${port}/hooks`, events: ['video.completed'] });
    assert.equal(endpoint.status, 200, JSON.stringify(endpoint.json));
    assert.match(endpoint.json.secret, /^whsec_/);

    const created = await api('POST', '/v1/videos', { model: 'grok-imagine-video', prompt: 'webhook interop', seconds: 1, resolution: '480P' });
    assert.equal(created.status, 200, JSON.stringify(created.json));

    const delivery = await hook.next();
    const wh = new Webhook(endpoint.json.secret);
    const event = wh.verify(delivery.body, delivery.headers);
    assert.equal(event.type, 'video.completed');
    assert.equal(event.id, delivery.headers['webhook-id']);
    assert.equal(event.data.id, created.json.id);
    assert.equal(event.data.status, 'completed');
    assert.throws(() => wh.verify(delivery.body.replace('completed', 'failed'), delivery.headers));
    assert.throws(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(delivery.body, delivery.headers));
  } finally {
    hook.server.close();
  }
});

test('an SSRF-refused URL is a 400 in the error envelope', async () => {
  const refused = await api('POST', '/v1/webhooks', { url: 'http://169.254.169.254/latest/meta-data' });
  assert.equal(refused.status, 400);
  assert.equal(refused.json.error.code, 'url_not_allowed');
  assert.equal(refused.json.error.param, 'url');
});
