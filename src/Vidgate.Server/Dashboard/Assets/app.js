// Vidgate dashboard: every page is drawn from the public API (/v1/*, /admin/*) with the session cookie; nothing here
// decides a rule the API does not (prices, limits, validation messages all come from the server).
// DOM is built with h() only (never innerHTML with data), so a prompt or an error message can never become markup.

const main = document.getElementById('main');
const top = document.getElementById('top');
let session = null;

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error?.code;
    this.param = error?.param;
  }
}

async function api(path, { method = 'GET', body } = {}) {
  const headers = {};
  if (method !== 'GET' && session) headers['X-Vidgate-Csrf'] = session.csrf_token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (res.status === 204) return null;
  const json = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 401 && path !== '/dashboard/session') { session = null; go('/dashboard/sign-in'); }
    throw new ApiError(res.status, json?.error);
  }
  return json;
}

const money = micros => micros === null || micros === undefined ? '—' : (micros < 0 ? '-$' : '$') + (Math.abs(micros) / 1e6).toFixed(2);
const when = s => s ? new Date(s * 1000).toLocaleString() : '—';
const statusBadge = s => h('span', { class: `status ${s}` }, s);

// ---- navigation -------------------------------------------------------------------------------------------------
function go(path, replace = false) {
  if (replace) history.replaceState(null, '', path); else history.pushState(null, '', path);
  route();
}
document.addEventListener('click', e => {
  const a = e.target.closest?.('a[data-link]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  go(a.getAttribute('href'));
});
window.addEventListener('popstate', route);

function setTheme(theme) {
  if (theme) document.documentElement.dataset.theme = theme; else delete document.documentElement.dataset.theme;
  try { theme ? localStorage.setItem('vidgate-theme', theme) : localStorage.removeItem('vidgate-theme'); } catch { /* private mode */ }
}
try { const t = localStorage.getItem('vidgate-theme'); if (t) setTheme(t); } catch { /* private mode */ }

function drawTop(path) {
  const links = [['/dashboard', 'Playground'], ['/dashboard/videos', 'Videos'], ['/dashboard/usage', 'Usage'], ['/dashboard/keys', 'Keys']];
  if (session?.is_admin) links.push(['/dashboard/admin', 'Admin']);
  const current = p => p === '/dashboard' ? path === '/dashboard' : path.startsWith(p);
  const dark = () => (document.documentElement.dataset.theme ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light')) === 'dark';
  const toggle = h('button', { type: 'button', class: 'secondary', 'aria-pressed': String(dark()), onclick: () => { setTheme(dark() ? 'light' : 'dark'); toggle.setAttribute('aria-pressed', String(dark())); } }, 'Dark theme');
  top.replaceChildren(
    h('a', { href: '/dashboard', 'data-link': true, class: 'brand' }, 'Vidgate'),
    h('nav', { 'aria-label': 'Main' }, h('ul', {}, links.map(([href, text]) =>
      h('li', {}, h('a', { href, 'data-link': true, 'aria-current': current(href) ? 'page' : null }, text))))),
    toggle,
    h('button', { type: 'button', class: 'secondary', onclick: signOut }, 'Sign out'));
  top.hidden = false;
}

async function signOut() {
  try { await api('/dashboard/session', { method: 'DELETE' }); } finally { session = null; go('/dashboard/sign-in'); }
}

let leave = () => {};
async function route() {
  leave(); leave = () => {};
  const path = location.pathname.replace(/\/+$/, '') || '/dashboard';
  if (!session && path !== '/dashboard/sign-in') {
    try { session = await api('/dashboard/session'); } catch { session = null; }
    if (!session) { history.replaceState(null, '', '/dashboard/sign-in?next=' + encodeURIComponent(location.pathname + location.search)); return route(); }
  }
  if (path === '/dashboard/sign-in') { top.hidden = true; return show('Sign in', signInPage()); }
  drawTop(path);
  let m;
  try {
    if (path === '/dashboard') return show('Playground', await playground());
    if (path === '/dashboard/videos') return show('Videos', await videosPage());
    if ((m = path.match(/^\/dashboard\/videos\/([^/]+)$/))) return show('Video', await videoPage(decodeURIComponent(m[1])));
    if (path === '/dashboard/usage') return show('Usage', await usagePage());
    if (path === '/dashboard/keys') return show('Keys', keysPage());
    if ((m = path.match(/^\/dashboard\/admin(?:\/([a-z-]+))?$/))) return show('Admin', await adminPage(m[1] ?? 'accounts'));
    return show('Not found', statusPage(404, 'There is no such page.'));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 403 || e.status === 404)) {
      return show(e.status === 403 ? 'Forbidden' : 'Not found', statusPage(e.status, e.message));
    }
    if (e instanceof ApiError && e.status === 401) return;
    return show('Error', statusPage(e.status ?? 500, e.message));
  }
}

