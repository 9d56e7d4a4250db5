// The traffic graph: nodes for workloads, services and the unknown caller; edges with request
// rate, 5xx share, and a padlock where the requests used mutual TLS (as Kiali's Security display).
// Beyond Kiali: connections a sidecar refused before HTTP (a plaintext caller of a STRICT port, say)
// are a refused edge from the unknown node, with the caller's address: who is still knocking.
//
// A refresh changes only what changed: elements and table rows are keyed by edge, a label or a cell
// is written only when its text differs, and the layout runs only when the set of nodes changes.
'use strict';

const REFRESH_MS = 5000;
const namespaceSelect = document.getElementById('namespace');
const windowSelect = document.getElementById('window');
const knownNamespaces = new Set();

const cy = cytoscape({
  container: document.getElementById('graph'),
  // Edges are redrawn from a texture while the user pans or zooms, not one by one.
  textureOnViewport: true,
  hideEdgesOnViewport: true,
  style: [
    { selector: 'node', style: {
      label: 'data(label)', 'font-size': 11, 'text-valign': 'bottom', 'text-margin-y': 4, 'background-color': '#2563eb',
      'min-zoomed-font-size': 6 } },
    { selector: 'node[kind = "service"]', style: { shape: 'triangle', 'background-color': '#7c3aed' } },
    { selector: 'node[kind = "unknown"]', style: { shape: 'diamond', 'background-color': '#6b7280' } },
    // Straight edges: bezier bundling costs a pass over every parallel pair.
    { selector: 'edge', style: {
      'font-size': 11, width: 2, 'curve-style': 'straight', 'target-arrow-shape': 'triangle',
      'text-background-color': '#fff', 'text-background-opacity': 0.9, 'text-background-padding': 2 } },
    { selector: 'edge.labelled', style: { label: 'data(label)' } },
    { selector: 'edge[?padlock]', style: { 'line-color': '#15803d', 'target-arrow-color': '#15803d', color: '#15803d' } },
    { selector: 'edge[!padlock]', style: { 'line-color': '#dc2626', 'target-arrow-color': '#dc2626', 'line-style': 'dashed', color: '#b91c1c' } },
    // A refused edge skips the service rank: it bows, so that it never runs over the edges through the service.
    { selector: 'edge[?refused]', style: {
      'line-color': '#ea580c', 'target-arrow-color': '#ea580c', 'target-arrow-shape': 'tee', 'line-style': 'dotted', width: 3, color: '#c2410c',
      'curve-style': 'unbundled-bezier', 'control-point-distances': -60, 'control-point-weights': 0.5 } },
  ],
});
window.meshworkGraph = cy;
let current = { nodes: [], edges: [], byId: new Map() };
cy.on('tap', 'edge', (event) => window.meshworkDetails.showEdge(current.byId.get(event.target.id()), current));
cy.on('tap', 'node[kind = "workload"]', (event) => window.meshworkDetails.showWorkload(event.target.id()));

// Edge labels are styled only while they are readable (11 px text at least 8 px on screen): a label, drawn
// or not, is measured for every edge, and a thousand of them too small to read cost a load its first second.
const LABEL_ZOOM = 8 / 11;
let labelsShown = false;
function labelWhenReadable() {
  if ((cy.zoom() >= LABEL_ZOOM) === labelsShown) return;
  labelsShown = !labelsShown;
  cy.edges().toggleClass('labelled', labelsShown);
}
cy.on('zoom', labelWhenReadable);

function rate(value) {
  return value >= 10 ? value.toFixed(0) : value >= 0.1 ? value.toFixed(2) : value.toFixed(3);
}

function edgeLabel(edge) {
  if (edge.refused) return `⛔ refused ${edge.sourceAddress} ${rate(edge.refusedPerSecond)}/s (${edge.refusedReason})`;
  const errors = edge.errorRatio > 0 ? ` ${(edge.errorRatio * 100).toFixed(0)}% err` : '';
  // The word stays readable where no font has the padlock glyph.
  return `${edge.padlock ? '🔒 mTLS ' : ''}${rate(edge.requestsPerSecond)} rps${errors}`;
}

// One traffic edge per (source, target); refused edges per (target, address, reason), all from the unknown node.
function edgeId(edge) {
  return edge.refused ? `refused|${edge.target}|${edge.sourceAddress}|${edge.refusedReason}` : `${edge.source}|${edge.target}`;
}

