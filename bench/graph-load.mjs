// Times the dashboard's drawing of a graph answer with the page's own Cytoscape bundle, headless:
// adding the elements and running the page's breadthfirst layout, as graph.js does on every refresh.
//   node bench/graph-load.mjs graph-200x1000.json [runs]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const cytoscape = require('../src/Meshwork.ControlPlane/Dashboard/assets/cytoscape.min.js');
const graph = JSON.parse(readFileSync(process.argv[2] ?? 'graph-200x1000.json', 'utf8'));
const runs = Number(process.argv[3] ?? 10);
const times = [];
for (let i = 0; i < runs; i++) {
  const started = performance.now();
  const cy = cytoscape({ headless: true, styleEnabled: false });
  cy.add(graph.nodes.map((n) => ({ group: 'nodes', data: { id: n.id, kind: n.kind } })));
  cy.add(graph.edges.map((e, j) => ({ group: 'edges', data: { id: `e${j}`, source: e.source, target: e.target } })));
  cy.layout({ name: 'breadthfirst', directed: true, spacingFactor: 1.3, padding: 30, boundingBox: { x1: 0, y1: 0, w: 1400, h: 800 } }).run();
  times.push(performance.now() - started);
  cy.destroy();
}
times.sort((a, b) => a - b);
console.log(`draw ${graph.nodes.length} nodes, ${graph.edges.length} edges (add + breadthfirst layout): ${times[Math.floor(times.length / 2)].toFixed(1)} ms median of ${runs}`);
