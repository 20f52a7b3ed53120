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
    if (path === '/dashboard/keys') return show('Keys', await keysPage());
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
  // Filters run on the server (GET /v1/videos?status=&model=&q=), so they cover every video, not only the loaded pages.
  const query = new URLSearchParams(location.search);
  const models = (await api('/v1/models')).data.map(m => m.id);
  const statusSel = h('select', { id: 'filter-status' }, h('option', { value: '' }, 'all'), options(['queued', 'processing', 'completed', 'failed', 'cancelled'], query.get('status') ?? ''));
  const modelSel = h('select', { id: 'filter-model' }, h('option', { value: '' }, 'all'), options(models, query.get('model') ?? ''));
  const search = h('input', { id: 'filter-search', type: 'search', placeholder: 'words in the prompt', value: query.get('q') ?? '', maxlength: 200 });
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary' }, 'Load more');
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const err = h('p', { class: 'error', role: 'alert' });
  let after = null;
  let loaded = 0;
  let generation = 0;
  // The list speaks OpenAI's dialect: in_progress, and a cancelled task reads failed with error.code "cancelled".
  const norm = v => v.status === 'in_progress' ? 'processing' : v.status === 'failed' && v.error?.code === 'cancelled' ? 'cancelled' : v.status;
  const filters = () => {
    const f = new URLSearchParams();
    if (statusSel.value) f.set('status', statusSel.value);
    if (modelSel.value) f.set('model', modelSel.value);
    if (search.value.trim()) f.set('q', search.value.trim());
    return f;
  };
  async function load(reset) {
    const mine = reset ? ++generation : generation;
    const f = filters();
    f.set('limit', '50');
    if (!reset && after) f.set('after', after);
    err.textContent = '';
    let page;
    try { page = await api(`/v1/videos?${f}`); } catch (x) { err.textContent = x.message; return; }
    if (mine !== generation) return; // a newer filter answered first
    if (reset) { body.replaceChildren(); loaded = 0; }
    body.append(...page.data.map(v => h('tr', {},
      h('td', { 'data-label': 'Created' }, when(v.created_at)),
      h('td', { 'data-label': 'Video', class: 'mono' }, h('a', { href: `/dashboard/videos/${v.id}`, 'data-link': true }, v.id)),
      h('td', { 'data-label': 'Model' }, v.model),
      h('td', { 'data-label': 'Status' }, statusBadge(norm(v))),
      h('td', { 'data-label': 'Seconds', class: 'num' }, v.seconds),
      h('td', { 'data-label': 'Size' }, v.size))));
    loaded += page.data.length;
    after = page.last_id;
    more.hidden = !page.has_more;
    const filtered = [...filters().keys()].length > 0;
    count.textContent = `${loaded}${page.has_more ? '+' : ''} ${filtered ? 'matching ' : ''}video${loaded === 1 && !page.has_more ? '' : 's'}`;
  }
  const refilter = () => {
    // The filters are in the address too, so a reload or a shared link shows the same list.
    const f = filters();
    history.replaceState(null, '', `/dashboard/videos${[...f.keys()].length ? `?${f}` : ''}`);
    load(true);
  };
  let typing = null;
  more.addEventListener('click', () => load(false));
  for (const c of [statusSel, modelSel]) c.addEventListener('change', refilter);
  search.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(refilter, 300); });
  const stop = leave;
  leave = () => { stop(); clearTimeout(typing); };
  await load(true);
  return h('div', {}, h('h1', {}, 'Videos'),
    h('div', { class: 'panel row', role: 'search' }, field('filter-status', 'Status', statusSel), field('filter-model', 'Model', modelSel), field('filter-search', 'Search', search)),
    h('div', { class: 'panel' }, err, h('table', { class: 'cards' },
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

// Self-service keys (/v1/account/keys), when the operator allows them: create (shown once), revoke.
async function keysPage() {
  const who = h('p', {}, 'You are signed in with key ', h('span', { class: 'mono' }, session.key_id), ' of account ', h('span', { class: 'mono' }, session.account_id), '.');
  const adminNote = session.is_admin ? h('p', {}, 'Keys of any account are under ', h('a', { href: '/dashboard/admin/keys', 'data-link': true }, 'Admin → Keys'), '.') : null;
  let keys;
  try {
    keys = (await api('/v1/account/keys')).data;
  } catch (e) {
    if (!(e instanceof ApiError) || e.code !== 'user_keys_disabled') throw e;
    return h('div', {}, h('h1', {}, 'Keys'), h('section', { class: 'panel', id: 'keys-off' }, who,
      h('p', {}, 'Your operator has turned off self-service keys on this server: ask them to create or revoke a key for you.')));
  }
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 200, autocomplete: 'off' });
  const err = h('p', { class: 'error', role: 'alert' });
  const shown = h('div', { 'aria-live': 'polite' });
  const status = h('p', { role: 'status', class: 'ok', id: 'keys-status' });
  const body = h('tbody');
  const form = h('form', { class: 'panel', 'aria-labelledby': 'new-key-title', novalidate: true }, h('h2', { id: 'new-key-title' }, 'Create a key'),
    h('p', { class: 'muted' }, 'A new key has the same models, networks, rate limit and expiry as the key you are signed in with, never more.'),
    h('div', { class: 'row' }, field('new-key-name', 'Key name', name), h('button', { type: 'submit' }, 'Create key')), err, shown);
  const revoke = (k, button) => async () => {
    const confirming = k.current && button.dataset.confirm !== 'yes';
    if (confirming) {
      button.dataset.confirm = 'yes';
      button.textContent = 'Revoke anyway and sign out';
      status.textContent = `${k.name} is the key you are signed in with: revoking it signs you out. Press the button again to revoke it.`;
      return;
    }
    try {
      await api(`/v1/account/keys/${encodeURIComponent(k.id)}${k.current ? '?confirm=true' : ''}`, { method: 'DELETE' });
      if (k.current) { session = null; return go('/dashboard/sign-in'); }
      status.textContent = `${k.name} is revoked: it no longer works.`;
      await draw();
    } catch (x) { status.textContent = x.message; }
  };
  async function draw() {
    keys = keys ?? (await api('/v1/account/keys')).data;
    body.replaceChildren(...keys.slice().reverse().map(k => {
      const button = k.revoked_at ? null : h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${k.name}` }, 'Revoke');
      button?.addEventListener('click', revoke(k, button));
      return h('tr', {},
        h('td', { 'data-label': 'Name' }, k.name, k.current ? h('span', { class: 'muted' }, ' (this session)') : null),
        h('td', { 'data-label': 'Key', class: 'mono' }, `${k.prefix}…`),
        h('td', { 'data-label': 'Created' }, when(k.created_at)),
        h('td', { 'data-label': 'Last used' }, k.last_used_at ? when(k.last_used_at) : 'never'),
        h('td', { 'data-label': 'State' }, k.revoked_at ? `revoked ${when(k.revoked_at)}` : button));
    }));
    keys = null;
  }
  form.addEventListener('submit', async e => {
    e.preventDefault(); err.textContent = ''; name.removeAttribute('aria-invalid');
    try {
      const k = await api('/v1/account/keys', { method: 'POST', body: { name: name.value } });
      shown.replaceChildren(h('p', {}, `The new key "${k.name}", shown this once: copy it now.`), h('pre', { id: 'new-key' }, k.key));
      name.value = '';
      await draw();
    } catch (x) {
      if (x.param === 'name') { name.setAttribute('aria-invalid', 'true'); document.getElementById('new-key-name-error').textContent = x.message; } else err.textContent = x.message;
    }
  });
  await draw();
  return h('div', {}, h('h1', {}, 'Keys'), h('section', { class: 'panel' }, who, adminNote), form,
    h('section', { class: 'panel' }, status, h('table', { class: 'cards' }, h('caption', { class: 'muted' }, 'Keys of your account, newest first (the keys themselves are never shown again)'),
      h('thead', {}, h('tr', {}, ['Name', 'Key', 'Created', 'Last used', 'State'].map(t => h('th', { scope: 'col' }, t)))), body)));
}

// ---- admin ------------------------------------------------------------------------------------------------------
const sections = { accounts: 'Accounts', keys: 'Keys', tiers: 'Tiers', prices: 'Prices', providers: 'Providers and routes', queue: 'Live queue', usage: 'Usage and margin', webhooks: 'Webhook deliveries' };

async function adminPage(section) {
  if (!sections[section]) throw new ApiError(404, { message: 'There is no such admin page.' });
  const content = await ({ accounts: adminAccounts, keys: adminKeys, tiers: adminTiers, prices: adminPrices, providers: adminProviders, queue: adminQueue, usage: adminUsage, webhooks: adminWebhooks })[section]();
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

const age = s => s === null || s === undefined ? '—' : s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor(s % 3600 / 60)} min`;
const queueStates = [['queued', 'Queued'], ['submitting', 'Submitting'], ['running', 'Rendering here'], ['tracking', 'At the upstream'], ['finishing', 'Finishing']];

// GET /admin/queue, redrawn every 2.5 s while the tab is visible (no polling in a background tab).
async function adminQueue() {
  const summary = h('div', { class: 'grid queue-summary' });
  const byProvider = h('div');
  const oldest = h('div');
  const updated = h('p', { class: 'muted', id: 'queue-updated' });
  const draw = q => {
    summary.replaceChildren(
      h('section', { class: 'panel', 'aria-label': 'Unfinished' }, h('h2', {}, 'Unfinished'), h('p', { class: 'big', id: 'queue-total' }, String(q.total))),
      h('section', { class: 'panel', 'aria-label': 'Oldest waiting' }, h('h2', {}, 'Oldest waiting'), h('p', { class: 'big', id: 'queue-oldest' }, age(q.oldest_waiting_seconds)),
        h('p', { class: 'muted' }, 'How long the oldest queued task has waited for a worker.')),
      ...queueStates.map(([k, t]) => h('section', { class: 'panel', 'aria-label': t }, h('h2', {}, t), h('p', { class: 'big', id: `queue-${k}` }, String(q.states[k] ?? 0)))));
    byProvider.replaceChildren(q.providers.length === 0 ? h('p', { class: 'muted' }, 'Nothing is waiting or running.') : simpleTable('Unfinished tasks by provider', [
      ['Provider', p => h('span', { class: 'mono' }, p.provider)], ['Total', p => String(p.total)],
      ...queueStates.map(([k, t]) => [t, p => String(p.states[k] ?? 0)]),
    ], q.providers));
    oldest.replaceChildren(q.tasks.length === 0 ? h('p', { class: 'muted' }, 'No unfinished task.') : simpleTable('The oldest unfinished tasks', [
      ['Task', t => h('span', { class: 'mono' }, t.id)], ['Account', t => h('span', { class: 'mono' }, t.account_id)], ['Model', t => t.model],
      ['Provider', t => h('span', { class: 'mono' }, t.provider)], ['State', t => statusBadge(t.state)], ['Progress', t => `${t.progress}%`], ['Age', t => age(t.age_seconds)],
    ], q.tasks));
    updated.textContent = `Updated at ${new Date(q.now * 1000).toLocaleTimeString()}; refreshes every 2.5 s while this tab is visible.`;
  };
  draw(await api('/admin/queue?limit=20'));
  let timer = null;
  let stopped = false;
  const tick = async () => {
    timer = null;
    if (stopped || document.hidden) return;
    try { const q = await api('/admin/queue?limit=20'); if (!stopped) draw(q); } catch (x) { if (!stopped) updated.textContent = x.message; }
    if (!stopped && !document.hidden) timer = setTimeout(tick, 2500);
  };
  const onVisibility = () => { if (!document.hidden && timer === null && !stopped) tick(); };
  document.addEventListener('visibilitychange', onVisibility);
  timer = setTimeout(tick, 2500);
  const stop = leave;
  leave = () => { stop(); stopped = true; clearTimeout(timer); document.removeEventListener('visibilitychange', onVisibility); };
  return h('div', {}, summary,
    h('section', { class: 'panel' }, h('h2', {}, 'By provider'), byProvider),
    h('section', { class: 'panel' }, h('h2', {}, 'Oldest first'), oldest, updated));
}

// Charged (tasks whose upstream reported a cost) against that cost, per day: two bars a day, and the margin.
function marginChart(rows) {
  const days = [...new Set(rows.map(r => r.day))].sort();
  if (days.length === 0) return h('p', { class: 'muted' }, 'No usage yet.');
  const sum = (d, f) => rows.filter(r => r.day === d).reduce((s, r) => s + f(r), 0);
  const revenue = days.map(d => sum(d, r => r.cost_known_charged_micros));
  const cost = days.map(d => sum(d, r => r.upstream_cost_micros));
  const max = Math.max(1, ...revenue, ...cost);
  const W = 640, H = 220, pad = 30, slot = (W - pad * 2) / days.length, bw = Math.max(3, slot / 2 - 4);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Charged against upstream cost: ${days.map((d, i) => `${d} charged ${money(revenue[i])}, cost ${money(cost[i])}, margin ${money(revenue[i] - cost[i])}`).join('; ')}`);
  const add = (tag, attrs, text) => { const el = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v); if (text) el.textContent = text; svg.append(el); return el; };
  days.forEach((d, i) => {
    const x = pad + i * slot + 2;
    [[revenue[i], 'c1', 'charged'], [cost[i], 'c3', 'upstream cost']].forEach(([v, c, label], j) => {
      const bh = (v / max) * (H - pad * 2);
      if (bh > 0) add('rect', { x: x + j * (bw + 2), y: H - pad - bh, width: bw, height: bh, class: c }).append(Object.assign(document.createElementNS(ns, 'title'), { textContent: `${d} ${label}: ${money(v)}` }));
    });
    if (days.length <= 14 || i % Math.ceil(days.length / 7) === 0) add('text', { x, y: H - 10 }, d.slice(5));
  });
  add('text', { x: 0, y: 14 }, money(max));
  return h('div', { class: 'chart' }, svg, h('ul', { class: 'legend' },
    h('li', {}, h('span', { class: 'swatch c1' }), 'Charged (cost known)'), h('li', {}, h('span', { class: 'swatch c3' }), 'Upstream cost')));
}

// Costs are exact USD strings; shown to the cent here, the JSON and CSV keep every tick.
const usd = s => `$${(Math.round(parseFloat(s) * 100) / 100).toFixed(2)}`;

async function adminUsage() {
  const [u, m] = await Promise.all([api('/admin/usage'), api('/admin/usage/margin')]);
  const t = m.total;
  return h('div', {},
    h('div', { class: 'grid' },
      h('section', { class: 'panel', 'aria-label': 'Margin' }, h('h2', {}, 'Margin'), h('p', { class: 'big', id: 'margin-total' }, money(t.margin_micros)),
        h('p', { class: 'muted' }, `${money(t.cost_known_charged_micros)} charged for ${t.cost_known_tasks} video${t.cost_known_tasks === 1 ? '' : 's'} whose upstream cost ${usd(t.upstream_cost_usd)}.`)),
      h('section', { class: 'panel', 'aria-label': 'Cost unknown' }, h('h2', {}, 'Cost unknown'), h('p', { class: 'big', id: 'margin-unknown' }, money(t.cost_unknown_charged_micros)),
        h('p', { class: 'muted' }, `charged for ${t.cost_unknown_tasks} video${t.cost_unknown_tasks === 1 ? '' : 's'} whose upstream reported no cost (local renders, vendors that do not say): not in the margin, never counted as free.`)),
      h('section', { class: 'panel', 'aria-label': 'In flight now' }, h('h2', {}, 'In flight now'), h('p', { class: 'big' }, String(u.data.reduce((s, r) => s + r.in_flight, 0))))),
    h('section', { class: 'panel' }, h('h2', {}, 'Charged against upstream cost per day'), marginChart(m.data)),
    h('section', { class: 'panel', id: 'margin-table' }, m.data.length === 0 ? h('p', { class: 'muted' }, 'No usage yet.') : simpleTable('Margin per day, model and provider', [
      ['Day', r => r.day], ['Model', r => r.model], ['Provider', r => h('span', { class: 'mono' }, r.provider ?? 'unknown (deleted)')], ['Videos', r => String(r.tasks)],
      ['Charged', r => money(r.charged_micros)], ['Upstream cost', r => r.cost_known_tasks ? usd(r.upstream_cost_usd) : '—'],
      ['Margin', r => r.cost_known_tasks ? money(r.margin_micros) : '—'],
      ['Cost unknown', r => r.cost_unknown_tasks ? `${r.cost_unknown_tasks} (${money(r.cost_unknown_charged_micros)})` : '—'],
    ], m.data)),
    h('section', { class: 'panel' }, h('h2', {}, 'Charged per day and model'), chart(u.data, r => r.charged_micros, 'Charged per day')),
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