function drawGraph(graph, names) {
  const nodeIds = new Set(graph.nodes.map((n) => n.id));
  const edgeIds = new Set(graph.edges.map(edgeId));
  const layoutChanged = cy.nodes().length !== nodeIds.size || cy.nodes().some((n) => !nodeIds.has(n.id()));
  const positions = layoutChanged ? window.meshworkLayout.layeredLayout(graph.nodes, graph.edges) : null;
  cy.batch(() => {
    cy.remove(cy.edges().filter((e) => !edgeIds.has(e.id())));
    cy.remove(cy.nodes().filter((n) => !nodeIds.has(n.id())));
    const added = [];
    for (const node of graph.nodes) {
      const element = cy.getElementById(node.id);
      if (element.length === 0) added.push({ group: 'nodes', data: { id: node.id, kind: node.kind, label: names.get(node.id) }, position: positions.get(node.id) });
      else if (positions) element.position(positions.get(node.id));
    }
    for (const edge of graph.edges) {
      const id = edgeId(edge);
      const label = edgeLabel(edge);
      const element = cy.getElementById(id);
      if (element.length === 0) {
        added.push({ group: 'edges', data: { id, source: edge.source, target: edge.target, padlock: edge.padlock, refused: edge.refused, label },
          classes: labelsShown ? 'labelled' : '' });
      } else if (element.data('label') !== label || element.data('padlock') !== edge.padlock) {
        element.data({ padlock: edge.padlock, label });
      }
    }
    cy.add(added);
  });
  if (layoutChanged) {
    cy.fit(cy.nodes(), 30);
    labelWhenReadable();
  }
}

const rows = document.querySelector('#edges tbody');
const rowsById = new Map();

function rowCells(edge, rowNames) {
  return edge.refused
    ? [`${rowNames.get(edge.source)} (${edge.sourceAddress})`, rowNames.get(edge.target), `${rate(edge.refusedPerSecond)} conn/s`, '—', `⛔ refused: ${edge.refusedReason}`]
    : [rowNames.get(edge.source), rowNames.get(edge.target), rate(edge.requestsPerSecond),
      `${(edge.errorRatio * 100).toFixed(0)}%`, edge.padlock ? `🔒 mTLS ${(edge.mtlsRatio * 100).toFixed(0)}%` : 'plaintext'];
}

function drawTable(graph, rowNames) {
  const wanted = graph.edges.map((edge) => {
    const id = edgeId(edge);
    let row = rowsById.get(id);
    if (!row) {
      row = document.createElement('tr');
      row.addEventListener('click', () => window.meshworkDetails.showEdge(current.byId.get(id), current));
      row.dataset.source = edge.source;
      row.dataset.target = edge.target;
      row.dataset.refused = String(edge.refused);
      if (edge.refused) row.dataset.address = edge.sourceAddress;
      for (let i = 0; i < 5; i++) row.append(document.createElement('td'));
      rowsById.set(id, row);
    }
    if (row.dataset.padlock !== String(edge.padlock)) row.dataset.padlock = String(edge.padlock);
    rowCells(edge, rowNames).forEach((text, i) => {
      if (row.cells[i].textContent !== text) row.cells[i].textContent = text;
    });
    return [id, row];
  });
  const keep = new Set(wanted.map(([id]) => id));
  for (const [id, row] of rowsById) {
    if (!keep.has(id)) {
      row.remove();
      rowsById.delete(id);
    }
  }
  // Rows move only when the order changed (the server sorts edges).
  if (wanted.some(([, row], i) => rows.rows[i] !== row)) rows.replaceChildren(...wanted.map(([, row]) => row));
}

function render(graph) {
  current = { ...graph, byId: new Map(graph.edges.map((e) => [edgeId(e), e])) };
  const names = new Map(graph.nodes.map((n) => [n.id, n.namespace ? `${n.name}.${n.namespace}` : n.name]));
  const rowNames = new Map(graph.nodes.map((n) => [n.id, n.kind === 'service' ? `${names.get(n.id)} (service)` : names.get(n.id)]));
  for (const node of graph.nodes) {
    if (node.namespace && !knownNamespaces.has(node.namespace)) {
      knownNamespaces.add(node.namespace);
      namespaceSelect.add(new Option(node.namespace, node.namespace));
    }
  }
  drawGraph(graph, names);
  drawTable(graph, rowNames);

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