function show(title, content) {
  document.title = `${title} · Vidgate`;
  main.replaceChildren(content);
  main.focus({ preventScroll: true });
}

function statusPage(status, message) {
  const text = { 403: 'Forbidden: this page is for admins', 404: 'Not found' }[status] ?? 'Something went wrong';
  return h('section', { class: 'panel', 'data-status': status }, h('h1', {}, `${status} · ${text}`), h('p', {}, message),
    h('p', {}, h('a', { href: '/dashboard', 'data-link': true }, 'Back to the playground')));
}

// ---- sign in ----------------------------------------------------------------------------------------------------
function signInPage() {
  const error = h('p', { class: 'error', id: 'signin-error', role: 'alert' });
  const key = h('input', { id: 'api-key', name: 'api_key', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'signin-error signin-help', spellcheck: 'false' });
  const form = h('form', { class: 'panel signin', novalidate: true },
    h('h1', {}, 'Sign in to Vidgate'),
    h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'API key'), key,
      h('p', { class: 'muted', id: 'signin-help' }, 'Your key is exchanged for a session and never kept in this browser.')),
    error,
    h('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    error.textContent = '';
    key.removeAttribute('aria-invalid');
    try {
      session = await api('/dashboard/session', { method: 'POST', body: { api_key: key.value } });
      key.value = '';
      const next = new URLSearchParams(location.search).get('next');
      go(next && next.startsWith('/dashboard') && !next.startsWith('/dashboard/sign-in') ? next : '/dashboard', true);
    } catch (err) {
      error.textContent = err.message;
      key.setAttribute('aria-invalid', 'true');
      key.focus();
    }
  });
  queueMicrotask(() => key.focus());
  return form;
}

// ---- playground -------------------------------------------------------------------------------------------------
function field(id, label, control, help) {
  control.id = id;
  control.setAttribute('aria-describedby', `${id}-error${help ? ` ${id}-help` : ''}`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control,
    help ? h('p', { class: 'muted', id: `${id}-help` }, help) : null,
    h('p', { class: 'field-error', id: `${id}-error` }));
}
const options = (values, selected) => values.map(v => h('option', { value: v, selected: v === selected }, v));

