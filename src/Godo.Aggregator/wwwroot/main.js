// godo dashboard: ES modules, no build step, no external resources. This one keeps the page's state and wires the
// API (api.js) to the cards (fleet.js, tree-view.js, feed.js).
// Data: GET /api/cluster, /api/hosts, /api/containers, /api/hosts/{host}/tree?includeExited=true, and the
// Server-Sent Events of GET /api/events (exec, exit, container-start/stop, host-up/stale/down/removed).
// The open tree is refetched on every event that concerns it, so a `docker exec` shows up within a second.
// The past (history.js): the tree at a moment (tree?at=, the moment in the URL), and processes over a window.
import { getJson, followEvents, isRefused, onRefused, Unauthorized } from './api.js';
import { byId, el } from './format.js';
import { hostNames, findContainer, drawCluster, drawHosts, drawSummary, drawContainers } from './fleet.js';
import { newTreeMemory, treeHeading, rootKeysWithChildren, drawTree } from './tree-view.js';
import { createFeed } from './feed.js';
import { toLocalInput, fromLocalInput, toQuery, fmtMoment, drawSearch, drawLineage } from './history.js';

const S = {
  cluster: null, hosts: [], containers: [],
  sel: null,                 // { host, id } ; id null: the whole host
  at: null,                  // ms of the moment shown; null: live
  tree: null, treeFor: '', treeError: null,
  treeMemory: newTreeMemory(),
  errors: new Map(),         // what -> message of its last failed refresh
};

const feed = createFeed({
  hostNames: () => hostNames(S.hosts, S.containers),
  containers: () => S.containers,
  findContainer: (host, id) => findContainer(S.containers, host, id),
});

// ------------------------------------------------------------------ banner and live indicator
onRefused(() => {
  const b = byId('banner');
  b.replaceChildren('This aggregator requires its API token. Open the page once as ',
    el('code', { text: location.origin + '/?token=YOUR_TOKEN' }), ' (it is kept for this browser tab only).');
  b.hidden = false;
  setLive('down', 'unauthorized');
});

function noteError(what, err) {
  if (err instanceof Unauthorized) return; // the banner says it
  S.errors.set(what, (err && err.message) || String(err));
  showErrors();
}
function noteOk(what) { if (S.errors.delete(what)) showErrors(); }
function showErrors() {
  if (isRefused()) return;
  const b = byId('banner');
  if (S.errors.size === 0) { b.hidden = true; b.replaceChildren(); return; }
  b.replaceChildren([...S.errors].map(([w, m]) => w + ': ' + m).join(' · '));
  b.hidden = false;
}

function setLive(state, text) {
  const l = byId('live');
  l.dataset.state = state;
  l.querySelector('.label').textContent = text || state;
}

// Runs fn at most once at a time, no more often than every minGap ms; calls during a run queue one more run.
function coalesced(name, fn, minGap) {
  let timer = null, running = false, again = false, last = 0;
  async function run() {
    timer = null;
    if (isRefused()) return;
    if (running) { again = true; return; }
    running = true; last = Date.now();
    try { await fn(); noteOk(name); } catch (e) { noteError(name, e); }
    finally {
      running = false;
      if (again) { again = false; schedule(0); }
    }
  }
  function schedule(delay = 0) {
    if (running) { again = true; return; }
    if (timer) return;
    timer = setTimeout(run, Math.max(delay, minGap - (Date.now() - last), 0));
  }
  return schedule;
}

// ------------------------------------------------------------------ fleet
const refreshCluster = coalesced('cluster', async () => { S.cluster = await getJson('/api/cluster'); drawCluster(S.cluster); }, 500);

const refreshHosts = coalesced('hosts', async () => {
  const hosts = await getJson('/api/hosts');
  S.hosts = Array.isArray(hosts) ? hosts : [];
  drawHosts(S.hosts); drawSummary(S.hosts, S.containers); feed.drawFilters(); drawSearchHosts();
}, 500);

