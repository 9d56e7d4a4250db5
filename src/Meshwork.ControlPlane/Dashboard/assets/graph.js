// The traffic graph: nodes for workloads, services and the unknown caller; edges with request
// rate, 5xx share, and a padlock where the requests used mutual TLS (as Kiali's Security display).
// Beyond Kiali: connections a sidecar refused before HTTP (a plaintext caller of a STRICT port, say)
// are a refused edge from the unknown node, with the caller's address: who is still knocking.
//
// Cytoscape holds and draws the nodes; the edges, their lines and labels, are the edge layer's (edge-layer.js).
// A refresh changes only what changed: nodes and table rows are keyed, a cell is written only when its text
// differs, and the layout runs only when the set of nodes changes.
'use strict';

const REFRESH_MS = 5000;
const namespaceSelect = document.getElementById('namespace');
const windowSelect = document.getElementById('window');
const knownNamespaces = new Set();

// W3C User Timing marks for the first load only (at most four entries), so that a profile in DevTools or the
// dashboard benchmark can split where the first load's time went.
const firstLoadMarks = new Set();
function markFirstLoad(name) {
  if (firstLoadMarks.has(name)) return;
  firstLoadMarks.add(name);
  performance.mark(`meshwork:${name}`);
}

const cy = cytoscape({
  container: document.getElementById('graph'),
  // Nodes are redrawn from a texture while the user pans or zooms, not one by one.
  textureOnViewport: true,
  style: [
    { selector: 'node', style: { 'background-color': '#2563eb' } },
    { selector: 'node.labelled', style: { label: 'data(label)', 'font-size': 11, 'text-valign': 'bottom', 'text-margin-y': 4 } },
    { selector: 'node[kind = "service"]', style: { shape: 'triangle', 'background-color': '#7c3aed' } },
    { selector: 'node[kind = "unknown"]', style: { shape: 'diamond', 'background-color': '#6b7280' } },
  ],
});
window.meshworkGraph = cy;
let current = { nodes: [], edges: [], byId: new Map() };
const edgeLayer = window.meshworkEdgeLayer.create(cy, document.getElementById('graph-edges'));
window.meshworkGraphEdges = edgeLayer;
cy.on('tap', (event) => {
  if (event.target !== cy) return;
  const id = edgeLayer.edgeAt(event.position);
  if (id) window.meshworkDetails.showEdge(current.byId.get(id), current);
});
window.meshworkEdgeTable.onSelect((id) => window.meshworkDetails.showEdge(current.byId.get(id), current));
cy.on('tap', 'node[kind = "workload"]', (event) => window.meshworkDetails.showWorkload(event.target.id()));

// Labels are drawn only while they are readable (11 px text at least 6 px on screen for nodes, 8 px for edges): a
// node's label, drawn or not, is measured by Cytoscape, and those of 1,400 elements too small to read cost a load its
// first second.
const NODE_LABEL_ZOOM = 6 / 11;
const EDGE_LABEL_ZOOM = 8 / 11;
let nodeLabelsShown = false;
function labelWhenReadable() {
  const zoom = cy.zoom();
  if ((zoom >= NODE_LABEL_ZOOM) !== nodeLabelsShown) {
    nodeLabelsShown = !nodeLabelsShown;
    cy.nodes().toggleClass('labelled', nodeLabelsShown);
  }
  edgeLayer.showLabels(zoom >= EDGE_LABEL_ZOOM);
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
  const layoutChanged = cy.nodes().length !== nodeIds.size || cy.nodes().some((n) => !nodeIds.has(n.id()));
  const positions = layoutChanged ? window.meshworkLayout.layeredLayout(graph.nodes, graph.edges) : null;
  // The viewport and the labels' classes are settled before the elements are added, so that the first frame is drawn
  // at its final zoom: no fit over the drawn elements' bounds after the fact, and no second frame for it.
  if (positions) fitViewport(positions);
  const added = [];
  // On the first draw the graph is empty: nothing to look up or remove.
  const empty = cy.elements().empty();
  const none = cy.collection();
  cy.batch(() => {
    if (!empty) cy.remove(cy.nodes().filter((n) => !nodeIds.has(n.id())));
    for (const node of graph.nodes) {
      const element = empty ? none : cy.getElementById(node.id);
      if (element.length === 0) {
        added.push({ group: 'nodes', data: { id: node.id, kind: node.kind, label: names.get(node.id) }, position: positions.get(node.id),
          classes: nodeLabelsShown ? 'labelled' : '' });
      } else if (positions) element.position(positions.get(node.id));
    }
    cy.add(added);
  });
  edgeLayer.setEdges(graph.edges.map((edge) => ({ id: edgeId(edge), edge, label: edgeLabel(edge) })));
  if (added.length > 0 && !firstLoadMarks.has('graph-painted')) cy.one('render', () => markFirstLoad('graph-painted'));
}