async function playground(remix) {
  const models = (await api('/v1/models')).data;
  if (models.length === 0) return statusPage(403, 'Your plan allows no model yet: ask your operator.');
  const prompt = h('textarea', { name: 'prompt', required: true, maxlength: 4096 });
  const model = h('select', { name: 'model' }, options(models.map(m => m.id), models.some(m => m.id === 'grok-imagine-video') ? 'grok-imagine-video' : models[0].id));
  const seconds = h('input', { name: 'seconds', type: 'number', inputmode: 'numeric', min: 1, step: 1 });
  const aspect = h('select', { name: 'aspect_ratio' });
  const resolution = h('select', { name: 'resolution' });
  const files = h('input', { name: 'images', type: 'file', multiple: true, accept: 'image/png,image/jpeg,image/webp' });
  const previews = h('div', { class: 'previews', 'aria-live': 'polite' });
  const drop = h('div', { class: 'drop' }, files, h('p', { class: 'muted' }, 'or drop PNG, JPEG or WebP images here'), previews);
  const price = h('output', { class: 'price', id: 'price', 'aria-live': 'polite' });
  const general = h('p', { class: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit' }, 'Generate');
  const result = h('section', { class: 'panel', 'aria-label': 'Result', hidden: true });
  let images = [];

  const spec = () => models.find(m => m.id === model.value);
  function limits() {
    const m = spec();
    seconds.max = m.limits.max_seconds;
    seconds.min = m.limits.min_seconds;
    if (!seconds.value || +seconds.value > m.limits.max_seconds) seconds.value = m.limits.default_seconds;
    aspect.replaceChildren(...options(m.limits.aspect_ratios, aspect.value || (m.limits.aspect_ratios.includes('16:9') ? '16:9' : m.limits.aspect_ratios[0])));
    resolution.replaceChildren(...options(m.limits.resolutions, resolution.value && m.limits.resolutions.includes(resolution.value) ? resolution.value : m.limits.resolutions.at(-1)));
    files.disabled = m.limits.max_images === 0;
    quote();
  }
  function quote() {
    const m = spec();
    const p = (m.pricing ?? []).find(x => x.resolution.toUpperCase() === resolution.value.toUpperCase());
    const s = Math.max(0, Math.floor(+seconds.value || 0));
    price.textContent = p ? `Price: ${money(p.per_second_micros * s + p.per_image_micros * images.length)}` : 'Price: not listed';
    price.title = p ? `${money(p.per_second_micros)} per second${p.per_image_micros ? `, ${money(p.per_image_micros)} per reference image` : ''}` : '';
  }
  async function addFiles(list) {
    for (const f of list) {
      if (!['image/png', 'image/jpeg', 'image/webp'].includes(f.type)) { setError('images', `${f.name} is not a PNG, JPEG or WebP image.`); continue; }
      images.push({ name: f.name, url: URL.createObjectURL(f), data: await new Promise(r => { const fr = new FileReader(); fr.onload = () => r(fr.result); fr.readAsDataURL(f); }) });
    }
    previews.replaceChildren(...images.map((img, i) => h('figure', {}, h('img', { src: img.url, alt: `Reference image ${i + 1}: ${img.name}` }),
      h('button', { type: 'button', class: 'secondary', onclick: () => { images.splice(i, 1); addFiles([]); } }, `Remove ${img.name}`))));
    quote();
  }
  files.addEventListener('change', () => { addFiles([...files.files]); files.value = ''; });
  drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', e => { e.preventDefault(); drop.classList.remove('over'); addFiles([...e.dataTransfer.files]); });
  model.addEventListener('change', limits);
  seconds.addEventListener('input', quote);
  resolution.addEventListener('change', quote);

  const fieldsByParam = { prompt, model, seconds, aspect_ratio: aspect, resolution, image: files, images: files };
  function setError(param, message) {
    const control = fieldsByParam[param];
    if (control) { control.setAttribute('aria-invalid', 'true'); document.getElementById(`${control.id}-error`).textContent = message; control.focus(); }
    else general.textContent = message;
  }
  function clearErrors() {
    general.textContent = '';
    for (const c of Object.values(fieldsByParam)) { c.removeAttribute('aria-invalid'); const e = document.getElementById(`${c.id}-error`); if (e) e.textContent = ''; }
  }

  const form = h('form', { class: 'panel', novalidate: true, 'aria-labelledby': 'pg-title' },
    field('prompt', 'Prompt', prompt),
    h('div', { class: 'row' },
      field('model', 'Model', model),
      field('seconds', 'Seconds', seconds),
      field('aspect', 'Aspect ratio', aspect),
      field('resolution', 'Resolution', resolution)),
    h('div', { class: 'field' }, h('label', { for: 'images' }, 'Reference images'), drop, h('p', { class: 'field-error', id: 'images-error' })),
    h('div', { class: 'row' }, h('div', {}, price), submit),
    general);
  files.id = 'images';
  files.setAttribute('aria-describedby', 'images-error');
  form.addEventListener('submit', async e => {
    e.preventDefault();
    clearErrors();
    const body = { model: model.value, prompt: prompt.value, seconds: seconds.value, aspect_ratio: aspect.value, resolution: resolution.value };
    if (images.length === 1) body.image = images[0].data; else if (images.length > 1) body.images = images.map(i => i.data);
    submit.disabled = true;
    try {
      const video = remix ? await api(`/v1/videos/${encodeURIComponent(remix)}/remix`, { method: 'POST', body: { prompt: prompt.value } }) : await api('/v1/videos', { method: 'POST', body });
      follow(video, result, body);
    } catch (err) {
      if (err instanceof ApiError) setError(err.param, err.message); else general.textContent = err.message;
    } finally {
      submit.disabled = false;
    }
  });
  limits();
  return h('div', {}, h('h1', { id: 'pg-title' }, remix ? `Remix ${remix}` : 'Playground'), h('div', { class: 'two' }, form, result));
}

/** Follows a task on its event stream (the API's SSE) and draws its progress, player and actions. */
function follow(video, into, request) {
  into.hidden = false;
  const status = h('p', { 'aria-live': 'polite', id: 'task-status' });
  const bar = h('progress', { max: 100, value: 0, 'aria-label': 'Progress' });
  const player = h('div');
  const actions = h('div', { class: 'actions' });
  into.replaceChildren(h('h2', {}, 'Result'), h('p', { class: 'mono' }, h('a', { href: `/dashboard/videos/${video.id}`, 'data-link': true }, video.id)), status, bar, player, actions);
  let source = null;
  const draw = v => {
    status.textContent = `Status: ${v.status}${v.status === 'queued' || v.status === 'processing' || v.status === 'in_progress' ? ` (${v.progress}%)` : ''}`;
    bar.value = v.progress;
    const done = ['completed', 'failed', 'cancelled'].includes(v.status);
    if (done && source) { source.close(); source = null; }
    actions.replaceChildren();
    if (!done) actions.append(h('button', { type: 'button', class: 'danger', onclick: async () => draw(await api(`/v1/videos/${v.id}/cancel`, { method: 'POST' })) }, 'Cancel'));
    if (v.status === 'completed') {
      player.replaceChildren(h('video', { controls: true, preload: 'auto', src: `/v1/videos/${v.id}/content`, 'aria-label': `Video ${v.id}` }));
      actions.append(
        h('a', { class: 'button', href: `/v1/videos/${v.id}/content`, download: `${v.id}.mp4` }, 'Download'),
        h('a', { class: 'button secondary', href: `/dashboard/videos/${v.id}?remix=1`, 'data-link': true }, 'Remix'));
    } else if (v.error) {
      player.replaceChildren(h('p', { class: 'error', role: 'alert' }, `${v.error.code}: ${v.error.message}`));
    }
  };
  draw(video);
  if (!['completed', 'failed', 'cancelled'].includes(video.status)) {
    source = new EventSource(`/v1/videos/${encodeURIComponent(video.id)}/events`);
    source.addEventListener('video.updated', e => draw(JSON.parse(e.data)));
    const stop = leave;
    leave = () => { stop(); source?.close(); };
  }
  return request;
}

// ---- videos -----------------------------------------------------------------------------------------------------
async function videosPage() {
  const statusSel = h('select', { id: 'filter-status' }, options(['all', 'queued', 'processing', 'completed', 'failed', 'cancelled'], 'all'));
  const modelSel = h('select', { id: 'filter-model' }, h('option', { value: '' }, 'all'));
  const search = h('input', { id: 'filter-search', type: 'search', placeholder: 'words in the prompt or id' });
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary' }, 'Load more');
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  let all = [];
  let after = null;
  // The list speaks OpenAI's dialect: in_progress, and a cancelled task reads failed with error.code "cancelled".
  const norm = v => v.status === 'in_progress' ? 'processing' : v.status === 'failed' && v.error?.code === 'cancelled' ? 'cancelled' : v.status;
  const matches = v => (statusSel.value === 'all' || norm(v) === statusSel.value)
    && (!modelSel.value || v.model === modelSel.value)
    && (!search.value || `${v.prompt ?? ''} ${v.id}`.toLowerCase().includes(search.value.toLowerCase()));
  const draw = () => {
    const shown = all.filter(matches);
    body.replaceChildren(...shown.map(v => h('tr', {},
      h('td', { 'data-label': 'Created' }, when(v.created_at)),
      h('td', { 'data-label': 'Video', class: 'mono' }, h('a', { href: `/dashboard/videos/${v.id}`, 'data-link': true }, v.id)),
      h('td', { 'data-label': 'Model' }, v.model),
      h('td', { 'data-label': 'Status' }, statusBadge(norm(v))),
      h('td', { 'data-label': 'Seconds', class: 'num' }, v.seconds),
      h('td', { 'data-label': 'Size' }, v.size))));
    count.textContent = `${shown.length} of ${all.length} loaded videos shown`;
    const models = [...new Set(all.map(v => v.model))].sort();
    if (modelSel.options.length !== models.length + 1) modelSel.replaceChildren(h('option', { value: '' }, 'all'), ...options(models, modelSel.value));
  };
  async function load() {
    const page = await api(`/v1/videos?limit=50${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    all = all.concat(page.data);
    after = page.last_id;
    more.hidden = !page.has_more;
    draw();
  }
  more.addEventListener('click', load);
  for (const c of [statusSel, modelSel]) c.addEventListener('change', draw);
  search.addEventListener('input', draw);
  await load();
  return h('div', {}, h('h1', {}, 'Videos'),
    h('div', { class: 'panel row', role: 'search' }, field('filter-status', 'Status', statusSel), field('filter-model', 'Model', modelSel), field('filter-search', 'Search', search)),
    h('div', { class: 'panel' }, h('table', { class: 'cards' },
      h('caption', { class: 'muted' }, 'Your videos, newest first'),
      h('thead', {}, h('tr', {}, ['Created', 'Video', 'Model', 'Status', 'Seconds', 'Size'].map(t => h('th', { scope: 'col' }, t)))), body),
    count, more));
}

async function videoPage(id) {
  const v = await api(`/v1/videos/${encodeURIComponent(id)}`);
  if (new URLSearchParams(location.search).has('remix') && v.status === 'completed') return playground(id);
  const content = `/v1/videos/${encodeURIComponent(id)}/content`;
  const live = h('section', { class: 'panel', 'aria-label': 'Player' });
  follow(v, live);
  const sections = [h('h1', {}, 'Video ', h('span', { class: 'mono' }, id)), h('div', { class: 'two' }, live, details(v))];
  if (v.status === 'completed') {
    const canvas = h('canvas', { width: 160, height: 90, role: 'img', 'aria-label': 'Frame at the scrubber position' });
    const range = h('input', { type: 'range', min: 0, max: 24, value: 12, id: 'scrub' });
    const sheet = new Image();
    const paint = () => {
      if (!sheet.naturalWidth) return;
      const w = sheet.naturalWidth / 5, hgt = sheet.naturalHeight / 5, i = +range.value;
      canvas.width = w; canvas.height = hgt;
      canvas.getContext('2d').drawImage(sheet, (i % 5) * w, Math.floor(i / 5) * hgt, w, hgt, 0, 0, w, hgt);
    };
    sheet.onload = paint;
    sheet.src = `${content}?variant=spritesheet`;
    range.addEventListener('input', paint);
    sections.push(h('div', { class: 'grid' },
      h('section', { class: 'panel' }, h('h2', {}, 'Thumbnail'), h('img', { class: 'thumb', src: `${content}?variant=thumbnail`, alt: `Thumbnail of ${id}` })),
      h('section', { class: 'panel scrub' }, h('h2', {}, 'Scrubber'), canvas, field('scrub', 'Position (spritesheet frame)', range))));
  }
  return h('div', {}, sections);
}

function details(v) {
  const rows = Object.entries(v).filter(([, x]) => x !== null && typeof x !== 'object');
  const body = { model: v.model, prompt: v.prompt ?? '…', seconds: v.seconds, aspect_ratio: v.aspect_ratio, resolution: v.size };
  const curl = `curl ${location.origin}/v1/videos \\\n  -H "Authorization: Bearer $VIDGATE_API_KEY" \\\n  -H "Content-Type: application/json" \\\n  -d '${JSON.stringify(body).replaceAll("'", "'\\''")}'`;
  const copied = h('span', { class: 'ok', 'aria-live': 'polite' });
  return h('section', { class: 'panel', 'aria-label': 'Fields' }, h('h2', {}, 'Fields'),
    h('dl', { class: 'fields' }, rows.map(([k, x]) => [h('dt', {}, k), h('dd', {}, /_at$/.test(k) ? `${when(x)} (${x})` : String(x))]),
      v.error ? [h('dt', {}, 'error'), h('dd', { class: 'error' }, `${v.error.code}: ${v.error.message}`)] : null),
    h('h2', {}, 'As a curl command'), h('pre', { id: 'curl' }, curl),
    h('button', { type: 'button', class: 'secondary', onclick: async () => { await navigator.clipboard?.writeText(curl); copied.textContent = 'Copied'; } }, 'Copy curl'), ' ', copied);
}

// ---- usage ------------------------------------------------------------------------------------------------------
function chart(rows, value, label) {
  const days = [...new Set(rows.map(r => r.day))].sort();
  const models = [...new Set(rows.map(r => r.model))].sort();
  if (days.length === 0) return h('p', { class: 'muted' }, 'Nothing spent yet.');
  const totals = days.map(d => rows.filter(r => r.day === d).reduce((s, r) => s + value(r), 0));
  const max = Math.max(1, ...totals);
  const W = 640, H = 220, pad = 30, bw = Math.max(4, (W - pad * 2) / days.length - 6);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${label}: ${days.map((d, i) => `${d} ${money(totals[i])}`).join(', ')}`);
  const add = (tag, attrs, text) => { const el = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v); if (text) el.textContent = text; svg.append(el); return el; };
  days.forEach((d, i) => {
    let y = H - pad;
    const x = pad + i * ((W - pad * 2) / days.length) + 3;
    models.forEach((m, j) => {
      const amount = rows.filter(r => r.day === d && r.model === m).reduce((s, r) => s + value(r), 0);
      const bh = (amount / max) * (H - pad * 2);
      if (bh > 0) { y -= bh; add('rect', { x, y, width: bw, height: bh, class: `c${(j % 5) + 1}` }).append(Object.assign(document.createElementNS(ns, 'title'), { textContent: `${d} ${m}: ${money(amount)}` })); }
    });
    if (days.length <= 14 || i % Math.ceil(days.length / 7) === 0) add('text', { x, y: H - 10 }, d.slice(5));
  });
  add('text', { x: 0, y: 14 }, money(max));
  return h('div', { class: 'chart' }, svg, h('ul', { class: 'legend' }, models.map((m, j) => h('li', {}, h('span', { class: `swatch c${(j % 5) + 1}` }), m))));
}

function usageTable(rows, withAccount) {
  return h('table', { class: 'cards' }, h('caption', { class: 'muted' }, 'Per day, model and key'),
    h('thead', {}, h('tr', {}, [withAccount ? 'Account' : null, 'Day', 'Model', 'Key', 'Videos', 'Seconds', 'Charged', 'Refunded', 'Held'].filter(Boolean).map(t => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map(r => h('tr', {},
      withAccount ? h('td', { 'data-label': 'Account', class: 'mono' }, r.account_id) : null,
      h('td', { 'data-label': 'Day' }, r.day), h('td', { 'data-label': 'Model' }, r.model), h('td', { 'data-label': 'Key', class: 'mono' }, r.key_id),
      h('td', { 'data-label': 'Videos', class: 'num' }, `${r.tasks} (${r.completed} done, ${r.failed} failed, ${r.cancelled} cancelled)`),
      h('td', { 'data-label': 'Seconds', class: 'num' }, r.seconds_generated),
      h('td', { 'data-label': 'Charged', class: 'num' }, money(r.charged_micros)),
      h('td', { 'data-label': 'Refunded', class: 'num' }, money(r.refunded_micros)),
      h('td', { 'data-label': 'Held', class: 'num' }, money(r.held_micros))))));
}

async function usagePage() {
  const u = await api('/v1/usage');
  return h('div', {}, h('h1', {}, 'Usage'),
    h('div', { class: 'grid' },
      h('section', { class: 'panel', 'aria-label': 'Balance' }, h('h2', {}, 'Balance'), h('p', { class: 'big', id: 'balance' }, money(u.balance_micros))),
      h('section', { class: 'panel', 'aria-label': 'Holds' }, h('h2', {}, 'On hold'), h('p', { class: 'big' }, money(u.held_micros)),
        h('p', { class: 'muted' }, 'Reserved for videos still rendering; released if they fail or are cancelled.'))),
    h('section', { class: 'panel' }, h('h2', {}, 'Spend per day and model'), chart(u.data, r => r.charged_micros, 'Spend per day')),
    h('section', { class: 'panel' }, h('h2', {}, 'Ledger'), usageTable(u.data, false)));
}

function keysPage() {
  return h('div', {}, h('h1', {}, 'Keys'), h('section', { class: 'panel' },
    h('p', {}, 'You are signed in with key ', h('span', { class: 'mono' }, session.key_id), ' of account ', h('span', { class: 'mono' }, session.account_id), '.'),
    session.is_admin
      ? h('p', {}, 'Create and revoke keys for any account under ', h('a', { href: '/dashboard/admin/keys', 'data-link': true }, 'Admin → Keys'), '.')
      : h('p', {}, 'New keys for your account are issued by your operator; ask them to create or revoke one.')));
}

// ---- admin ------------------------------------------------------------------------------------------------------
const sections = { accounts: 'Accounts', keys: 'Keys', tiers: 'Tiers', prices: 'Prices', providers: 'Providers and routes', usage: 'Usage and margin', webhooks: 'Webhook deliveries' };

async function adminPage(section) {
  if (!sections[section]) throw new ApiError(404, { message: 'There is no such admin page.' });
  const content = await ({ accounts: adminAccounts, keys: adminKeys, tiers: adminTiers, prices: adminPrices, providers: adminProviders, usage: adminUsage, webhooks: adminWebhooks })[section]();
  return h('div', {}, h('h1', {}, `Admin · ${sections[section]}`),
    h('nav', { 'aria-label': 'Admin' }, h('ul', { class: 'tabs' }, Object.entries(sections).map(([k, t]) =>
      h('li', {}, h('a', { href: `/dashboard/admin/${k}`, 'data-link': true, class: k === section ? 'button' : 'button secondary', 'aria-current': k === section ? 'page' : null }, t))))),
    content);
}

function simpleTable(caption, columns, rows) {
  return h('table', { class: 'cards' }, h('caption', { class: 'muted' }, caption),
    h('thead', {}, h('tr', {}, columns.map(([t]) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map(r => h('tr', {}, columns.map(([t, f]) => h('td', { 'data-label': t }, f(r)))))));
}

async function adminAccounts() {
  const accounts = (await api('/admin/accounts')).data;
  const status = h('p', { role: 'status', class: 'ok' });
  const rows = accounts.map(a => {
    const amount = h('input', { type: 'number', step: '0.01', id: `amount-${a.id}`, 'aria-label': `Amount for ${a.name}`, placeholder: 'Amount ($)' });
    const reason = h('input', { type: 'text', id: `reason-${a.id}`, 'aria-label': `Reason for ${a.name}`, placeholder: 'Reason' });
    const err = h('p', { class: 'field-error', role: 'alert' });
    const change = kind => async () => {
      err.textContent = '';
      try {
        const micros = Math.round(parseFloat(amount.value) * 1e6);
        const updated = await api(`/admin/accounts/${encodeURIComponent(a.id)}/${kind}`, { method: 'POST', body: { amount_micros: Number.isFinite(micros) ? micros : null, reason: reason.value } });
        document.getElementById(`balance-${a.id}`).textContent = money(updated.balance_micros);
        status.textContent = `${a.name}: balance is now ${money(updated.balance_micros)}.`;
        amount.value = ''; reason.value = '';
      } catch (e) { err.textContent = e.message; }
    };
    return h('tr', {},
      h('td', { 'data-label': 'Account' }, h('div', {}, a.name, h('br'), h('span', { class: 'mono muted' }, a.id))),
      h('td', { 'data-label': 'Tier' }, a.tier, a.unmetered ? ' (unmetered)' : ''),
      h('td', { 'data-label': 'Balance', class: 'num', id: `balance-${a.id}` }, money(a.balance_micros)),
      h('td', { 'data-label': 'Held', class: 'num' }, money(a.held_micros)),
      h('td', { 'data-label': 'Change balance', class: 'stack' }, h('div', { class: 'row' }, amount, reason,
        h('button', { type: 'button', onclick: change('top-up'), 'aria-label': `Top up ${a.name}` }, 'Top up'),
        h('button', { type: 'button', class: 'secondary', onclick: change('adjust'), 'aria-label': `Adjust ${a.name}` }, 'Adjust')), err));
  });
  return h('section', { class: 'panel' }, status, h('table', { class: 'cards' }, h('caption', { class: 'muted' }, 'Amounts in dollars; the reason is kept in the ledger.'),
    h('thead', {}, h('tr', {}, ['Account', 'Tier', 'Balance', 'Held', 'Change balance'].map(t => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows)));
}

async function adminKeys() {
  const keys = (await api('/admin/keys')).data;
  const name = h('input', { type: 'text', id: 'key-name', required: true });
  const account = h('input', { type: 'text', id: 'key-account', placeholder: 'empty: a new account' });
  const shown = h('div', { 'aria-live': 'polite' });
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'panel', 'aria-label': 'Create a key' }, h('h2', {}, 'Create a key'),
    h('div', { class: 'row' }, field('key-name', 'Name', name), field('key-account', 'Account id', account), h('button', { type: 'submit' }, 'Create key')), err, shown);
  form.addEventListener('submit', async e => {
    e.preventDefault(); err.textContent = '';
    try {
      const k = await api('/admin/keys', { method: 'POST', body: { name: name.value, account_id: account.value || null } });
      shown.replaceChildren(h('p', {}, 'The new key, shown this once: '), h('pre', {}, k.key));
    } catch (x) { err.textContent = x.message; }
  });
  return h('div', {}, form, h('section', { class: 'panel' }, simpleTable('Keys', [
    ['Name', k => k.name], ['Key', k => h('span', { class: 'mono' }, `${k.prefix}… (${k.id})`)], ['Account', k => h('span', { class: 'mono' }, k.account_id)],
    ['Admin', k => k.is_admin ? 'yes' : 'no'], ['Created', k => when(k.created_at)],
    ['State', k => k.revoked_at ? `revoked ${when(k.revoked_at)}` : h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${k.name}`, onclick: async ev => { await api(`/admin/keys/${k.id}`, { method: 'DELETE' }); ev.target.replaceWith('revoked'); } }, 'Revoke')],
  ], keys)));
}

async function adminTiers() {
  const tiers = (await api('/admin/tiers')).data;
  const none = x => x ?? 'no limit';
  return h('section', { class: 'panel' }, simpleTable('Tiers', [
    ['Tier', t => t.id], ['Price multiplier', t => t.price_multiplier], ['Models', t => t.allowed_models?.join(', ') ?? 'all'],
    ['Max seconds', t => none(t.max_seconds)], ['Max resolution', t => none(t.max_resolution)], ['Requests per minute', t => none(t.requests_per_minute)], ['Max in flight', t => none(t.max_in_flight)],
  ], tiers));
}

async function adminPrices() {
  const prices = (await api('/admin/prices')).data;
  const model = h('input', { type: 'text', id: 'price-model', required: true });
  const res = h('input', { type: 'number', id: 'price-resolution', value: 720 });
  const perSecond = h('input', { type: 'number', step: '0.0001', id: 'price-second' });
  const perImage = h('input', { type: 'number', step: '0.0001', id: 'price-image', value: 0 });
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'panel', 'aria-label': 'Set a price' }, h('h2', {}, 'Set a price'),
    h('div', { class: 'row' }, field('price-model', 'Model', model), field('price-resolution', 'Resolution', res), field('price-second', 'Per second ($)', perSecond), field('price-image', 'Per image ($)', perImage), h('button', { type: 'submit' }, 'Save price')), err);
  form.addEventListener('submit', async e => {
    e.preventDefault(); err.textContent = '';
    try { await api('/admin/prices', { method: 'PUT', body: { model: model.value, resolution: +res.value, per_second_micros: Math.round(+perSecond.value * 1e6), per_image_micros: Math.round(+perImage.value * 1e6) } }); go('/dashboard/admin/prices', true); } catch (x) { err.textContent = x.message; }
  });
  return h('div', {}, form, h('section', { class: 'panel' }, simpleTable('List prices (before tier multipliers)', [
    ['Model', p => p.model], ['Resolution', p => `${p.resolution}P`], ['Per second', p => money(p.per_second_micros)], ['Per image', p => money(p.per_image_micros)], ['Updated', p => when(p.updated_at)],
  ], prices)));
}

async function adminProviders() {
  const [providers, routes] = await Promise.all([api('/admin/providers'), api('/admin/routes')]);
  const body = h('textarea', { id: 'provider-json', rows: 6, spellcheck: 'false' }, '{"id":"openai-main","type":"openai","base_url":"https://api.openai.com/v1","api_keys":["sk-..."]}');
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'panel', 'aria-label': 'Add a provider' }, h('h2', {}, 'Add or replace a provider'), field('provider-json', 'Provider (JSON, as POST /admin/providers takes it)', body), err, h('button', { type: 'submit' }, 'Save provider'));
  form.addEventListener('submit', async e => {
    e.preventDefault(); err.textContent = '';
    try { await api('/admin/providers', { method: 'POST', body: JSON.parse(body.value) }); go('/dashboard/admin/providers', true); } catch (x) { err.textContent = x.message; }
  });
  return h('div', {}, form,
    h('section', { class: 'panel' }, simpleTable('Providers', [
      ['Provider', p => p.id], ['Type', p => p.type], ['Base URL', p => p.base_url ?? '—'], ['State', p => p.state ?? '—'],
      ['Keys', p => `${p.api_key_count ?? '—'}${p.bad_key_count ? ` (${p.bad_key_count} refused)` : ''}`], ['Check', providerCheck],
    ], providers.data ?? [])),
    h('section', { class: 'panel' }, simpleTable('Routes', [['Model', r => r.model], ['Provider', r => r.provider], ['Priority', r => r.priority], ['Weight', r => r.weight]], routes.data ?? [])));
}

// POST /admin/providers/{id}/test: the vendor's cheapest call with each key; the answer says what was called.
function providerCheck(p) {
  const out = h('span', { role: 'status', id: `check-${p.id}` });
  const button = h('button', { type: 'button', 'aria-label': `Test ${p.id}` }, 'Test');
  button.addEventListener('click', async () => {
    out.textContent = 'checking…';
    try {
      const r = await api(`/admin/providers/${encodeURIComponent(p.id)}/test`, { method: 'POST' });
      out.textContent = r.ok ? `ok: ${r.checked} (${r.latency_ms} ms)` : `failed: ${r.error?.message ?? r.error?.code ?? 'unknown'}`;
    } catch (x) { out.textContent = x.message; }
  });
  return h('span', {}, button, ' ', out);
}

async function adminUsage() {
  const u = await api('/admin/usage');
  return h('div', {},
    h('section', { class: 'panel' }, h('h2', {}, 'Charged per day and model'), chart(u.data, r => r.charged_micros, 'Charged per day')),
    h('section', { class: 'panel' }, h('h2', {}, 'In flight now'), h('p', { class: 'big' }, String(u.data.reduce((s, r) => s + r.in_flight, 0)))),
    h('section', { class: 'panel' }, usageTable(u.data, true)));
}

async function adminWebhooks() {
  const d = await api('/admin/webhook-deliveries');
  return h('section', { class: 'panel' }, simpleTable('Latest deliveries', [
    ['Delivery', x => h('span', { class: 'mono' }, x.id)], ['Event', x => x.event_type ?? x.type ?? '—'], ['Status', x => x.status ?? '—'],
    ['Attempts', x => String(x.attempts ?? '—')], ['Created', x => when(x.created_at)],
  ], d.data ?? []));
}

route();