const refreshContainers = coalesced('containers', async () => {
  const list = await getJson('/api/containers');
  S.containers = Array.isArray(list) ? list : [];
  renderContainers(); drawSummary(S.hosts, S.containers); feed.drawFilters(); renderTreeHeader(); feed.nameRows();
}, 300);

const renderContainers = () => drawContainers(S.hosts, S.containers, S.sel, select);

// ------------------------------------------------------------------ selection (kept in the URL's #host=…&container=…)
function select(host, id) {
  const same = S.sel && S.sel.host === host && S.sel.id === id;
  if (same) return;
  S.sel = { host, id: id || null };
  S.treeMemory = newTreeMemory();
  if (S.treeFor !== host) { S.tree = null; S.treeFor = host; }
  S.treeError = null;
  try {
    writeHash();
  } catch (_) { /* ignore */ }
  renderContainers();
  renderTree();
  refreshTree(0);
}

/** The selection and the moment in the URL's #host=…&container=…&at=…, so a link shares them. */
function writeHash() {
  if (!S.sel) return;
  const q = new URLSearchParams({ host: S.sel.host });
  if (S.sel.id) q.set('container', S.sel.id);
  if (S.at !== null) q.set('at', toQuery(S.at));
  const hash = '#' + q.toString();
  if (location.hash !== hash) history.replaceState(history.state, '', location.pathname + location.search + hash);
}

