// Values as the page shows them, and the elements that show them. Every field may be missing: the page shows "–"
// rather than failing.
export const DASH = '\u2013';

export const byId = (id) => document.getElementById(id);

/** An element with props (class, text, style, on<event> handlers, attributes) and children; null children are skipped. */
export function el(tag, props, ...kids) {
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

export const show = (v) => (v === null || v === undefined || v === '' ? DASH : String(v));
export const num = (v, digits = 0) => (typeof v === 'number' && isFinite(v)
  ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }) : DASH);
const pad = (n, w = 2) => String(n).padStart(w, '0');
/** Docker reports names with a leading slash. */
export const cname = (n) => (n ? String(n).replace(/^\//, '') : null);
export const shortId = (id) => (id ? String(id).slice(0, 12) : null);
export const shortAddr = (a) => (a ? String(a).replace(/^akka(\.tcp)?:\/\//, '') : null);
/** Milliseconds since the epoch of an ISO time, or null. */
export const ms = (iso) => { const t = iso ? Date.parse(iso) : NaN; return isNaN(t) ? null : t; };

/** Local time of day; the date too when it is not today. */
export function fmtTime(iso, withMs) {
  const t = ms(iso); if (t === null) return DASH;
  const d = new Date(t), now = new Date();
  let s = pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  if (withMs) s += '.' + pad(d.getMilliseconds(), 3);
  if (d.toDateString() !== now.toDateString()) s = (d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + s;
  return s;
}

export function fmtDuration(sec) {
  if (typeof sec !== 'number' || !isFinite(sec)) return DASH;
  sec = Math.max(0, Math.floor(sec));
  if (sec < 60) return sec + 's';
  if (sec < 3600) return Math.floor(sec / 60) + 'm ' + pad(sec % 60) + 's';
  if (sec < 86400) return Math.floor(sec / 3600) + 'h ' + pad(Math.floor(sec / 60) % 60) + 'm';
  return Math.floor(sec / 86400) + 'd ' + Math.floor(sec / 3600) % 24 + 'h';
}

export function fmtAgo(iso) {
  const t = ms(iso); if (t === null) return DASH;
  const s = (Date.now() - t) / 1000;
  return s < 1 ? 'now' : fmtDuration(s) + ' ago';
}

/** argv as a shell would read it back: arguments with blanks or quotes are quoted. */
export function fmtArgv(argv) {
  if (!Array.isArray(argv) || argv.length === 0) return null;
  return argv.map((a) => (a === '' || /[\s"'\\]/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

/** uid and, when the host's agent knows it, the user's name. */
export function fmtUser(uid, user) {
  if (uid === null || uid === undefined) return DASH;
  if (user) return uid + ' ' + user;
  return uid === 0 ? '0 root' : String(uid);
}

/** A status (up, stale, down, reachable, ...) as a coloured badge. */
export function badge(status, title) {
  if (!status) return DASH;
  const s = String(status).toLowerCase();
  return el('span', { class: 'badge st-' + s.replace(/[^a-z]/g, ''), title: title || null, text: s });
}
