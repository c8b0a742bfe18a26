// The process tree as table rows. Pure: from a tree document (GET /api/hosts/{host}/tree), the selection and the
// view's memory of earlier draws (collapsed, first seen, exiting) to rows and the memory for the next draw; it does
// not fetch, keep globals or set timers, so the caller decides when to draw again.
import { el, show, fmtTime, fmtArgv, fmtUser, cname, shortId, ms } from './format.js';

const FADE_MS = 1000;   // exited processes fade out over their last second
const FRESH_MS = 2000;  // new processes are highlighted this long

/** A process's identity across fetches: a pid alone is reused. */
const keyOf = (host, p) => host + '|' + p.pid + '|' + (p.startedAt || '');

/** The memory of a selection not drawn yet: on its first draw nothing is "fresh". */
export function newTreeMemory() {
  return {
    collapsed: new Set(),   // keys of collapsed processes
    firstSeen: new Map(),   // key -> ms when first drawn (fresh highlight)
    exitedSince: new Map(), // key -> ms when first seen exited (fade)
    ghosts: new Map(),      // key -> process gone from the tree, still fading
    lastShown: new Map(),   // key -> process drawn last time
    initial: true,
  };
}

/** The tree card's title and meta line for a selection ({ host, id }; id null: the whole host) and its container. */
export function treeHeading(sel, container) {
  if (!sel) return { title: 'Process tree', meta: '' };
  if (!sel.id) return { title: 'Host ' + sel.host, meta: 'every process on the host' };
  const c = container;
  return {
    title: 'Container ' + (c && cname(c.name) ? cname(c.name) : shortId(sel.id)),
    meta: [c && c.image, shortId(sel.id), 'on ' + sel.host, c && c.state,
      c && c.initPid ? 'init ' + c.initPid : null, c && c.startedAt ? 'started ' + fmtTime(c.startedAt) : null]
      .filter(Boolean).join(' · '),
  };
}

/** Keys of the selection's roots that have children: what "collapse" folds. */
export function rootKeysWithChildren(doc, sel) {
  const scope = (doc.processes || []).filter((p) => !sel.id || p.container === sel.id);
  const parents = new Set(scope.map((p) => p.ppid));
  const pids = new Set(scope.map((p) => p.pid));
  return scope.filter((p) => parents.has(p.pid) && !pids.has(p.ppid)).map((p) => keyOf(sel.host, p));
}

/**
 * Draws the selection's processes of doc at time now (ms). memory is left as it is: the returned one is for the next
 * draw. onToggle(key) is called when a row's expand/collapse button is clicked.
 * Returns { rows, memory, count (text), empty (no row at all), nextExpiry (ms until a fading row must go; Infinity: none) }.
 */