function selectionFromHash() {
  const q = new URLSearchParams(location.hash.replace(/^#/, ''));
  const parsed = q.get('at') ? Date.parse(q.get('at')) : NaN;
  const at = isNaN(parsed) ? null : parsed;
  const moved = at !== S.at;
  setMoment(at, false);
  const host = q.get('host'), id = q.get('container') || null;
  if (host && !(S.sel && S.sel.host === host && S.sel.id === id)) select(host, id);
  else if (moved) { writeHash(); renderTree(); if (S.sel) refreshTree(0); }
}

// ------------------------------------------------------------------ time control: live, or the tree at a moment
function setMoment(at, fetch = true) {
  if (at === S.at) return;
  S.at = at;
  byId('time-live').checked = at === null;
  if (at !== null) byId('time-at').value = toLocalInput(at);
  byId('tree-card').toggleAttribute('data-past', at !== null);
  S.tree = null; S.treeError = null;
  S.treeMemory = newTreeMemory();
  writeHash();
  if (fetch) { renderTree(); refreshTree(0); }
}

/** The selected container as the fleet lists it, else as the tree document does; null for a whole host or a gone one. */
function selectedContainer() {
  if (!S.sel || !S.sel.id) return null;
  return findContainer(S.containers, S.sel.host, S.sel.id) ||
    (S.tree && Array.isArray(S.tree.containers) && S.tree.containers.find((x) => x.id === S.sel.id)) || null;
}

// ------------------------------------------------------------------ process tree
const refreshTree = coalesced('tree', async () => {
  if (!S.sel) return;
  const host = S.sel.host, at = S.at;
  let doc;
  try {
    doc = await getJson('/api/hosts/' + encodeURIComponent(host) + '/tree?' + (at === null ? 'includeExited=true' : 'at=' + encodeURIComponent(toQuery(at))));
  } catch (e) {
    if (S.sel && S.sel.host === host && S.at === at) { S.treeError = e.message; S.tree = null; renderTree(); }
    if (!(e instanceof Unauthorized)) return; // shown in the tree card, not as a page error
    throw e;
  }
  if (!S.sel || S.sel.host !== host || S.at !== at) return;
  S.tree = doc; S.treeFor = host; S.treeError = null;
  renderTree();
}, 150);

function renderTreeHeader() {
  const { title, meta } = treeHeading(S.sel, selectedContainer());
  byId('tree-title').textContent = title;
  byId('tree-meta').textContent = S.sel && S.at !== null ? 'as of ' + fmtMoment(S.at) + ' \u00b7 ' + meta : meta;
}

function toggle(key) {
  const collapsed = S.treeMemory.collapsed;
  if (collapsed.has(key)) collapsed.delete(key); else collapsed.add(key);
  renderTree();
}

let fadeTimer = null;
function renderTree() {
  renderTreeHeader();
  const tb = byId('tree').tBodies[0];
  const empty = byId('tree-empty');
  const count = byId('tree-count');
  const sel = S.sel;
  if (!sel) { tb.replaceChildren(); empty.hidden = false; count.textContent = ''; return; }
  if (!S.tree || S.treeFor !== sel.host) {
    tb.replaceChildren();
    empty.textContent = S.treeError ? 'Cannot load the tree of ' + sel.host + ': ' + S.treeError : 'Loading…';
    empty.hidden = false; count.textContent = '';
    return;
  }
  const view = drawTree(S.tree, sel, S.treeMemory, Date.now(), toggle);
  S.treeMemory = view.memory;
  // a fading row leaves with a redraw once its second is over
  clearTimeout(fadeTimer);
  if (view.nextExpiry !== Infinity) fadeTimer = setTimeout(renderTree, view.nextExpiry + 20);
  tb.replaceChildren(...view.rows);
  count.textContent = view.count;
  if (view.empty) {
    empty.textContent = S.at !== null ? 'No processes at ' + fmtMoment(S.at) + '.'
      : !sel.id || selectedContainer() ? 'No live processes.' : 'This container is gone.';
    empty.hidden = false;
  } else empty.hidden = true;
}

// ------------------------------------------------------------------ live updates
function onEvent(e) {
  const sel = S.at === null ? S.sel : null; // the tree of a past moment does not change
  if (e.kind === 'exec' || e.kind === 'exit') {
    if (sel && e.host === sel.host && (!sel.id || e.container === sel.id)) refreshTree(30);
    refreshContainers(400);
  } else if (e.kind === 'container-start' || e.kind === 'container-stop') {
    if (sel && e.host === sel.host) refreshTree(30);
    refreshContainers(50);
    refreshHosts(200);
  } else if (e.kind.startsWith('host-')) {
    refreshHosts(50); refreshCluster(50); refreshContainers(200);
    if (sel && e.host === sel.host) refreshTree(50);
  }
  feed.add(e);
}

function refreshAll() {
  refreshCluster(0); refreshHosts(0); refreshContainers(0);
  if (S.sel) refreshTree(0);
}

// ------------------------------------------------------------------ process history: a window's processes, a lineage
const searchState = { lives: [], to: null };

async function search() {
  const now = Date.now();
  const to = fromLocalInput(byId('search-to').value) ?? now;
  const from = fromLocalInput(byId('search-from').value) ?? to - 15 * 60 * 1000;
  const q = new URLSearchParams({ from: toQuery(from), to: toQuery(to), limit: '500' });
  for (const [k, id] of [['argv', 'search-argv'], ['exe', 'search-exe'], ['host', 'search-host']]) {
    const v = byId(id).value.trim();
    if (v) q.set(k, v);
  }
  const empty = byId('search-empty');
  try {
    const lives = await getJson('/api/processes?' + q.toString());
    searchState.lives = Array.isArray(lives) ? lives : [];
    searchState.to = to;
    byId('search-count').textContent = drawSearch(searchState.lives, pickLife) + ' between ' + fmtMoment(from) + ' and ' + fmtMoment(to);
    empty.textContent = 'No process lived then that matches.';
    empty.hidden = searchState.lives.length > 0;
  } catch (e) {
    if (e instanceof Unauthorized) return;
    byId('search').tBodies[0].replaceChildren();
    byId('search-count').textContent = '';
    empty.textContent = 'Cannot search: ' + e.message;
    empty.hidden = false;
  }
  byId('lineage').hidden = true;
}

/**
 * A process's lineage as the row shows it: at its last moment in the window (the window's end, or just before it
 * exited), not at its start, when it was still its parent's fork and had not exec'd yet.
 */
async function pickLife(life) {
  const p = life.process || {};
  const exited = Date.parse(p.exitedAt);
  const at = Math.min(searchState.to ?? Date.now(), isNaN(exited) ? Infinity : exited - 1);
  for (const tr of byId('search').tBodies[0].rows) tr.classList.toggle('picked', tr.dataset.host === life.host && tr.dataset.pid === String(p.pid));
  const path = '/api/hosts/' + encodeURIComponent(life.host) + '/processes/' + encodeURIComponent(p.pid) + (isFinite(at) ? '?at=' + encodeURIComponent(toQuery(at)) : '');
  try {
    const lineage = await getJson(path);
    drawLineage(lineage, () => {
      const moment = Date.parse(lineage.at);
      setMoment(isNaN(moment) ? null : moment, false);
      const sel = S.sel;
      if (sel && sel.host === life.host && sel.id === (p.container || null)) { writeHash(); renderTree(); refreshTree(0); }
      else select(life.host, p.container || null);
    });
  } catch (e) {
    if (e instanceof Unauthorized) return;
    const box = byId('lineage');
    box.replaceChildren('No lineage of ' + p.pid + ' on ' + life.host + ': ' + e.message);
    box.hidden = false;
  }
}

function drawSearchHosts() {
  const sel = byId('search-host');
  const names = hostNames(S.hosts, S.containers);
  const have = [...sel.options].slice(1).map((o) => o.value);
  if (have.join('\n') === names.join('\n')) return;
  const value = sel.value;
  sel.replaceChildren(el('option', { value: '', text: 'all hosts' }), ...names.map((n) => el('option', { value: n, text: n })));
  sel.value = names.includes(value) ? value : '';
}

// ------------------------------------------------------------------ wiring
byId('container-filter').addEventListener('input', renderContainers);
byId('container-filter').addEventListener('keydown', (ev) => { if (ev.key === 'Escape') { ev.target.value = ''; renderContainers(); } });
byId('expand-all').addEventListener('click', () => { S.treeMemory.collapsed.clear(); renderTree(); });
byId('collapse-all').addEventListener('click', () => {
  S.treeMemory.collapsed = new Set(S.tree && S.sel ? rootKeysWithChildren(S.tree, S.sel) : []);
  renderTree();
});
window.addEventListener('hashchange', selectionFromHash);
byId('time-live').addEventListener('change', (ev) => {
  // leaving live without a moment picked shows the tree of now, kept still
  if (ev.target.checked) setMoment(null);
  else setMoment(fromLocalInput(byId('time-at').value) ?? Date.now());
});
byId('time-at').addEventListener('change', (ev) => {
  const t = fromLocalInput(ev.target.value);
  if (t !== null) setMoment(t);
});
byId('search-form').addEventListener('submit', (ev) => { ev.preventDefault(); search(); });

drawCluster(S.cluster); drawHosts(S.hosts); renderContainers(); renderTree(); feed.render();
selectionFromHash();
refreshAll();
followEvents({
  onEvent,
  onState: setLive,
  onOpen: refreshAll,
  // the stream was refused (e.g. a 401 or the aggregator is gone): check with a plain request
  onClosed: () => refreshHosts(0),
});
setInterval(() => { refreshHosts(0); refreshCluster(0); }, 2000);
setInterval(() => refreshContainers(0), 5000);
setInterval(() => { if (S.sel && S.at === null) refreshTree(0); }, 5000);
setInterval(() => { drawHosts(S.hosts); feed.drawCount(); }, 1000);
// expose a little for the browser tests and for curious people in the console
window.godo = { state: S, feedEvents: feed.events, refreshAll, search: searchState };
