// godo dashboard. Plain JavaScript, no build step, no external resources.
// Data: GET /api/cluster, /api/hosts, /api/containers, /api/hosts/{host}/tree?includeExited=true, and the
// Server-Sent Events of GET /api/events (exec, exit, container-start/stop, host-up/stale/down/removed).
// The open tree is refetched on every event that concerns it, so a `docker exec` shows up within a second.
// Every field may be missing: the page shows "–" rather than failing.
'use strict';
(function () {
  const DASH = '\u2013';
  const FADE_MS = 1000;          // exited processes fade out over their last second
  const FRESH_MS = 2000;         // new processes are highlighted this long
  const MAX_EVENTS = 1000;       // feed buffer (all hosts)
  const MAX_FEED_ROWS = 300;     // rows drawn
  const SSE_KINDS = ['exec', 'exit', 'container-start', 'container-stop', 'host-up', 'host-stale', 'host-down', 'host-removed'];
  const FEED_KINDS = new Set(['exec', 'exit', 'container-start', 'container-stop']);
  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ token
  // ?token=T once in the URL: kept in sessionStorage (this tab only), removed from the address bar, sent as a
  // bearer header on fetch and as ?token= on the event stream (EventSource cannot set headers).
  let token = null;
  try {
    const url = new URL(location.href);
    const t = url.searchParams.get('token');
    if (t) {
      sessionStorage.setItem('godo.token', t);
      url.searchParams.delete('token');
      history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    }
    token = sessionStorage.getItem('godo.token');
  } catch (_) { /* storage disabled: the server's cookie still works */ }

  // ------------------------------------------------------------------ state
  const S = {
    cluster: null, hosts: [], containers: [],
    sel: null,                 // { host, id } ; id null: the whole host
    tree: null, treeFor: '', treeError: null,
    collapsed: new Set(),      // keys of collapsed processes
    firstSeen: new Map(),      // key -> ms when first drawn (fresh highlight)
    exitedSince: new Map(),    // key -> ms when first seen exited (fade)
    ghosts: new Map(),         // key -> process gone from the tree, still fading
    lastShown: new Map(),      // key -> process drawn last time
    treeInitial: true,         // first draw of a selection: nothing is "fresh"
    events: [], pendingFeed: [], eventTimes: [],
    authFailed: false, errors: new Map(),
  };

  // ------------------------------------------------------------------ helpers
  function el(tag, props, ...kids) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = v;
        else if (k === 'style') e.style.cssText = v;
        else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, String(v));
      }
    }
    for (const k of kids) if (k !== null && k !== undefined && k !== false) e.append(k instanceof Node ? k : String(k));
    return e;
  }
  const show = (v) => (v === null || v === undefined || v === '' ? DASH : String(v));
  const num = (v, digits = 0) => (typeof v === 'number' && isFinite(v)
    ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }) : DASH);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  const cname = (n) => (n ? String(n).replace(/^\//, '') : null);
  const shortId = (id) => (id ? String(id).slice(0, 12) : null);
  const shortAddr = (a) => (a ? String(a).replace(/^akka(\.tcp)?:\/\//, '') : null);
  const keyOf = (host, p) => host + '|' + p.pid + '|' + (p.startedAt || '');
  const ms = (iso) => { const t = iso ? Date.parse(iso) : NaN; return isNaN(t) ? null : t; };

  function fmtTime(iso, withMs) {
    const t = ms(iso); if (t === null) return DASH;
    const d = new Date(t), now = new Date();
    let s = pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
    if (withMs) s += '.' + pad(d.getMilliseconds(), 3);
    if (d.toDateString() !== now.toDateString()) s = (d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + s;
    return s;
  }
  function fmtDuration(sec) {
    if (typeof sec !== 'number' || !isFinite(sec)) return DASH;
    sec = Math.max(0, Math.floor(sec));
    if (sec < 60) return sec + 's';
    if (sec < 3600) return Math.floor(sec / 60) + 'm ' + pad(sec % 60) + 's';
    if (sec < 86400) return Math.floor(sec / 3600) + 'h ' + pad(Math.floor(sec / 60) % 60) + 'm';
    return Math.floor(sec / 86400) + 'd ' + Math.floor(sec / 3600) % 24 + 'h';
  }
  function fmtAgo(iso) {
    const t = ms(iso); if (t === null) return DASH;
    const s = (Date.now() - t) / 1000;
    return s < 1 ? 'now' : fmtDuration(s) + ' ago';
  }
  function fmtArgv(argv) {
    if (!Array.isArray(argv) || argv.length === 0) return null;
    return argv.map((a) => (a === '' || /[\s"'\\]/.test(a) ? JSON.stringify(a) : a)).join(' ');
  }
  function fmtUser(uid) {
    if (uid === null || uid === undefined) return DASH;
    return uid === 0 ? '0 root' : String(uid);
  }
  function badge(status, title) {
    if (!status) return DASH;
    const s = String(status).toLowerCase();
    return el('span', { class: 'badge st-' + s.replace(/[^a-z]/g, ''), title: title || null, text: s });
  }

  // ------------------------------------------------------------------ API
  async function api(path) {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    const r = await fetch(path, { headers, cache: 'no-store', credentials: 'same-origin' });
    if (r.status === 401) { authNeeded(); throw new Error('401'); }
    if (!r.ok) {
      let msg = r.status + ' ' + r.statusText;
      try { const j = await r.json(); if (j && j.error) msg = j.error; } catch (_) { /* not JSON */ }
      throw new Error(msg);
    }
    return r.json();
  }

  function authNeeded() {
    if (S.authFailed) return;
    S.authFailed = true;
    const b = $('banner');
    b.replaceChildren('This aggregator requires its API token. Open the page once as ',
      el('code', { text: location.origin + '/?token=YOUR_TOKEN' }), ' (it is kept for this browser tab only).');
    b.hidden = false;
    setLive('down', 'unauthorized');
  }

  function noteError(what, err) {
    if (err && err.message === '401') return;
    S.errors.set(what, (err && err.message) || String(err));
    showErrors();
  }
  function noteOk(what) { if (S.errors.delete(what)) showErrors(); }
  function showErrors() {
    if (S.authFailed) return;
    const b = $('banner');
    if (S.errors.size === 0) { b.hidden = true; b.replaceChildren(); return; }
    b.replaceChildren([...S.errors].map(([w, m]) => w + ': ' + m).join(' · '));
    b.hidden = false;
  }

  // Runs fn at most once at a time, no more often than every minGap ms; calls during a run queue one more run.
  function coalesced(name, fn, minGap) {
    let timer = null, running = false, again = false, last = 0;
    async function run() {
      timer = null;
      if (S.authFailed) return;
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

  // ------------------------------------------------------------------ cluster + agents
  const refreshCluster = coalesced('cluster', async () => { S.cluster = await api('/api/cluster'); renderCluster(); }, 500);

  function renderCluster() {
    const c = S.cluster || {};
    const members = Array.isArray(c.members) ? c.members : [];
    $('members').tBodies[0].replaceChildren(...members.map((m) => {
      const leader = m.leader === true || (c.leader && c.leader === m.address);
      const reach = m.reachable === false ? 'unreachable' : m.reachable === true ? 'reachable' : null;
      return el('tr', { 'data-address': m.address },
        el('td', { title: show(m.address) + (m.appVersion ? ' · app version ' + m.appVersion : '') },
          show(shortAddr(m.address)), m.self ? el('span', { class: 'self-mark', text: ' (this)' }) : null),
        el('td', { text: Array.isArray(m.roles) && m.roles.length ? m.roles.join(', ') : DASH }),
        el('td', null, badge(m.status)),
        el('td', null, badge(reach)),
        el('td', { class: leader ? 'leader' : 'muted', title: leader ? 'the cluster leader' : null, text: leader ? '\u2605' : '' }));
    }));
    if (members.length === 0) $('members').tBodies[0].append(el('tr', null, el('td', { colspan: 5, class: 'muted', text: 'no members' })));
    $('cluster-count').textContent = members.length ? members.length + (members.length === 1 ? ' member' : ' members') : '';

    const agents = Array.isArray(c.agents) ? c.agents : [];
    $('agents').tBodies[0].replaceChildren(...agents.map((a) => el('tr', { 'data-host': a.host },
      el('td', { title: show(a.address), text: show(a.host) }),
      el('td', { text: show(a.version) }),
      el('td', { title: a.startedAt ? 'started ' + fmtTime(a.startedAt) : null, text: fmtDuration(a.uptimeSeconds) }),
      el('td', { text: show(a.source) }),
      el('td', null, badge(a.status), a.connectedHere ? el('span', { class: 'muted', title: 'its ClusterClient is connected to this aggregator', text: ' here' }) : null))));
    if (agents.length === 0) $('agents').tBodies[0].append(el('tr', null, el('td', { colspan: 5, class: 'muted', text: 'no agents' })));
    $('agents-count').textContent = agents.length ? String(agents.length) : '';

    const self = $('self');
    self.textContent = c.self ? shortAddr(c.self) + (c.leader && c.leader === c.self ? ' \u2605' : '') : DASH;
    self.title = 'this aggregator: ' + show(c.self) + ' (' + show(c.selfStatus) + ')';
  }

  // ------------------------------------------------------------------ hosts
  const refreshHosts = coalesced('hosts', async () => {
    const hosts = await api('/api/hosts');
    S.hosts = Array.isArray(hosts) ? hosts : [];
    renderHosts(); renderSummary(); renderFeedFilters();
  }, 500);

  function renderHosts() {
    const tb = $('hosts').tBodies[0];
    tb.replaceChildren(...S.hosts.map((h) => {
      const st = h.stats || {};
      return el('tr', { 'data-host': h.host },
        el('td', { title: show(h.host) + (h.agentAddress ? ' · agent ' + h.agentAddress : ''), text: show(h.host) }),
        el('td', null, badge(h.status, h.statusReason || null)),
        el('td', { title: h.lastSeen ? fmtTime(h.lastSeen) : null, text: fmtAgo(h.lastSeen) }),
        el('td', { text: num(st.recordsPerSecond, 0) }),
        el('td', { text: num(st.eventsPerSecond, 0) }),
        el('td', { text: num(st.lost) }),
        el('td', { text: num(st.corrections) }),
        el('td', { text: num(st.backlog) }));
    }));
    if (S.hosts.length === 0) tb.append(el('tr', null, el('td', { colspan: 8, class: 'muted', text: 'no hosts yet' })));
    const up = S.hosts.filter((h) => h.status === 'up').length;
    $('hosts-count').textContent = S.hosts.length ? up + ' of ' + S.hosts.length + ' up' : '';
  }

  function renderSummary() {
    const procs = S.hosts.reduce((n, h) => n + (typeof h.processCount === 'number' ? h.processCount : 0), 0);
    $('summary').textContent = S.hosts.length + (S.hosts.length === 1 ? ' host · ' : ' hosts · ') +
      S.containers.length + (S.containers.length === 1 ? ' container · ' : ' containers · ') + procs.toLocaleString('en-US') + ' processes';
  }

  // ------------------------------------------------------------------ containers
  const refreshContainers = coalesced('containers', async () => {
    const list = await api('/api/containers');
    S.containers = Array.isArray(list) ? list : [];
    renderContainers(); renderSummary(); renderFeedFilters(); renderTreeHeader(); nameFeedRows();
  }, 300);

  function findContainer(host, id) {
    return S.containers.find((c) => c.host === host && c.id === id) || null;
  }

  function hostOrder() {
    const names = S.hosts.map((h) => h.host);
    for (const c of S.containers) if (c.host && !names.includes(c.host)) names.push(c.host);
    return names;
  }

  function renderContainers() {
    const f = $('container-filter').value.trim().toLowerCase();
    const tb = $('containers').tBodies[0];
    const rows = [];
    let shown = 0;
    for (const host of hostOrder()) {
      const h = S.hosts.find((x) => x.host === host) || {};
      const all = S.containers.filter((c) => c.host === host)
        .sort((a, b) => (cname(a.name) || a.id || '').localeCompare(cname(b.name) || b.id || ''));
      const hostMatches = f !== '' && host.toLowerCase().includes(f);
      const list = f === '' || hostMatches ? all : all.filter((c) =>
        [cname(c.name), c.image, c.state].some((v) => v && String(v).toLowerCase().includes(f)) || (c.id && c.id.startsWith(f)));
      if (f !== '' && list.length === 0 && !hostMatches) continue;
      const hostSel = S.sel && S.sel.host === host && !S.sel.id;
      rows.push(el('tr', { class: 'host-row' + (hostSel ? ' selected' : ''), 'data-host': host, title: 'show every process of ' + host,
        onclick: () => select(host, null) },
        el('td', { colspan: 4 }, host, ' ', badge(h.status), el('span', { class: 'muted', text:
          '  ' + all.length + (all.length === 1 ? ' container' : ' containers') + (typeof h.processCount === 'number' ? ' · ' + h.processCount + ' processes' : '') + ' · whole host \u203a' }))));
      for (const c of list) {
        shown++;
        const sel = S.sel && S.sel.host === host && S.sel.id === c.id;
        rows.push(el('tr', { class: 'ctr' + (sel ? ' selected' : ''), 'data-host': host, 'data-id': c.id, 'data-name': cname(c.name) || '',
          title: 'id ' + show(c.id) + (c.initPid ? ' · init pid ' + c.initPid : '') + (c.startedAt ? ' · started ' + fmtTime(c.startedAt) : ''),
          onclick: () => select(host, c.id) },
          el('td', { text: cname(c.name) || shortId(c.id) || DASH }),
          el('td', { text: show(c.image) }),
          el('td', null, el('span', { class: 'st-' + String(c.state || '').toLowerCase().replace(/[^a-z]/g, ''), text: show(c.state) })),
          el('td', { text: num(c.processCount) })));
      }
    }
    tb.replaceChildren(...rows);
    if (rows.length === 0) tb.append(el('tr', null, el('td', { colspan: 4, class: 'muted', text: f ? 'nothing matches' : 'no containers yet' })));
    $('containers-count').textContent = f ? shown + ' of ' + S.containers.length : String(S.containers.length);
  }

  // ------------------------------------------------------------------ selection
  function select(host, id) {
    const same = S.sel && S.sel.host === host && S.sel.id === id;
    if (same) return;
    S.sel = { host, id: id || null };
    S.collapsed.clear(); S.firstSeen.clear(); S.exitedSince.clear(); S.ghosts.clear(); S.lastShown.clear();
    S.treeInitial = true;
    if (S.treeFor !== host) { S.tree = null; S.treeFor = host; }
    S.treeError = null;
    try {
      const q = new URLSearchParams({ host });
      if (id) q.set('container', id);
      history.replaceState(history.state, '', location.pathname + location.search + '#' + q.toString());
    } catch (_) { /* ignore */ }
    renderContainers();
    renderTree();
    refreshTree(0);
  }

  function selectionFromHash() {
    const q = new URLSearchParams(location.hash.replace(/^#/, ''));
    const host = q.get('host');
    if (host) select(host, q.get('container'));
  }

  // ------------------------------------------------------------------ process tree
  const refreshTree = coalesced('tree', async () => {
    if (!S.sel) return;
    const host = S.sel.host;
    let doc;
    try {
      doc = await api('/api/hosts/' + encodeURIComponent(host) + '/tree?includeExited=true');
    } catch (e) {
      if (S.sel && S.sel.host === host) { S.treeError = e.message; renderTree(); }
      if (e.message !== '401') return; // shown in the tree card, not as a page error
      throw e;
    }
    if (!S.sel || S.sel.host !== host) return;
    S.tree = doc; S.treeFor = host; S.treeError = null;
    renderTree();
  }, 150);

  let fadeTimer = null;

  function renderTreeHeader() {
    const title = $('tree-title'), meta = $('tree-meta');
    if (!S.sel) { title.textContent = 'Process tree'; meta.textContent = ''; return; }
    if (!S.sel.id) { title.textContent = 'Host ' + S.sel.host; meta.textContent = 'every process on the host'; return; }
    const c = findContainer(S.sel.host, S.sel.id) ||
      (S.tree && Array.isArray(S.tree.containers) && S.tree.containers.find((x) => x.id === S.sel.id)) || null;
    title.textContent = 'Container ' + (c && cname(c.name) ? cname(c.name) : shortId(S.sel.id));
    meta.textContent = [c && c.image, shortId(S.sel.id), 'on ' + S.sel.host, c && c.state,
      c && c.initPid ? 'init ' + c.initPid : null, c && c.startedAt ? 'started ' + fmtTime(c.startedAt) : null]
      .filter(Boolean).join(' · ');
  }

  function renderTree() {
    renderTreeHeader();
    const tb = $('tree').tBodies[0];
    const empty = $('tree-empty');
    const sel = S.sel;
    if (!sel) { tb.replaceChildren(); empty.hidden = false; $('tree-count').textContent = ''; return; }
    if (!S.tree || S.treeFor !== sel.host) {
      tb.replaceChildren();
      empty.textContent = S.treeError ? 'Cannot load the tree of ' + sel.host + ': ' + S.treeError : 'Loading…';
      empty.hidden = false; $('tree-count').textContent = '';
      return;
    }
    const now = Date.now();
    const host = sel.host;
    const all = Array.isArray(S.tree.processes) ? S.tree.processes : [];
    const scope = sel.id ? all.filter((p) => p.container === sel.id) : all;
    const current = new Map(scope.map((p) => [keyOf(host, p), p]));

    // Exited processes (exitedAt set) fade for one second from when this page first saw them exited; a process
    // that vanished between two fetches fades from the moment it vanished.
    for (const [k, p] of current) if (p.exitedAt && !S.exitedSince.has(k)) S.exitedSince.set(k, now);
    if (!S.treeInitial) {
      for (const [k, p] of S.lastShown) {
        if (!current.has(k) && !S.ghosts.has(k)) {
          if (!S.exitedSince.has(k)) S.exitedSince.set(k, now);
          S.ghosts.set(k, Object.assign({}, p, { exitedAt: p.exitedAt || new Date(now).toISOString() }));
        }
      }
    }
    const procs = [];
    let nextExpiry = Infinity;
    for (const [k, p] of current) {
      if (!p.exitedAt) { procs.push(p); continue; }
      const left = FADE_MS - (now - S.exitedSince.get(k));
      if (left > 0) { procs.push(p); nextExpiry = Math.min(nextExpiry, left); }
    }
    for (const [k, p] of S.ghosts) {
      const left = FADE_MS - (now - (S.exitedSince.get(k) || now));
      if (current.has(k) || left <= 0) { S.ghosts.delete(k); if (!current.has(k)) S.exitedSince.delete(k); continue; }
      procs.push(p); nextExpiry = Math.min(nextExpiry, left);
    }
    for (const k of [...S.exitedSince.keys()]) if (!current.has(k) && !S.ghosts.has(k)) S.exitedSince.delete(k);
    clearTimeout(fadeTimer);
    if (nextExpiry !== Infinity) fadeTimer = setTimeout(renderTree, nextExpiry + 20);

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

    const names = new Map((S.tree.containers || []).map((c) => [c.id, cname(c.name) || shortId(c.id)]));
    const rows = [];
    const visited = new Set();
    const shownNow = new Map();
    const walk = (p, depth) => {
      const k = keyOf(host, p);
      if (visited.has(k)) return;
      visited.add(k);
      shownNow.set(k, p);
      const children = (byPid.get(p.pid) === p && kids.get(p.pid)) || [];
      const collapsed = S.collapsed.has(k);
      if (!S.firstSeen.has(k)) S.firstSeen.set(k, S.treeInitial ? 0 : now);
      rows.push(treeRow(p, k, depth, children.length, collapsed, now, names));
      if (collapsed) { for (const c of children) markShown(c); return; }
      for (const c of children) walk(c, depth + 1);
    };
    // processes under a collapsed node stay "shown" so they do not fade as if gone
    const markShown = (p) => {
      const k = keyOf(host, p);
      if (visited.has(k)) return;
      visited.add(k); shownNow.set(k, p);
      if (!S.firstSeen.has(k)) S.firstSeen.set(k, S.treeInitial ? 0 : now);
      for (const c of (byPid.get(p.pid) === p && kids.get(p.pid)) || []) markShown(c);
    };
    for (const r of roots) walk(r, 0);
    for (const p of procs) if (!visited.has(keyOf(host, p))) walk(p, 0); // cycles, if any

    tb.replaceChildren(...rows);
    S.lastShown = new Map([...shownNow].filter(([k]) => !S.ghosts.has(k)));
    for (const k of [...S.firstSeen.keys()]) if (!shownNow.has(k)) S.firstSeen.delete(k);
    S.treeInitial = false;

    const alive = procs.filter((p) => !p.exitedAt).length;
    $('tree-count').textContent = alive + (alive === 1 ? ' process' : ' processes') +
      (procs.length > alive ? ' (+' + (procs.length - alive) + ' exiting)' : '');
    if (procs.length === 0) {
      const known = !sel.id || findContainer(host, sel.id) || (S.tree.containers || []).some((c) => c.id === sel.id);
      empty.textContent = known ? 'No live processes.' : 'This container is gone.';
      empty.hidden = false;
    } else empty.hidden = true;
  }

  function treeRow(p, k, depth, nKids, collapsed, now, names) {
    const cls = [];
    if (p.exitedAt) cls.push('exited');
    const born = S.firstSeen.get(k) || 0;
    const fresh = born > 0 && now - born < FRESH_MS && !p.exitedAt;
    if (fresh) cls.push('fresh');
    if (!p.container) cls.push('host-proc');
    let style = null;
    if (p.exitedAt) style = 'animation-delay:-' + Math.min(FADE_MS, now - (S.exitedSince.get(k) || now)) + 'ms';
    else if (fresh) style = 'animation-delay:-' + (now - born) + 'ms';
    const toggle = nKids > 0
      ? el('button', { type: 'button', class: 'toggle', title: (collapsed ? 'expand' : 'collapse') + ' (' + nKids + ')', 'aria-label': collapsed ? 'expand' : 'collapse',
        onclick: (ev) => { ev.stopPropagation(); if (S.collapsed.has(k)) S.collapsed.delete(k); else S.collapsed.add(k); renderTree(); } },
      collapsed ? '\u25b8' : '\u25be')
      : el('span', { class: 'leaf', text: '\u00b7' });
    const argv = fmtArgv(p.argv);
    const tag = !S.sel.id && p.container
      ? el('span', { class: 'muted', text: ' [' + (names.get(p.container) || shortId(p.container)) + ']' }) : null;
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
      el('td', { text: fmtUser(p.uid) }),
      el('td', { title: p.startedAt || null, text: fmtTime(p.startedAt) }),
      el('td', { class: 'c-argv', title: argv || null, text: argv || show(p.exe) }));
  }

  function treeKeysWithKids() {
    const keys = [];
    if (!S.tree || !S.sel) return keys;
    const host = S.sel.host;
    const scope = (S.tree.processes || []).filter((p) => !S.sel.id || p.container === S.sel.id);
    const parents = new Set(scope.map((p) => p.ppid));
    const pids = new Set(scope.map((p) => p.pid));
    for (const p of scope) if (parents.has(p.pid) && !pids.has(p.ppid) ) keys.push(keyOf(host, p));
    return keys;
  }

  // ------------------------------------------------------------------ live feed
  function containerLabel(e) {
    if (!e.container) return 'host';
    const c = findContainer(e.host, e.container);
    return cname(e.containerName) || (c && cname(c.name)) || shortId(e.container);
  }

  function feedFilter() {
    const host = $('feed-host').value;
    const ctr = $('feed-container').value;
    const kinds = { exec: $('feed-exec').checked, exit: $('feed-exit').checked, ctr: $('feed-ctr').checked };
    return (e) => {
      if (host && e.host !== host) return false;
      if (ctr === '-') { if (e.container) return false; }
      else if (ctr) { const i = ctr.indexOf('|'); if (e.host !== ctr.slice(0, i) || e.container !== ctr.slice(i + 1)) return false; }
      if (e.kind === 'exec') return kinds.exec;
      if (e.kind === 'exit') return kinds.exit;
      return kinds.ctr;
    };
  }

  // Docker's name for a container can arrive a moment after its first events: rename rows drawn with the short id.
  function nameFeedRows() {
    for (const tr of $('feed').tBodies[0].rows) {
      const id = tr.dataset.container;
      if (!id) continue;
      const c = findContainer(tr.dataset.host, id);
      const td = tr.cells[2];
      if (c && cname(c.name) && td.textContent === shortId(id)) td.textContent = cname(c.name);
    }
  }

  function feedRow(e) {
    const argv = fmtArgv(e.argv);
    let detail = argv || show(e.exe);
    if (e.kind === 'container-start' || e.kind === 'container-stop') detail = [e.image, shortId(e.container)].filter(Boolean).join(' · ') || DASH;
    const label = e.kind === 'container-start' ? 'start' : e.kind === 'container-stop' ? 'stop' : e.kind;
    return el('tr', { class: 'ev-' + e.kind, 'data-t': e._t, 'data-kind': e.kind, 'data-host': e.host, 'data-container': e.container || '', 'data-pid': e.pid === undefined ? '' : e.pid },
      el('td', { title: e.at || null, text: fmtTime(e.at, true) }),
      el('td', { title: e.host || null, text: show(e.host) }),
      el('td', { title: e.container || 'a host process', text: containerLabel(e) }),
      el('td', null, el('span', { class: 'k k-' + e.kind, text: label })),
      el('td', { text: show(e.pid) }),
      el('td', { class: 'c-argv', title: (argv || '') + (e.uid !== undefined && e.uid !== null ? '  (uid ' + e.uid + ')' : '') || null, text: detail }));
  }

  function renderFeed() {
    const ok = feedFilter();
    const tb = $('feed').tBodies[0];
    const rows = [];
    for (let i = S.events.length - 1; i >= 0 && rows.length < MAX_FEED_ROWS; i--) if (ok(S.events[i])) rows.push(feedRow(S.events[i]));
    tb.replaceChildren(...rows);
    S.pendingFeed = [];
    feedCount();
  }

  let feedTimer = null;
  function flushFeed() {
    feedTimer = null;
    if ($('feed-pause').checked) return;
    const ok = feedFilter();
    const tb = $('feed').tBodies[0];
    const add = S.pendingFeed.filter(ok).sort((a, b) => a._t - b._t);
    S.pendingFeed = [];
    // Events come in per-host batches, not quite in time order: an older one than the newest row means a redraw.
    const top = tb.rows.length ? Number(tb.rows[0].dataset.t) : -Infinity;
    if (add.length && add[0]._t < top) { renderFeed(); return; }
    if (add.length) {
      const frag = document.createDocumentFragment();
      for (let i = add.length - 1; i >= 0 && i >= add.length - MAX_FEED_ROWS; i--) frag.append(feedRow(add[i]));
      tb.prepend(frag);
      while (tb.rows.length > MAX_FEED_ROWS) tb.lastElementChild.remove();
    }
    feedCount();
  }

  function feedCount() {
    const now = Date.now();
    while (S.eventTimes.length && now - S.eventTimes[0] > 10000) S.eventTimes.shift();
    const shown = $('feed').tBodies[0].rows.length;
    $('feed-empty').hidden = shown > 0;
    $('feed-count').textContent = shown + ' shown · ' + num(S.eventTimes.length / 10, 1) + '/s' + ($('feed-pause').checked ? ' · paused' : '');
  }

  function renderFeedFilters() {
    const hs = $('feed-host');
    const hv = hs.value;
    const hosts = hostOrder();
    if (hv && !hosts.includes(hv)) hosts.push(hv);
    hs.replaceChildren(el('option', { value: '', text: 'all hosts' }), ...hosts.map((h) => el('option', { value: h, text: h })));
    hs.value = hv;

    const cs = $('feed-container');
    const cv = cs.value;
    const prevLabel = cs.selectedOptions[0] ? cs.selectedOptions[0].textContent : cv;
    const opts = [el('option', { value: '', text: 'all containers' }), el('option', { value: '-', text: 'host processes only' })];
    const multi = hostOrder().length > 1;
    const list = S.containers.filter((c) => !hv || c.host === hv)
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

  // ------------------------------------------------------------------ live updates
  function onEvent(kind, data) {
    let e;
    try { e = JSON.parse(data); } catch (_) { return; }
    if (!e || typeof e !== 'object') return;
    e.kind = e.kind || kind || 'message';
    const sel = S.sel;
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
    if (FEED_KINDS.has(e.kind)) {
      // kept in event-time order
      const t = ms(e.at);
      e._t = t === null ? Date.now() : t;
      let i = S.events.length;
      while (i > 0 && S.events[i - 1]._t > e._t) i--;
      S.events.splice(i, 0, e);
      if (S.events.length > MAX_EVENTS) S.events.splice(0, S.events.length - MAX_EVENTS);
      S.eventTimes.push(Date.now());
      S.pendingFeed.push(e);
      if (!feedTimer) feedTimer = setTimeout(flushFeed, 40);
    }
  }

  function setLive(state, text) {
    const l = $('live');
    l.dataset.state = state;
    l.querySelector('.label').textContent = text || state;
  }

  let es = null;
  function connect() {
    if (S.authFailed) return;
    const url = '/api/events' + (token ? '?token=' + encodeURIComponent(token) : '');
    try { es = new EventSource(url); } catch (e) { setLive('down', 'no event stream'); return; }
    setLive('connecting', 'connecting');
    es.onopen = () => { setLive('live', 'live'); refreshAll(); };
    es.onerror = () => {
      if (!es) return;
      if (es.readyState === EventSource.CLOSED) {
        es.close(); es = null;
        setLive('down', 'disconnected');
        // The stream was refused (e.g. a 401 or the aggregator is gone): check with a plain request, retry later.
        refreshHosts(0);
        setTimeout(connect, 3000);
      } else setLive('connecting', 'reconnecting');
    };
    for (const k of SSE_KINDS) es.addEventListener(k, (m) => onEvent(k, m.data));
    es.onmessage = (m) => onEvent(null, m.data);
  }

  function refreshAll() {
    refreshCluster(0); refreshHosts(0); refreshContainers(0);
    if (S.sel) refreshTree(0);
  }

  // ------------------------------------------------------------------ wiring
  $('container-filter').addEventListener('input', renderContainers);
  $('container-filter').addEventListener('keydown', (ev) => { if (ev.key === 'Escape') { ev.target.value = ''; renderContainers(); } });
  $('expand-all').addEventListener('click', () => { S.collapsed.clear(); renderTree(); });
  $('collapse-all').addEventListener('click', () => { S.collapsed = new Set(treeKeysWithKids()); renderTree(); });
  $('feed-host').addEventListener('change', () => { renderFeedFilters(); renderFeed(); });
  for (const id of ['feed-container', 'feed-exec', 'feed-exit', 'feed-ctr']) $(id).addEventListener('change', renderFeed);
  $('feed-pause').addEventListener('change', () => { if (!$('feed-pause').checked) renderFeed(); else feedCount(); });
  $('feed-clear').addEventListener('click', () => { S.events = []; S.pendingFeed = []; renderFeed(); });
  window.addEventListener('hashchange', selectionFromHash);

  renderCluster(); renderHosts(); renderContainers(); renderTree(); renderFeed();
  selectionFromHash();
  refreshAll();
  connect();
  setInterval(() => { refreshHosts(0); refreshCluster(0); }, 2000);
  setInterval(() => refreshContainers(0), 5000);
  setInterval(() => { if (S.sel) refreshTree(0); }, 5000);
  setInterval(() => { renderHosts(); feedCount(); }, 1000);
  // expose a little for the browser tests and for curious people in the console
  window.godo = { state: S, refreshAll };
})();
