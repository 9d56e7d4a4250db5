// The graph's layout: layered left to right as traffic flows (callers, services, the workloads behind
// them), in time linear in nodes and edges. Ranks are breadth-first distances from the callers nothing
// calls (the unknown node, a gateway, a client); a cycle nothing reaches starts from its first node by id.
// Within a rank, nodes follow the mean row of their callers (one barycentric pass), which untangles most
// crossings. The page lays out again only when the set of nodes changes: a refresh that only changes rates
// keeps every node where the user saw it.
'use strict';

const COLUMN_GAP = 220;
const ROW_GAP = 70;

// nodes: [{ id }], edges: [{ source, target }] → Map id → { x, y }
function layeredLayout(nodes, edges) {
  const ids = nodes.map((n) => n.id).sort();
  const outgoing = new Map(ids.map((id) => [id, []]));
  const incoming = new Map(ids.map((id) => [id, []]));
  for (const e of edges) {
    if (e.source === e.target || !outgoing.has(e.source) || !outgoing.has(e.target)) continue;
    outgoing.get(e.source).push(e.target);
    incoming.get(e.target).push(e.source);
  }

  const rank = new Map();
  const visit = (roots) => {
    const queue = roots.filter((id) => !rank.has(id));
    for (const id of queue) rank.set(id, 0);
    for (let head = 0; head < queue.length; head++) {
      const next = rank.get(queue[head]) + 1;
      for (const target of outgoing.get(queue[head])) {
        if (!rank.has(target)) {
          rank.set(target, next);
          queue.push(target);
        }
      }
    }
  };
  visit(ids.filter((id) => incoming.get(id).length === 0));
  for (const id of ids) if (!rank.has(id)) visit([id]);

  const layers = [];
  for (const id of ids) (layers[rank.get(id)] ||= []).push(id);

  // A rank taller than the graph is wide wraps into columns of its own.
  const perColumn = Math.max(12, Math.ceil(Math.sqrt(ids.length) * 2));
  const row = new Map();
  const positions = new Map();
  let column = 0;
  for (const layer of layers) {
    const order = layer.map((id) => {
      const callers = incoming.get(id).filter((c) => row.has(c));
      const mean = callers.length === 0 ? Infinity : callers.reduce((sum, c) => sum + row.get(c), 0) / callers.length;
      return { id, mean };
    }).sort((a, b) => a.mean - b.mean || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const columns = Math.ceil(order.length / perColumn);
    const height = Math.min(order.length, perColumn);
    order.forEach(({ id }, i) => {
      const at = i % perColumn;
      row.set(id, at);
      positions.set(id, { x: (column + Math.floor(i / perColumn)) * COLUMN_GAP, y: (at - (height - 1) / 2) * ROW_GAP });
    });
    column += columns;
  }
  return positions;
}

window.meshworkLayout = { layeredLayout };
