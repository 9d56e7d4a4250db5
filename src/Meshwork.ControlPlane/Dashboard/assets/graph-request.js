// api/graph for the namespace and window chosen in the masthead. The page's first request starts as soon as the masthead
// is parsed, not after Cytoscape's bundle (graph.js runs behind it): the graph travels and is parsed meanwhile. For the
// default choice it takes the response index.html's preload asked for while the head was parsed; for any other choice
// (a future default the preload was not updated for) it is a request of its own, and the preload goes unused.
'use strict';

function graphQuery() {
  const query = new URLSearchParams({ window: document.getElementById('window').value });
  const namespace = document.getElementById('namespace').value;
  if (namespace) query.set('namespace', namespace);
  return query.toString();
}

// → { status, graph } with graph null unless the response was a success.
async function fetchGraph(query) {
  const response = await fetch(`api/graph?${query}`, { credentials: 'same-origin' });
  return { status: response.status, graph: response.ok ? await response.json() : null };
}

let firstRequest = { query: graphQuery(), result: fetchGraph(graphQuery()) };

// The graph for the current choice: the first request's, once, if it was for the same choice; else a new request.
function requestGraph() {
  const query = graphQuery();
  const first = firstRequest;
  firstRequest = null;
  return first && first.query === query ? first.result : fetchGraph(query);
}

window.meshworkGraphRequest = requestGraph;
