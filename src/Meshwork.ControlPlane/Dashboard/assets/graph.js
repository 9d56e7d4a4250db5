// The traffic graph: nodes for workloads, services and the unknown caller; edges with request
// rate, 5xx share, and a padlock where the requests used mutual TLS (as Kiali's Security display).
// Beyond Kiali: connections a sidecar refused before HTTP (a plaintext caller of a STRICT port, say)
// are a refused edge from the unknown node, with the caller's address: who is still knocking.
'use strict';

const REFRESH_MS = 5000;
const namespaceSelect = document.getElementById('namespace');
const windowSelect = document.getElementById('window');
const knownNamespaces = new Set();

const cy = cytoscape({
  container: document.getElementById('graph'),
  style: [
    { selector: 'node', style: { label: 'data(label)', 'font-size': 11, 'text-valign': 'bottom', 'text-margin-y': 4, 'background-color': '#2563eb' } },
    { selector: 'node[kind = "service"]', style: { shape: 'triangle', 'background-color': '#7c3aed' } },
    { selector: 'node[kind = "unknown"]', style: { shape: 'diamond', 'background-color': '#6b7280' } },
    { selector: 'edge', style: {
      label: 'data(label)', 'font-size': 11, width: 2, 'curve-style': 'bezier', 'target-arrow-shape': 'triangle',
      'text-background-color': '#fff', 'text-background-opacity': 0.9, 'text-background-padding': 2 } },
    { selector: 'edge[?padlock]', style: { 'line-color': '#15803d', 'target-arrow-color': '#15803d', color: '#15803d' } },
    { selector: 'edge[!padlock]', style: { 'line-color': '#dc2626', 'target-arrow-color': '#dc2626', 'line-style': 'dashed', color: '#b91c1c' } },
    { selector: 'edge[?refused]', style: {
      'line-color': '#ea580c', 'target-arrow-color': '#ea580c', 'target-arrow-shape': 'tee', 'line-style': 'dotted', width: 3, color: '#c2410c' } },
  ],
});
window.meshworkGraph = cy;
let current = { nodes: [], edges: [] };
cy.on('tap', 'edge', (event) => window.meshworkDetails.showEdge(current.edges[event.target.data('index')], current));
cy.on('tap', 'node[kind = "workload"]', (event) => window.meshworkDetails.showWorkload(event.target.id()));

function rate(value) {
  return value >= 10 ? value.toFixed(0) : value >= 0.1 ? value.toFixed(2) : value.toFixed(3);
}

function edgeLabel(edge) {
  if (edge.refused) return `⛔ refused ${edge.sourceAddress} ${rate(edge.refusedPerSecond)}/s (${edge.refusedReason})`;
  const errors = edge.errorRatio > 0 ? ` ${(edge.errorRatio * 100).toFixed(0)}% err` : '';
  // The word stays readable where no font has the padlock glyph.
  return `${edge.padlock ? '🔒 mTLS ' : ''}${rate(edge.requestsPerSecond)} rps${errors}`;
}

function render(graph) {
  current = graph;
  const names = new Map(graph.nodes.map((n) => [n.id, n.namespace ? `${n.name}.${n.namespace}` : n.name]));
  const rowNames = new Map(graph.nodes.map((n) => [n.id, n.kind === 'service' ? `${names.get(n.id)} (service)` : names.get(n.id)]));
  for (const node of graph.nodes) {
    if (node.namespace && !knownNamespaces.has(node.namespace)) {
      knownNamespaces.add(node.namespace);
      namespaceSelect.add(new Option(node.namespace, node.namespace));
    }
  }
  cy.elements().remove();
  cy.add(graph.nodes.map((n) => ({ group: 'nodes', data: { id: n.id, kind: n.kind, label: names.get(n.id) } })));
  cy.add(graph.edges.map((e, i) => ({
    group: 'edges',
    data: { id: `e${i}`, index: i, source: e.source, target: e.target, padlock: e.padlock, refused: e.refused, label: edgeLabel(e) },
  })));
  cy.layout({ name: 'breadthfirst', directed: true, spacingFactor: 1.3, padding: 30 }).run();

  const rows = document.querySelector('#edges tbody');
  rows.replaceChildren(...graph.edges.map((e) => {
    const row = document.createElement('tr');
    row.addEventListener('click', () => window.meshworkDetails.showEdge(e, current));
    row.dataset.source = e.source;
    row.dataset.target = e.target;
    row.dataset.padlock = String(e.padlock);
    row.dataset.refused = String(e.refused);
    if (e.refused) row.dataset.address = e.sourceAddress;
    const cells = e.refused
      ? [`${rowNames.get(e.source)} (${e.sourceAddress})`, rowNames.get(e.target), `${rate(e.refusedPerSecond)} conn/s`, '—', `⛔ refused: ${e.refusedReason}`]
      : [rowNames.get(e.source), rowNames.get(e.target), rate(e.requestsPerSecond),
        `${(e.errorRatio * 100).toFixed(0)}%`, e.padlock ? `🔒 mTLS ${(e.mtlsRatio * 100).toFixed(0)}%` : 'plaintext'];
    for (const text of cells) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  }));

  const badge = document.getElementById('mtls-badge');
  // Refused connections carried no traffic: the mesh-wide state is that of the edges that did.
  const traffic = graph.edges.filter((e) => !e.refused);
  const locked = traffic.filter((e) => e.padlock).length;
  const state = traffic.length === 0 ? 'none' : locked === traffic.length ? 'full' : locked > 0 ? 'partial' : 'off';
  badge.dataset.state = state;
  badge.textContent = { none: 'mTLS: no traffic yet', full: 'mTLS: all traffic', partial: 'mTLS: partial', off: 'mTLS: none' }[state];
  document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()} from ${graph.source}`;
  document.body.dataset.edges = String(graph.edges.length);
}

async function refresh() {
  const query = new URLSearchParams({ window: windowSelect.value });
  if (namespaceSelect.value) query.set('namespace', namespaceSelect.value);
  try {
    const response = await fetch(`api/graph?${query}`, { credentials: 'same-origin' });
    if (response.ok) render(await response.json());
    else document.getElementById('updated').textContent = `error ${response.status}`;
  } catch (e) {
    document.getElementById('updated').textContent = `error: ${e.message}`;
  }
}

namespaceSelect.addEventListener('change', refresh);
windowSelect.addEventListener('change', refresh);
refresh();
setInterval(refresh, REFRESH_MS);