export function drawTree(doc, sel, memory, now, onToggle) {
  const host = sel.host;
  const firstSeen = new Map(memory.firstSeen);
  const exitedSince = new Map(memory.exitedSince);
  const ghosts = new Map(memory.ghosts);
  const all = Array.isArray(doc.processes) ? doc.processes : [];
  const scope = sel.id ? all.filter((p) => p.container === sel.id) : all;
  const current = new Map(scope.map((p) => [keyOf(host, p), p]));

  // Exited processes (exitedAt set) fade for one second from when this page first saw them exited; a process
  // that vanished between two fetches fades from the moment it vanished.
  for (const [k, p] of current) if (p.exitedAt && !exitedSince.has(k)) exitedSince.set(k, now);
  if (!memory.initial) {
    for (const [k, p] of memory.lastShown) {
      if (!current.has(k) && !ghosts.has(k)) {
        if (!exitedSince.has(k)) exitedSince.set(k, now);
        ghosts.set(k, Object.assign({}, p, { exitedAt: p.exitedAt || new Date(now).toISOString() }));
      }
    }
  }
  const procs = [];
  let nextExpiry = Infinity;
  for (const [k, p] of current) {
    if (!p.exitedAt) { procs.push(p); continue; }
    const left = FADE_MS - (now - exitedSince.get(k));
    if (left > 0) { procs.push(p); nextExpiry = Math.min(nextExpiry, left); }
  }
  for (const [k, p] of ghosts) {
    const left = FADE_MS - (now - (exitedSince.get(k) || now));
    if (current.has(k) || left <= 0) { ghosts.delete(k); if (!current.has(k)) exitedSince.delete(k); continue; }
    procs.push(p); nextExpiry = Math.min(nextExpiry, left);
  }
  for (const k of [...exitedSince.keys()]) if (!current.has(k) && !ghosts.has(k)) exitedSince.delete(k);

  // parent links
  const byPid = new Map();
  for (const p of procs) { const o = byPid.get(p.pid); if (!o || (o.exitedAt && !p.exitedAt)) byPid.set(p.pid, p); }
  const kids = new Map();
  const roots = [];
  for (const p of procs) {
    const parent = byPid.get(p.ppid);
    if (parent && parent !== p && p.ppid !== p.pid) {
      if (!kids.has(p.ppid)) kids.set(p.ppid, []);
      kids.get(p.ppid).push(p);
    } else roots.push(p);
  }
  const order = (a, b) => (ms(a.startedAt) || 0) - (ms(b.startedAt) || 0) || a.pid - b.pid;
  roots.sort(order);
  for (const list of kids.values()) list.sort(order);

  const look = {
    now, firstSeen, exitedSince, onToggle,
    // the whole host's view tags container processes with their container
    names: sel.id ? null : new Map((doc.containers || []).map((c) => [c.id, cname(c.name) || shortId(c.id)])),
  };
  const rows = [];
  const visited = new Set();
  const shownNow = new Map();
  const see = (k) => { if (!firstSeen.has(k)) firstSeen.set(k, memory.initial ? 0 : now); };
  const walk = (p, depth) => {
    const k = keyOf(host, p);
    if (visited.has(k)) return;
    visited.add(k);
    shownNow.set(k, p);
    const children = (byPid.get(p.pid) === p && kids.get(p.pid)) || [];
    const collapsed = memory.collapsed.has(k);
    see(k);
    rows.push(treeRow(p, k, depth, children.length, collapsed, look));
    if (collapsed) { for (const c of children) markShown(c); return; }
    for (const c of children) walk(c, depth + 1);
  };
  // processes under a collapsed node stay "shown" so they do not fade as if gone
  const markShown = (p) => {
    const k = keyOf(host, p);
    if (visited.has(k)) return;
    visited.add(k); shownNow.set(k, p);
    see(k);
    for (const c of (byPid.get(p.pid) === p && kids.get(p.pid)) || []) markShown(c);
  };
  for (const r of roots) walk(r, 0);
  for (const p of procs) if (!visited.has(keyOf(host, p))) walk(p, 0); // cycles, if any

  for (const k of [...firstSeen.keys()]) if (!shownNow.has(k)) firstSeen.delete(k);
  const alive = procs.filter((p) => !p.exitedAt).length;
  return {
    rows,
    memory: {
      collapsed: memory.collapsed, firstSeen, exitedSince, ghosts,
      lastShown: new Map([...shownNow].filter(([k]) => !ghosts.has(k))),
      initial: false,
    },
    count: alive + (alive === 1 ? ' process' : ' processes') +
      (procs.length > alive ? ' (+' + (procs.length - alive) + ' exiting)' : ''),
    empty: procs.length === 0,
    nextExpiry,
  };
}

function treeRow(p, k, depth, nKids, collapsed, look) {
  const { now } = look;
  const cls = [];
  if (p.exitedAt) cls.push('exited');
  const born = look.firstSeen.get(k) || 0;
  const fresh = born > 0 && now - born < FRESH_MS && !p.exitedAt;
  if (fresh) cls.push('fresh');
  if (!p.container) cls.push('host-proc');
  // negative delays resume the CSS animations where they were before this redraw
  let style = null;
  if (p.exitedAt) style = 'animation-delay:-' + Math.min(FADE_MS, now - (look.exitedSince.get(k) || now)) + 'ms';
  else if (fresh) style = 'animation-delay:-' + (now - born) + 'ms';
  const toggle = nKids > 0
    ? el('button', { type: 'button', class: 'toggle', title: (collapsed ? 'expand' : 'collapse') + ' (' + nKids + ')', 'aria-label': collapsed ? 'expand' : 'collapse',
      onclick: (ev) => { ev.stopPropagation(); look.onToggle(k); } },
    collapsed ? '\u25b8' : '\u25be')
    : el('span', { class: 'leaf', text: '\u00b7' });
  const argv = fmtArgv(p.argv);
  const tag = look.names && p.container
    ? el('span', { class: 'muted', text: ' [' + (look.names.get(p.container) || shortId(p.container)) + ']' }) : null;
  return el('tr', {
    class: cls.join(' ') || null, style, 'data-key': k, 'data-pid': p.pid, 'data-nspid': p.nsPid === null || p.nsPid === undefined ? '' : p.nsPid,
    'data-exited': p.exitedAt ? 'true' : null, 'aria-level': depth + 1, 'aria-expanded': nKids > 0 ? String(!collapsed) : null,
    title: 'exe ' + show(p.exe) + ' · cwd ' + show(p.cwd) + ' · ppid ' + show(p.ppid) + (p.exitedAt ? ' · exited ' + fmtTime(p.exitedAt, true) : ''),
  },
    el('td', { class: 'c-name' }, el('span', { class: 'indent', style: 'width:' + depth * 14 + 'px' }), toggle, ' ',
      el('strong', { text: show(p.comm || (p.exe ? String(p.exe).split('/').pop() : null)) }), tag,
      collapsed && nKids ? el('span', { class: 'muted', text: ' +' + nKids }) : null),
    el('td', { text: show(p.pid) }),
    el('td', { text: show(p.nsPid) }),
    el('td', { text: fmtUser(p.uid, p.user) }),
    el('td', { title: p.startedAt || null, text: fmtTime(p.startedAt) }),
    el('td', { class: 'c-argv', title: argv || null, text: argv || show(p.exe) }));
}
