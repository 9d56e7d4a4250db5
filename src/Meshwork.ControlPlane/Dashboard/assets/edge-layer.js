// The graph's edges, drawn on a canvas of our own under Cytoscape's, one path per style: every padlocked edge in one
// solid green stroke, every plaintext edge in one dashed red stroke, every refused edge in one dotted orange stroke,
// and the arrowheads of each style in one fill or stroke; their labels too, once the user zooms in far enough to read
// them (graph.js decides when). Cytoscape drawing a thousand edges one by one (a path, a dash pattern, an arrowhead and
// a label box each) cost the first frame most of a second, and holding them in its model, even undrawn, cost a load
// 0.2-0.3 s more (each edge styled with all of Cytoscape's properties, and bounded, before its first frame): Cytoscape
// holds and draws the nodes only, and this layer is where the page's edges are.
//
// Each edge's last drawn geometry is kept, so that a click on the graph finds the edge under it and a test can ask
// what was drawn for an edge (its style, its midpoint on screen).
'use strict';

// Node bodies are Cytoscape's default 30 px wide: lines stop at their border, where the arrowhead's tip is.
const NODE_RADIUS = 15;
const ARROW_LENGTH = 9;
const ARROW_HALF_WIDTH = 4.5;
// A refused edge bows aside by this much (its label sits on the bow), so that it
// never runs over the edges through the service it skips.
const REFUSED_BOW = -60;
// A click this close to an edge, in screen pixels, selects it.
const CLICK_TOLERANCE = 6;
// Labels as Cytoscape drew them on edges: 11 px text (scaled with the graph) on a white box, in the style's text colour.
const LABEL_FONT = '11px "Helvetica Neue", Helvetica, sans-serif';
const LABEL_HEIGHT = 11;
const LABEL_PADDING = 2;

const EDGE_STYLES = {
  mtls: { color: '#15803d', width: 2, dash: [], arrow: 'triangle', text: '#15803d' },
  plaintext: { color: '#dc2626', width: 2, dash: [6, 3], arrow: 'triangle', text: '#b91c1c' },
  refused: { color: '#ea580c', width: 3, dash: [1, 1], arrow: 'tee', text: '#c2410c' },
};

function edgeStyle(edge) {
  return edge.refused ? 'refused' : edge.padlock ? 'mtls' : 'plaintext';
}

// The points an edge is drawn through, in model coordinates: from the source's border to the arrowhead's tip on the
// target's border, through a control point when it bows. Null when both ends coincide.
function geometry(source, target, bow) {
  const dx = target.x - source.x;
  const dy = target.y - source.y;
  const length = Math.hypot(dx, dy);
  if (length <= 2 * NODE_RADIUS) return null;
  // The control point lies `bow` off the middle of the straight line, along its normal.
  const control = bow === 0 ? null : { x: (source.x + target.x) / 2 - (dy / length) * bow, y: (source.y + target.y) / 2 + (dx / length) * bow };
  const from = control ?? target;
  const to = control ?? source;
  const startLength = Math.hypot(from.x - source.x, from.y - source.y);
  const endLength = Math.hypot(target.x - to.x, target.y - to.y);
  const start = { x: source.x + ((from.x - source.x) / startLength) * NODE_RADIUS, y: source.y + ((from.y - source.y) / startLength) * NODE_RADIUS };
  const ux = (target.x - to.x) / endLength;
  const uy = (target.y - to.y) / endLength;
  const tip = { x: target.x - ux * NODE_RADIUS, y: target.y - uy * NODE_RADIUS };
  return { start, control, tip, ux, uy };
}

// The point halfway along the drawn edge (a quadratic Bézier's at t = 1/2).
function midpoint({ start, control, tip }) {
  return control
    ? { x: (start.x + 2 * control.x + tip.x) / 4, y: (start.y + 2 * control.y + tip.y) / 4 }
    : { x: (start.x + tip.x) / 2, y: (start.y + tip.y) / 2 };
}

function distanceToSegment(p, a, b) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const squared = dx * dx + dy * dy;
  const t = squared === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / squared));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

