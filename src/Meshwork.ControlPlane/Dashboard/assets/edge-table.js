// The edge table beside the graph: one row per edge, keyed by the edge's id, a cell written only when its text
// changed and rows moved only when the order changed. One click listener serves every row. Rows off screen skip
// the browser's layout and paint (content-visibility in dashboard.css), so a thousand rows cost the page about
// what the visible ones do, and all of them stay in the document for find-in-page and for tests.
'use strict';

const edgeRows = document.querySelector('#edges tbody');
const rowsById = new Map();
const idByRow = new WeakMap();
let selectEdge = () => {};

edgeRows.addEventListener('click', (event) => {
  const row = event.target.closest('tr');
  if (row && idByRow.has(row)) selectEdge(idByRow.get(row));
});

// A new row is a clone of an empty one, its attributes set directly: a thousand rows at load cost a thousand
// clones instead of six thousand element creations and dataset lookups.
const emptyRow = document.createElement('tr');
for (let i = 0; i < 5; i++) emptyRow.append(document.createElement('td'));

function newRow(id, edge, cells) {
  const row = emptyRow.cloneNode(true);
  row.setAttribute('data-source', edge.source);
  row.setAttribute('data-target', edge.target);
  row.setAttribute('data-refused', String(edge.refused));
  if (edge.refused) row.setAttribute('data-address', edge.sourceAddress);
  row.setAttribute('data-padlock', String(edge.padlock));
  let cell = row.firstChild;
  for (const text of cells) {
    cell.textContent = text;
    cell = cell.nextSibling;
  }
  rowsById.set(id, row);
  idByRow.set(row, id);
  return row;
}

// entries: [{ id, edge, cells }] in the server's order, cells the five texts of the row.
function drawEdgeTable(entries) {
  const keep = new Set();
  const ordered = entries.map(({ id, edge, cells }) => {
    keep.add(id);
    const row = rowsById.get(id);
    if (!row) return newRow(id, edge, cells);
    if (row.dataset.padlock !== String(edge.padlock)) row.dataset.padlock = String(edge.padlock);
    cells.forEach((text, i) => {
      if (row.cells[i].textContent !== text) row.cells[i].textContent = text;
    });
    return row;
  });
  for (const [id, row] of rowsById) {
    if (!keep.has(id)) {
      row.remove();
      rowsById.delete(id);
    }
  }
  if (ordered.some((row, i) => edgeRows.rows[i] !== row)) edgeRows.replaceChildren(...ordered);
}

window.meshworkEdgeTable = { draw: drawEdgeTable, onSelect: (handler) => { selectEdge = handler; } };