// The zoom and pan that fit the laid-out nodes in the graph's box with a margin, as cy.fit would fit them once drawn.
const FIT_PADDING = 30;
function fitViewport(positions) {
  if (positions.size === 0) return;
  let [left, top, right, bottom] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const { x, y } of positions.values()) {
    left = Math.min(left, x);
    top = Math.min(top, y);
    right = Math.max(right, x);
    bottom = Math.max(bottom, y);
  }
  const radius = window.meshworkEdgeLayer.nodeRadius;
  [left, top, right, bottom] = [left - radius, top - radius, right + radius, bottom + radius];
  const fit = Math.min((cy.width() - 2 * FIT_PADDING) / (right - left), (cy.height() - 2 * FIT_PADDING) / (bottom - top));
  const zoom = Math.max(cy.minZoom(), Math.min(cy.maxZoom(), fit));
  cy.viewport({ zoom, pan: { x: (cy.width() - zoom * (left + right)) / 2, y: (cy.height() - zoom * (top + bottom)) / 2 } });
  labelWhenReadable();
}

function rowCells(edge, rowNames) {
  return edge.refused
    ? [`${rowNames.get(edge.source)} (${edge.sourceAddress})`, rowNames.get(edge.target), `${rate(edge.refusedPerSecond)} conn/s`, '—', `⛔ refused: ${edge.refusedReason}`]
    : [rowNames.get(edge.source), rowNames.get(edge.target), rate(edge.requestsPerSecond),
      `${(edge.errorRatio * 100).toFixed(0)}%`, edge.padlock ? `🔒 mTLS ${(edge.mtlsRatio * 100).toFixed(0)}%` : 'plaintext'];
}

// The first load fills the edge table only after the graph's first frame has been painted, so that the rows' style and
// layout do not fall in that frame: the graph shows first, the table a task later. Later refreshes draw it at once.
let graphShown = false;
let rowsWaiting = null;
function drawTable(graph, rowNames) {
  const rows = graph.edges.map((edge) => ({ id: edgeId(edge), edge, cells: rowCells(edge, rowNames) }));
  if (graphShown || cy.nodes().empty()) {
    fillTable(rows);
    return;
  }
  // A refresh that arrives before the first frame replaces the rows that wait for it.
  const scheduled = rowsWaiting !== null;
  rowsWaiting = rows;
  if (scheduled) return;
  // Cytoscape's 'render' runs inside the frame's animation callbacks; a task posted from there runs after that frame
  // has been laid out and painted.
  cy.one('render', () => setTimeout(() => {
    graphShown = true;
    fillTable(rowsWaiting);
    rowsWaiting = null;
  }));
}

function fillTable(rows) {
  window.meshworkEdgeTable.draw(rows);
  markFirstLoad('table');
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
  markFirstLoad('graph-elements');
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
  try {
    const { status, graph } = await window.meshworkGraphRequest();
    if (graph) {
      markFirstLoad('graph-parsed');
      render(graph);
    } else document.getElementById('updated').textContent = `error ${status}`;
  } catch (e) {
    document.getElementById('updated').textContent = `error: ${e.message}`;
  }
}

namespaceSelect.addEventListener('change', refresh);
windowSelect.addEventListener('change', refresh);
refresh();
setInterval(refresh, REFRESH_MS);
