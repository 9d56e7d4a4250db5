// The edge panel and the workload page: what the policy engine decided for the workload an edge reaches
// (the PeerAuthentication behind its mTLS mode per port, the DestinationRules behind its clients' TLS),
// the principals on the edge, and the certificate the CA last issued the workload.
'use strict';

const details = document.getElementById('details');

function workloadOf(id) {
  const match = /^workload:([^/]+)\/(.+)$/.exec(id || '');
  return match ? { namespace: match[1], name: match[2] } : null;
}

async function fetchWorkload(id) {
  const workload = workloadOf(id);
  if (!workload) return null;
  const response = await fetch(`api/workload?${new URLSearchParams(workload)}`, { credentials: 'same-origin' });
  return response.ok ? response.json() : null;
}

function row(table, name, value, key) {
  const tr = document.createElement('tr');
  if (key) tr.dataset.key = key;
  const th = document.createElement('th');
  th.textContent = name;
  const td = document.createElement('td');
  td.textContent = value;
  tr.append(th, td);
  table.append(tr);
}

function show(title, fill) {
  const heading = document.createElement('h2');
  heading.textContent = title;
  const table = document.createElement('table');
  fill(table);
  details.replaceChildren(heading, table);
  details.hidden = false;
}

function tlsRows(table, view) {
  row(table, 'mTLS mode', `${view.mode} — decided by ${view.decidedBy}`, 'decided-by');
  for (const port of view.ports) row(table, `port ${port.port}`, `${port.mode} — ${port.decidedBy}`, `port-${port.port}`);
  if (view.destinationRules.length === 0) row(table, 'client TLS', 'auto mTLS (no DestinationRule)', 'destination-rule');
  for (const rule of view.destinationRules) {
    row(table, 'client TLS', `DestinationRule ${rule.name} (port ${rule.servicePort}): ${rule.tlsMode ?? 'no tls set, auto mTLS'}`, 'destination-rule');
  }
}

// Edge panel. For an edge into a service, the workload is the one the service's edge reaches.
async function showEdge(edge, graph) {
  const target = edge.target.startsWith('service:')
    ? (graph.edges.find((e) => e.source === edge.target && !e.refused) || {}).target
    : edge.target;
  const [server, client] = await Promise.all([fetchWorkload(target), fetchWorkload(edge.source)]);
  show(`${edge.source} → ${edge.target}`, (table) => {
    if (edge.refused) {
      row(table, 'refused', `${edge.refusedPerSecond.toFixed(3)} conn/s from ${edge.sourceAddress} (${edge.refusedReason})`, 'refused');
    } else {
      row(table, 'security', edge.padlock ? `mTLS on ${(edge.mtlsRatio * 100).toFixed(0)}% of requests` : 'plaintext', 'security');
    }
    row(table, 'source principal', client ? client.spiffeId : edge.padlock ? 'a mesh identity' : 'unknown (no client certificate)', 'source-principal');
    row(table, 'destination principal', server ? server.spiffeId : 'unknown', 'destination-principal');
    if (server) tlsRows(table, server);
  });
}

// Workload page: identity, certificate, mode per port.
async function showWorkload(id) {
  const view = await fetchWorkload(id);
  if (!view) return;
  show(`${view.name}.${view.namespace}`, (table) => {
    row(table, 'sidecar', view.sidecar ? 'yes' : 'no', 'sidecar');
    row(table, 'SPIFFE ID', view.spiffeId || '—', 'spiffe-id');
    const cert = view.certificate;
    row(table, 'certificate issuer', cert ? cert.issuer : 'none issued by this control plane yet', 'issuer');
    if (cert) row(table, 'certificate expiry', new Date(cert.notAfter).toISOString(), 'expiry');
    tlsRows(table, view);
  });
}

window.meshworkDetails = { showEdge, showWorkload };