// Distance from p to the drawn edge; a bowed edge is measured against eight chords of its curve.
function distanceToEdge(p, g) {
  if (!g.control) return distanceToSegment(p, g.start, g.tip);
  let best = Infinity;
  let previous = g.start;
  for (let i = 1; i <= 8; i++) {
    const t = i / 8;
    const point = {
      x: (1 - t) * (1 - t) * g.start.x + 2 * (1 - t) * t * g.control.x + t * t * g.tip.x,
      y: (1 - t) * (1 - t) * g.start.y + 2 * (1 - t) * t * g.control.y + t * t * g.tip.y,
    };
    best = Math.min(best, distanceToSegment(p, previous, point));
    previous = point;
  }
  return best;
}

function createEdgeLayer(cy, canvas) {
  const context = canvas.getContext('2d');
  // [{ id, style, label, data, source, target }] with data as api/graph gave it, source and target Cytoscape's nodes.
  let edges = [];
  let labelsShown = false;
  // id → { style, geometry } as last drawn, in model coordinates.
  let drawn = new Map();
  // Set when the edges changed and no frame has drawn them yet.
  let stale = false;
  // What the canvas shows: the viewport and the nodes' positions it was drawn for. Cytoscape renders several frames
  // at load as it refines its node textures; the edges are rasterized again only when what they depend on moved.
  let drawnFor = '';
  let positionsVersion = 0;

  function resize() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(canvas.clientWidth * ratio);
    const height = Math.round(canvas.clientHeight * ratio);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    return ratio;
  }

  function draw() {
    const ratio = resize();
    const zoom = cy.zoom();
    const pan = cy.pan();
    const state = `${canvas.width}x${canvas.height} ${zoom} ${pan.x},${pan.y} ${positionsVersion} ${labelsShown}`;
    if (!stale && state === drawnFor) return;
    stale = false;
    drawnFor = state;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.setTransform(ratio * zoom, 0, 0, ratio * zoom, ratio * pan.x, ratio * pan.y);
    const next = new Map();
    const byStyle = { mtls: [], plaintext: [], refused: [] };
    for (const edge of edges) {
      // An edge whose end is not in the graph (or no longer) is not drawn.
      if (edge.source.empty() || edge.target.empty() || edge.source.removed() || edge.target.removed()) continue;
      const g = geometry(edge.source.position(), edge.target.position(), edge.style === 'refused' ? REFUSED_BOW : 0);
      if (!g) continue;
      next.set(edge.id, { style: edge.style, label: edge.label, labelled: false, geometry: g });
      byStyle[edge.style].push(g);
    }
    drawn = next;
    for (const [name, list] of Object.entries(byStyle)) {
      if (list.length > 0) drawStyle(EDGE_STYLES[name], list, zoom);
    }
    if (labelsShown) drawLabels(zoom, pan);
  }

  // Each label centred on its edge's midpoint, over the lines; only those whose middle is on screen.
  function drawLabels(zoom, pan) {
    const [left, top] = [-pan.x / zoom, -pan.y / zoom];
    const [right, bottom] = [left + canvas.clientWidth / zoom, top + canvas.clientHeight / zoom];
    context.font = LABEL_FONT;
    context.textAlign = 'center';
    context.textBaseline = 'middle';
    for (const entry of drawn.values()) {
      const { style, label, geometry: g } = entry;
      const { x, y } = midpoint(g);
      if (x < left || x > right || y < top || y > bottom) continue;
      entry.labelled = true;
      const width = context.measureText(label).width;
      context.fillStyle = 'rgba(255, 255, 255, 0.9)';
      context.fillRect(x - width / 2 - LABEL_PADDING, y - LABEL_HEIGHT / 2 - LABEL_PADDING, width + 2 * LABEL_PADDING, LABEL_HEIGHT + 2 * LABEL_PADDING);
      context.fillStyle = EDGE_STYLES[style].text;
      context.fillText(label, x, y);
    }
  }

  // One stroke for all the lines of a style, then one fill (or stroke, for tees) for all their arrowheads. A line
  // stops where its arrowhead starts, so that the dash pattern never shows through the head. Dashes keep their length
  // on screen: scaled with the graph, the overview's long lines would be hundreds of dashes of a pixel or two each.
  function drawStyle(style, list, zoom) {
    context.strokeStyle = style.color;
    context.fillStyle = style.color;
    context.lineWidth = style.width;
    context.setLineDash(style.dash.map((length) => length / zoom));
    context.beginPath();
    const inset = style.arrow === 'triangle' ? ARROW_LENGTH : 0;
    for (const { start, control, tip, ux, uy } of list) {
      context.moveTo(start.x, start.y);
      if (control) context.quadraticCurveTo(control.x, control.y, tip.x - ux * inset, tip.y - uy * inset);
      else context.lineTo(tip.x - ux * inset, tip.y - uy * inset);
    }
    context.stroke();
    context.setLineDash([]);
    context.beginPath();
    for (const { tip, ux, uy } of list) {
      if (style.arrow === 'triangle') {
        context.moveTo(tip.x, tip.y);
        context.lineTo(tip.x - ux * ARROW_LENGTH - uy * ARROW_HALF_WIDTH, tip.y - uy * ARROW_LENGTH + ux * ARROW_HALF_WIDTH);
        context.lineTo(tip.x - ux * ARROW_LENGTH + uy * ARROW_HALF_WIDTH, tip.y - uy * ARROW_LENGTH - ux * ARROW_HALF_WIDTH);
        context.closePath();
      } else {
        context.moveTo(tip.x - uy * ARROW_HALF_WIDTH * 1.5, tip.y + ux * ARROW_HALF_WIDTH * 1.5);
        context.lineTo(tip.x + uy * ARROW_HALF_WIDTH * 1.5, tip.y - ux * ARROW_HALF_WIDTH * 1.5);
      }
    }
    if (style.arrow === 'triangle') context.fill();
    else context.stroke();
  }

  // Cytoscape renders a frame whenever nodes move, the viewport changes or the graph does: this layer follows each.
  // A change to the edges alone may change nothing Cytoscape draws, so it asks for a frame of its own.
  cy.on('render', draw);
  cy.on('position', 'node', () => {
    positionsVersion++;
  });
  function requestDraw() {
    if (stale) return;
    stale = true;
    requestAnimationFrame(() => {
      if (stale) draw();
    });
  }

  return {
    // edges: [{ id, edge, label }] with edge as api/graph gives it (source, target, padlock, refused). Drawn in the next frame.
    setEdges(list) {
      edges = list.map(({ id, edge, label }) => ({
        id, style: edgeStyle(edge), label, data: edge, source: cy.getElementById(edge.source), target: cy.getElementById(edge.target) }));
      requestDraw();
    },
    // Labels drawn or not; drawn again in the next frame if that changed.
    showLabels(shown) {
      if (shown === labelsShown) return;
      labelsShown = shown;
      requestDraw();
    },
    // The graph's edges as last set: [{ id, source, target, padlock, refused, label }].
    edges() {
      return edges.map(({ id, label, data }) => ({ id, source: data.source, target: data.target, padlock: data.padlock, refused: data.refused, label }));
    },
    // The id of the drawn edge nearest to a point in model coordinates, if one is within a click's reach.
    edgeAt(point) {
      const reach = CLICK_TOLERANCE / cy.zoom();
      let nearest = null;
      let best = Infinity;
      for (const [id, { geometry: g }] of drawn) {
        const distance = distanceToEdge(point, g);
        if (distance <= reach && distance < best) {
          best = distance;
          nearest = id;
        }
      }
      return nearest;
    },
    // What was last drawn for an edge: its style, its label and whether that was drawn, and its midpoint in pixels from the
    // graph's top left corner; null if the edge was not drawn.
    drawnEdge(id) {
      const entry = drawn.get(id);
      if (!entry) return null;
      const middle = midpoint(entry.geometry);
      const zoom = cy.zoom();
      const pan = cy.pan();
      return { style: entry.style, label: entry.label, labelled: entry.labelled, x: middle.x * zoom + pan.x, y: middle.y * zoom + pan.y };
    },
  };
}

window.meshworkEdgeLayer = { create: createEdgeLayer, nodeRadius: NODE_RADIUS };
