// The aggregator's HTTP API as the page uses it: JSON GETs and the Server-Sent Events of GET /api/events.
// The token: ?token=T once in the URL is kept in sessionStorage (this tab only), removed from the address bar, and sent
// as a bearer header on fetch and as ?token= on the event stream (EventSource cannot set headers). The page's own
// files need no header: the server answers ?token= with a cookie, which same-origin module loads carry.

const EVENT_KINDS = ['exec', 'exit', 'container-start', 'container-stop', 'host-up', 'host-stale', 'host-down', 'host-removed', 'dropped', 'overflow'];
const RETRY_MS = 3000;

const token = takeToken();
let refused = false;
const refusedListeners = [];

function takeToken() {
  try {
    const url = new URL(location.href);
    const t = url.searchParams.get('token');
    if (t) {
      sessionStorage.setItem('godo.token', t);
      url.searchParams.delete('token');
      history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    }
    return sessionStorage.getItem('godo.token');
  } catch (_) { return null; /* storage disabled: the server's cookie still works */ }
}

/** A 401: the aggregator wants its token, and asking again will not help. */
export class Unauthorized extends Error {
  constructor() { super('401'); this.name = 'Unauthorized'; }
}

/** True once a request was refused for want of the token: from then on the page stops asking. */
export const isRefused = () => refused;

/** fn() runs once, on the first refused request. */
export function onRefused(fn) { refusedListeners.push(fn); }

function refuse() {
  if (refused) return;
  refused = true;
  for (const fn of refusedListeners) fn();
}

/** GET path as JSON; throws Unauthorized on a 401, and an Error with the server's message on any other failure. */
export async function getJson(path) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const r = await fetch(path, { headers, cache: 'no-store', credentials: 'same-origin' });
  if (r.status === 401) { refuse(); throw new Unauthorized(); }
  if (!r.ok) {
    let msg = r.status + ' ' + r.statusText;
    try { const j = await r.json(); if (j && j.error) msg = j.error; } catch (_) { /* not JSON */ }
    throw new Error(msg);
  }
  return r.json();
}

/**
 * Follows the event stream. onEvent(e) gets each event as an object with its kind; onState(state, text) the stream's
 * state (connecting, live, down); onOpen() runs on every (re)connection, since events missed meanwhile are only caught
 * up by fetching again. EventSource retries a dropped stream by itself; one the server refused or closed (a 401, the
 * aggregator gone) is retried every few seconds after onClosed(), until a request is refused for want of the token.
 */
export function followEvents({ onEvent, onState, onOpen, onClosed }) {
  let es = null;
  const deliver = (kind, data) => {
    let e;
    try { e = JSON.parse(data); } catch (_) { return; }
    if (!e || typeof e !== 'object') return;
    e.kind = e.kind || kind || 'message';
    onEvent(e);
  };
  const connect = () => {
    if (refused) return;
    const url = '/api/events' + (token ? '?token=' + encodeURIComponent(token) : '');
    try { es = new EventSource(url); } catch (_) { onState('down', 'no event stream'); return; }
    onState('connecting', 'connecting');
    es.onopen = () => { onState('live', 'live'); onOpen(); };
    es.onerror = () => {
      if (!es) return;
      if (es.readyState === EventSource.CLOSED) {
        es.close(); es = null;
        onState('down', 'disconnected');
        onClosed();
        setTimeout(connect, RETRY_MS);
      } else onState('connecting', 'reconnecting');
    };
    for (const k of EVENT_KINDS) es.addEventListener(k, (m) => deliver(k, m.data));
    es.onmessage = (m) => deliver(null, m.data);
  };
  connect();
}
