// The page's memory of the past (issue 11): the time control's moments, the search of processes over a window
// (GET /api/processes?from=&to=, exited ones included) and a process's lineage (GET /api/hosts/{h}/processes/{pid}?at=).
// Pure drawing and conversions: main.js fetches and keeps the state. Every value goes in as text.
import { DASH, byId, el, show, fmtArgv, fmtUser, cname, shortId, ms } from './format.js';

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** ms since the epoch as a datetime-local input's value (local time, to the millisecond). */
export function toLocalInput(t) {
  const d = new Date(t);
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' +
    pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
}

/** A datetime-local input's value (local time) as ms since the epoch, or null when empty or bad. */
export function fromLocalInput(value) {
  if (!value) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(value);
  if (!m) return null;
  const t = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0), +((m[7] || '0') + '00').slice(0, 3)).getTime();
  return isNaN(t) ? null : t;
}

/** A moment as the API and the URL take it: RFC 3339 in UTC. */
export const toQuery = (t) => new Date(t).toISOString();

/** A moment as the page shows it: local date and time to the millisecond. */
export function fmtMoment(t) {
  if (t === null || t === undefined) return DASH;
  return toLocalInput(t).replace('T', ' ');
}

/** How a process ended: "code 1", "SIGKILL", "?" when its exit was seen without either; "" while it lives. */
const SIGNALS = ['', 'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM',
  'STKFLT', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO', 'PWR', 'SYS'];
export function fmtExit(life) {
  if (typeof life.signal === 'number') return life.signal > 0 && life.signal < SIGNALS.length ? 'SIG' + SIGNALS[life.signal] : 'signal ' + life.signal;
  if (typeof life.exitCode === 'number') return 'code ' + life.exitCode;
  return life.process && life.process.exitedAt ? '?' : '';
}

/**
 * The search's results (ProcessLife[]) as rows; onPick(life) when one is clicked (its lineage). Returns the count's
 * text.
 */
export function drawSearch(lives, onPick) {
  const tb = byId('search').tBodies[0];
  tb.replaceChildren(...lives.map((l) => {
    const p = l.process || {};
    const argv = fmtArgv(p.argv);
    return el('tr', {
      class: p.exitedAt ? 'past' : null, tabindex: 0, 'data-host': l.host, 'data-pid': p.pid,
      'data-exited': p.exitedAt ? 'true' : null, title: 'exe ' + show(p.exe) + ' · cwd ' + show(p.cwd) + ' · ppid ' + show(p.ppid) + ' — click for its lineage',
      onclick: () => onPick(l), onkeydown: (ev) => { if (ev.key === 'Enter') onPick(l); },
    },
    el('td', { text: show(l.host) }),
    el('td', { text: show(p.pid) }),
    el('td', { title: p.container || null, text: show(cname(l.containerName) || shortId(p.container)) }),
    el('td', { text: fmtUser(p.uid, p.user) }),
    el('td', { title: p.startedAt || null, text: fmtMoment(ms(p.startedAt)) }),
    el('td', { title: p.exitedAt || null, text: p.exitedAt ? fmtMoment(ms(p.exitedAt)) : 'running' }),
    el('td', { text: fmtExit(l) || DASH }),
    el('td', { class: 'c-argv', title: argv }, argv || '[' + show(p.comm) + ']'));
  }));
  return lives.length + (lives.length === 1 ? ' process' : ' processes');
}

/** A lineage (ProcessLineage): pid 1 first, down to the process, indented; onTree() shows the host's tree at that moment. */
export function drawLineage(lineage, onTree) {
  const box = byId('lineage');
  const chain = [...(lineage.ancestors || [])].reverse().concat([lineage.process || {}]);
  box.replaceChildren(
    el('div', { class: 'lineage-head' },
      el('strong', { text: 'Lineage of ' + show((lineage.process || {}).pid) }),
      ' on ' + show(lineage.host) + ' as of ' + fmtMoment(ms(lineage.at)) + ' ',
      el('button', { type: 'button', id: 'lineage-tree', onclick: onTree, text: 'tree then' })),
    el('ol', { class: 'lineage-chain' }, ...chain.map((p, i) => el('li', {
      'data-pid': p.pid, style: 'padding-left:' + i * 14 + 'px',
      title: 'exe ' + show(p.exe) + ' · started ' + fmtMoment(ms(p.startedAt)) + (p.exitedAt ? ' · exited ' + fmtMoment(ms(p.exitedAt)) : ''),
    }, i > 0 ? '\u2514\u2500 ' : '', el('strong', { text: show(p.pid) }), ' ', fmtArgv(p.argv) || '[' + show(p.comm) + ']',
    p.container && (i === 0 || chain[i - 1].container !== p.container) ? el('span', { class: 'muted', text: ' [' + shortId(p.container) + ']' }) : null))));
  box.hidden = false;
}
