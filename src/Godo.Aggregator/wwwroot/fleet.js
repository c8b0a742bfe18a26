// The fleet's cards: cluster members and agents, hosts with their agents' figures, containers grouped by host, and the
// summary line. Each draws the data it is given into the page's tables; none fetches or keeps state.
import { DASH, byId, el, show, num, badge, cname, shortId, shortAddr, fmtTime, fmtAgo, fmtDuration } from './format.js';

/** Hosts in the order of GET /api/hosts, then any that only containers name. */
export function hostNames(hosts, containers) {
  const names = hosts.map((h) => h.host);
  for (const c of containers) if (c.host && !names.includes(c.host)) names.push(c.host);
  return names;
}

export function findContainer(containers, host, id) {
  return containers.find((c) => c.host === host && c.id === id) || null;
}

/** The cluster card from GET /api/cluster (or null), and "this aggregator" in the header. */
export function drawCluster(cluster) {
  const c = cluster || {};
  const members = Array.isArray(c.members) ? c.members : [];
  const memberBody = byId('members').tBodies[0];
  memberBody.replaceChildren(...members.map((m) => {
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
  if (members.length === 0) memberBody.append(el('tr', null, el('td', { colspan: 5, class: 'muted', text: 'no members' })));
  byId('cluster-count').textContent = members.length ? members.length + (members.length === 1 ? ' member' : ' members') : '';

  const agents = Array.isArray(c.agents) ? c.agents : [];
  const agentBody = byId('agents').tBodies[0];
  agentBody.replaceChildren(...agents.map((a) => el('tr', { 'data-host': a.host },
    el('td', { title: show(a.address), text: show(a.host) }),
    el('td', { text: show(a.version) }),
    el('td', { title: a.startedAt ? 'started ' + fmtTime(a.startedAt) : null, text: fmtDuration(a.uptimeSeconds) }),
    el('td', { text: show(a.source) }),
    el('td', null, badge(a.status), a.connectedHere ? el('span', { class: 'muted', title: 'its ClusterClient is connected to this aggregator', text: ' here' }) : null))));
  if (agents.length === 0) agentBody.append(el('tr', null, el('td', { colspan: 5, class: 'muted', text: 'no agents' })));
  byId('agents-count').textContent = agents.length ? String(agents.length) : '';

  const self = byId('self');
  self.textContent = c.self ? shortAddr(c.self) + (c.leader && c.leader === c.self ? ' \u2605' : '') : DASH;
  self.title = 'this aggregator: ' + show(c.self) + ' (' + show(c.selfStatus) + ')';
}

/** Another agent claims this host and is refused (a cloned machine, or an impostor): the holder keeps it. */
function conflictBadge(c) {
  const title = 'refused ' + c.refused + ' message(s) from ' + (c.agentAddress || 'another agent') + ': ' + c.reason +
    ' (since ' + fmtTime(c.firstSeen) + ')';
  return badge('conflict', title);
}

/** The hosts card from GET /api/hosts; "seen" is relative, so it is drawn again every second. */
export function drawHosts(hosts) {
  const tb = byId('hosts').tBodies[0];
  tb.replaceChildren(...hosts.map((h) => {
    const st = h.stats || {};
    return el('tr', { 'data-host': h.host },
      el('td', { title: show(h.host) + (h.agentAddress ? ' · agent ' + h.agentAddress : ''), text: show(h.host) }),
      el('td', null, badge(h.status, h.statusReason || null), h.conflict ? ' ' : null, h.conflict ? conflictBadge(h.conflict) : null),
      el('td', { title: h.lastSeen ? fmtTime(h.lastSeen) : null, text: fmtAgo(h.lastSeen) }),
      el('td', { text: num(st.recordsPerSecond, 0) }),
      el('td', { text: num(st.eventsPerSecond, 0) }),
      el('td', { text: num(st.lost) }),
      el('td', { text: num(st.corrections) }),
      el('td', { text: num(st.backlog) }));
  }));
  if (hosts.length === 0) tb.append(el('tr', null, el('td', { colspan: 8, class: 'muted', text: 'no hosts yet' })));
  const up = hosts.filter((h) => h.status === 'up').length;
  byId('hosts-count').textContent = hosts.length ? up + ' of ' + hosts.length + ' up' : '';
}

export function drawSummary(hosts, containers) {
  const procs = hosts.reduce((n, h) => n + (typeof h.processCount === 'number' ? h.processCount : 0), 0);
  byId('summary').textContent = hosts.length + (hosts.length === 1 ? ' host · ' : ' hosts · ') +
    containers.length + (containers.length === 1 ? ' container · ' : ' containers · ') + procs.toLocaleString('en-US') + ' processes';
}

/**
 * The containers card: per host a row for the whole host, then its containers by name, narrowed by the filter box
 * (name, image, state, id prefix; a matching host keeps all of its containers). sel is marked; onSelect(host, id) is
 * called on a click (id null: the whole host).
 */
export function drawContainers(hosts, containers, sel, onSelect) {
  const f = byId('container-filter').value.trim().toLowerCase();
  const tb = byId('containers').tBodies[0];
  const rows = [];
  let shown = 0;
  for (const host of hostNames(hosts, containers)) {
    const h = hosts.find((x) => x.host === host) || {};
    const all = containers.filter((c) => c.host === host)
      .sort((a, b) => (cname(a.name) || a.id || '').localeCompare(cname(b.name) || b.id || ''));
    const hostMatches = f !== '' && host.toLowerCase().includes(f);
    const list = f === '' || hostMatches ? all : all.filter((c) =>
      [cname(c.name), c.image, c.state].some((v) => v && String(v).toLowerCase().includes(f)) || (c.id && c.id.startsWith(f)));
    if (f !== '' && list.length === 0 && !hostMatches) continue;
    const hostSel = sel && sel.host === host && !sel.id;
    rows.push(el('tr', { class: 'host-row' + (hostSel ? ' selected' : ''), 'data-host': host, title: 'show every process of ' + host,
      onclick: () => onSelect(host, null) },
      el('td', { colspan: 4 }, host, ' ', badge(h.status), el('span', { class: 'muted', text:
        '  ' + all.length + (all.length === 1 ? ' container' : ' containers') + (typeof h.processCount === 'number' ? ' · ' + h.processCount + ' processes' : '') + ' · whole host \u203a' }))));
    for (const c of list) {
      shown++;
      const selected = sel && sel.host === host && sel.id === c.id;
      rows.push(el('tr', { class: 'ctr' + (selected ? ' selected' : ''), 'data-host': host, 'data-id': c.id, 'data-name': cname(c.name) || '',
        title: 'id ' + show(c.id) + (c.initPid ? ' · init pid ' + c.initPid : '') + (c.startedAt ? ' · started ' + fmtTime(c.startedAt) : ''),
        onclick: () => onSelect(host, c.id) },
        el('td', { text: cname(c.name) || shortId(c.id) || DASH }),
        el('td', { text: show(c.image) }),
        el('td', null, el('span', { class: 'st-' + String(c.state || '').toLowerCase().replace(/[^a-z]/g, ''), text: show(c.state) })),
        el('td', { text: num(c.processCount) })));
    }
  }
  tb.replaceChildren(...rows);
  if (rows.length === 0) tb.append(el('tr', null, el('td', { colspan: 4, class: 'muted', text: f ? 'nothing matches' : 'no containers yet' })));
  byId('containers-count').textContent = f ? shown + ' of ' + containers.length : String(containers.length);
}
