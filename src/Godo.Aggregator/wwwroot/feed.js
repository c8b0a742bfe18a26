// The live feed: exec, exit and container start/stop across the fleet, newest first, narrowed by host, container and
// kind, with pause. Events stay buffered while filtered out or paused, so a changed filter shows them at once.
// Losses are shown too, whatever the filter: 'dropped' (events a host's feed lost on the way) and 'overflow' (this page
// read too slowly and the aggregator closed its stream; the browser opens a new one by itself).
import { DASH, byId, el, show, num, cname, shortId, fmtTime, fmtArgv, ms } from './format.js';

const KINDS = new Set(['exec', 'exit', 'container-start', 'container-stop', 'dropped', 'overflow']);
const LOSSES = new Set(['dropped', 'overflow']);
const MAX_EVENTS = 1000;    // buffer (all hosts)
const MAX_ROWS = 300;       // rows drawn
const RATE_WINDOW_MS = 10000;

/**
 * The feed card, wired to its own controls. fleet gives the page's latest lists when the feed draws:
 * { hostNames(), containers(), findContainer(host, id) }.
 */
export function createFeed(fleet) {
  let events = [];    // in event-time order
  let pending = [];   // arrived since the last draw
  const arrivals = []; // ms of arrival, for the rate
  let timer = null;
  const tbody = byId('feed').tBodies[0];
  const paused = () => byId('feed-pause').checked;

  function containerLabel(e) {
    if (LOSSES.has(e.kind)) return DASH;
    if (!e.container) return 'host';
    const c = fleet.findContainer(e.host, e.container);
    return cname(e.containerName) || (c && cname(c.name)) || shortId(e.container);
  }

  function filter() {
    const host = byId('feed-host').value;
    const ctr = byId('feed-container').value;
    const kinds = { exec: byId('feed-exec').checked, exit: byId('feed-exit').checked, ctr: byId('feed-ctr').checked };
    return (e) => {
      if (e.kind === 'overflow') return true;
      if (host && e.host !== host) return false;
      if (e.kind === 'dropped') return true;
      if (ctr === '-') { if (e.container) return false; }
      else if (ctr) { const i = ctr.indexOf('|'); if (e.host !== ctr.slice(0, i) || e.container !== ctr.slice(i + 1)) return false; }
      if (e.kind === 'exec') return kinds.exec;
      if (e.kind === 'exit') return kinds.exit;
      return kinds.ctr;
    };
  }

  function row(e) {
    const argv = fmtArgv(e.argv);
    let detail = argv || show(e.exe);
    if (e.kind === 'container-start' || e.kind === 'container-stop') detail = [e.image, shortId(e.container)].filter(Boolean).join(' · ') || DASH;
    if (LOSSES.has(e.kind)) detail = num(e.dropped || 0, 0) + ' events not shown: ' + (e.reason || '');
    const label = e.kind === 'container-start' ? 'start' : e.kind === 'container-stop' ? 'stop' : e.kind;
    return el('tr', { class: 'ev-' + e.kind, 'data-t': e._t, 'data-kind': e.kind, 'data-host': e.host, 'data-container': e.container || '', 'data-pid': e.pid === undefined ? '' : e.pid },
      el('td', { title: e.at || null, text: fmtTime(e.at, true) }),
      el('td', { title: e.host || null, text: show(e.host) }),
      el('td', { title: e.container || 'a host process', text: containerLabel(e) }),
      el('td', null, el('span', { class: 'k k-' + e.kind, text: label })),
      el('td', { text: show(e.pid) }),
      el('td', { class: 'c-argv', title: (argv || '') + (e.uid !== undefined && e.uid !== null ? '  (uid ' + e.uid + ')' : '') || null, text: detail }));
  }

  function render() {
    const ok = filter();
    const rows = [];
    for (let i = events.length - 1; i >= 0 && rows.length < MAX_ROWS; i--) if (ok(events[i])) rows.push(row(events[i]));
    tbody.replaceChildren(...rows);
    pending = [];
    drawCount();
  }

  function flush() {
    timer = null;
    if (paused()) return;
    const add = pending.filter(filter()).sort((a, b) => a._t - b._t);
    pending = [];
    // Events come in per-host batches, not quite in time order: an older one than the newest row means a redraw.
    const top = tbody.rows.length ? Number(tbody.rows[0].dataset.t) : -Infinity;
    if (add.length && add[0]._t < top) { render(); return; }
    if (add.length) {
      const frag = document.createDocumentFragment();
      for (let i = add.length - 1; i >= 0 && i >= add.length - MAX_ROWS; i--) frag.append(row(add[i]));
      tbody.prepend(frag);
      while (tbody.rows.length > MAX_ROWS) tbody.lastElementChild.remove();
    }
    drawCount();
  }

  /** Rows shown and the fleet's rate of feed events over the last 10 s; called every second too, so the rate decays. */
  function drawCount() {
    const now = Date.now();
    while (arrivals.length && now - arrivals[0] > RATE_WINDOW_MS) arrivals.shift();
    const shown = tbody.rows.length;
    byId('feed-empty').hidden = shown > 0;
    byId('feed-count').textContent = shown + ' shown · ' + num(arrivals.length / (RATE_WINDOW_MS / 1000), 1) + '/s' + (paused() ? ' · paused' : '');
  }

  /** The host and container choices, from the fleet's lists; a chosen one that is gone stays, marked so. */
  function drawFilters() {
    const hs = byId('feed-host');
    const hv = hs.value;
    const hosts = fleet.hostNames();
    const multi = hosts.length > 1;
    if (hv && !hosts.includes(hv)) hosts.push(hv);
    hs.replaceChildren(el('option', { value: '', text: 'all hosts' }), ...hosts.map((h) => el('option', { value: h, text: h })));
    hs.value = hv;

    const cs = byId('feed-container');
    const cv = cs.value;
    const prevLabel = cs.selectedOptions[0] ? cs.selectedOptions[0].textContent : cv;
    const opts = [el('option', { value: '', text: 'all containers' }), el('option', { value: '-', text: 'host processes only' })];
    const list = fleet.containers().filter((c) => !hv || c.host === hv)
      .sort((a, b) => (cname(a.name) || a.id).localeCompare(cname(b.name) || b.id));
    const values = new Set(['', '-']);
    for (const c of list) {
      const v = c.host + '|' + c.id;
      values.add(v);
      opts.push(el('option', { value: v, text: (cname(c.name) || shortId(c.id)) + (multi ? ' @ ' + c.host : '') }));
    }
    if (!values.has(cv)) opts.push(el('option', { value: cv, text: prevLabel + ' (gone)' }));
    cs.replaceChildren(...opts);
    cs.value = cv;
  }

  // Docker's name for a container can arrive a moment after its first events: rename rows drawn with the short id.
  function nameRows() {
    for (const tr of tbody.rows) {
      const id = tr.dataset.container;
      if (!id) continue;
      const c = fleet.findContainer(tr.dataset.host, id);
      const td = tr.cells[2];
      if (c && cname(c.name) && td.textContent === shortId(id)) td.textContent = cname(c.name);
    }
  }

  /** Takes an event of the stream; kinds the feed does not show are ignored. */
  function add(e) {
    if (!KINDS.has(e.kind)) return;
    const t = ms(e.at);
    e._t = t === null ? Date.now() : t;
    let i = events.length;
    while (i > 0 && events[i - 1]._t > e._t) i--;
    events.splice(i, 0, e);
    if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS);
    arrivals.push(Date.now());
    pending.push(e);
    if (!timer) timer = setTimeout(flush, 40);
  }

  byId('feed-host').addEventListener('change', () => { drawFilters(); render(); });
  for (const id of ['feed-container', 'feed-exec', 'feed-exit', 'feed-ctr']) byId(id).addEventListener('change', render);
  byId('feed-pause').addEventListener('change', () => { if (!paused()) render(); else drawCount(); });
  byId('feed-clear').addEventListener('click', () => { events = []; pending = []; render(); });

  return { add, render, drawFilters, drawCount, nameRows, events: () => events };
}
