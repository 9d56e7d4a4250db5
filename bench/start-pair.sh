#!/usr/bin/env bash
# start-pair.sh - starts a Meshwork sidecar pair on the production path, for the shared peers harness
# (run-peers.sh --custom meshwork='exec bench/start-pair.sh'); bench/run.sh does this for you.
#
#   wrk -> client sidecar (fixed outbound listener on LISTEN_PORT, or its http_proxy listener: see MESHWORK_PAIR_ENTRY)
#       =mTLS (mesh CA, secure naming, metrics)=> server sidecar (inbound on MTLS_PORT) -> upstream (UPSTREAM_PORT)
#
# What it starts: a real control plane (`meshwork server`, its own session so that its CPU and memory
# are not counted as the data path's; stopped with this script), bootstrap tokens from its API, the
# mesh objects (Namespace, Service, Pods, STRICT PeerAuthentication) through `meshwork apply`, then two
# `meshwork proxy` processes launched with the same environment the local runtime gives a sidecar.
#
# Input (from run-peers.sh): LISTEN_PORT MTLS_PORT UPSTREAM_PORT.
# Optional: MESHWORK_BIN (the meshwork executable; default: the repo's ./meshwork launcher),
#   MESHWORK_PROXY_BIN (the sidecar executable; default: meshwork-proxy beside MESHWORK_BIN, else `$MESHWORK_BIN proxy`),
#   MESHWORK_PAIR_INFO (a file that receives start-to-ready times and per-sidecar RSS),
#   MESHWORK_PAIR_EXTRA_SERVICES (N extra services in every snapshot, for the scaling table),
#   MESHWORK_PAIR_UPSTREAM_HTTP2=1 (the client sidecar sends to the server sidecar over one multiplexed mTLS
#     HTTP/2 connection, MESHWORK_UPSTREAM_HTTP2=1, instead of HTTP/1.1 keep-alive connections),
#   MESHWORK_PAIR_ENTRY=fixed|http-proxy (where the load enters the client sidecar; the pair is the same either way):
#     fixed (default): origin-form requests on the fixed outbound listener, LISTEN_PORT (MESHWORK_OUTBOUND_FIXED);
#     http-proxy: absolute-form requests ("GET http://upstream.bench/ HTTP/1.1") on the http_proxy listener
#       (MESHWORK_OUTBOUND_ADDRESS, :15001 in a pod), the path every app with http_proxy takes. LISTEN_PORT still
#       serves the harness's health check; the pair records "http://127.0.0.1:LISTEN_PORT/ PROXY ABSOLUTE_URL" in
#       $MESHWORK_HTTP_PROXY_ENTRIES/LISTEN_PORT, from which bench/http-proxy-entry/wrk (run.sh puts it on PATH)
#       sends the harness's load for this target to the http_proxy listener,
#   MESHWORK_PAIR_KEEP=1 (keep the state directory).
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
MESHWORK=${MESHWORK_BIN:-$REPO/meshwork}
# The sidecars run the native meshwork-proxy when one is given, else the same code under the JIT.
if [[ -z ${MESHWORK_PROXY_BIN:-} && -x $(dirname "$MESHWORK")/meshwork-proxy ]]; then MESHWORK_PROXY_BIN=$(dirname "$MESHWORK")/meshwork-proxy; fi
if [[ -n ${MESHWORK_PROXY_BIN:-} ]]; then PROXY_CMD=("$MESHWORK_PROXY_BIN"); else PROXY_CMD=("$MESHWORK" proxy); fi
: "${LISTEN_PORT:?set by run-peers.sh}" "${MTLS_PORT:?set by run-peers.sh}" "${UPSTREAM_PORT:?set by run-peers.sh}"
INFO=${MESHWORK_PAIR_INFO:-/dev/null}
EXTRA=${MESHWORK_PAIR_EXTRA_SERVICES:-0}
# Sidecar-to-sidecar protocol: HTTP/1.1 keep-alive (the default) or HTTP/2 multiplexing.
CLIENT_ENV=()
if [[ ${MESHWORK_PAIR_UPSTREAM_HTTP2:-0} == 1 ]]; then UPSTREAM_PROTOCOL=h2; CLIENT_ENV=(MESHWORK_UPSTREAM_HTTP2=1); else UPSTREAM_PROTOCOL=http/1.1; fi
NS=bench
ENTRY=${MESHWORK_PAIR_ENTRY:-fixed}
case $ENTRY in
  fixed) ;;
  http-proxy) [[ -d ${MESHWORK_HTTP_PROXY_ENTRIES:-} ]] || { echo "MESHWORK_PAIR_ENTRY=http-proxy needs MESHWORK_HTTP_PROXY_ENTRIES (bench/run.sh sets it)" >&2; exit 1; } ;;
  *) echo "MESHWORK_PAIR_ENTRY must be fixed or http-proxy, not '$ENTRY'" >&2; exit 1 ;;
esac
# The .NET settings a sidecar runs with (also what the local runtime sets); see bench/sidecar-runtime.env.
# Only the proxies get them: the control plane and the CLI run with the host's defaults.
mapfile -t SIDECAR_ENV < <(grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$HERE/sidecar-runtime.env")

STATE=$(mktemp -d /tmp/meshwork-pair.XXXXXX)
log() { printf '[start-pair %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
ms() { date +%s%3N; }

CP_PID=""; PIDS=()
cleanup() {
  local p max_s max_c
  trap - EXIT INT TERM
  if [[ -n ${PEAK_FROM_NOW:-} ]]; then
    status_kib "$S_PID" VmHWM max_s; status_kib "$C_PID" VmHWM max_c
    echo "rss_max_kib server=$max_s client=$max_c" > "$INFO.max"
  fi
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  [[ -n $CP_PID ]] && kill -TERM "$CP_PID" 2>/dev/null || true
  for p in "${PIDS[@]}" $CP_PID; do
    for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  [[ ${MESHWORK_PAIR_KEEP:-0} == 1 ]] || rm -rf "$STATE"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

port_busy() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
free_port() {  # a port nobody listens on (and not one of ours)
  local p
  while true; do
    p=$(( 20000 + RANDOM % 20000 ))
    [[ $p == "$LISTEN_PORT" || $p == "$MTLS_PORT" || $p == "$UPSTREAM_PORT" ]] && continue
    port_busy "$p" || { echo "$p"; return; }
  done
}
wait_for() {  # wait_for SECONDS CMD...
  local deadline=$(( $(ms) + $1 * 1000 )); shift
  until "$@" >/dev/null 2>&1; do (( $(ms) < deadline )) || return 1; sleep 0.05; done
}

# ---------------------------------------------------------------- control plane
log "control plane: $MESHWORK server --state-dir $STATE --port 0"
setsid "$MESHWORK" server --state-dir "$STATE" --port 0 > "$STATE/server.log" 2>&1 < /dev/null &
CP_PID=$!
wait_for 120 test -s "$STATE/server.json" || { cat "$STATE/server.log" >&2; log "control plane did not start"; exit 1; }
wait_for 30 test -s "$STATE/admin-token"
URL=$(sed -n 's/.*"url" *: *"\([^"]*\)".*/\1/p' "$STATE/server.json" | head -1)
[[ -n $URL ]] || { cat "$STATE/server.json" >&2; log "no url in server.json"; exit 1; }
ROOT="$STATE/root-cert.pem"
TOKEN=$(cat "$STATE/admin-token")
log "control plane at $URL"

# ---------------------------------------------------------------- mesh objects
mesh_yaml() {
  cat <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: $NS
spec:
  mtls:
    mode: STRICT
---
apiVersion: v1
kind: Service
metadata:
  name: upstream
  namespace: $NS
spec:
  selector:
    app: upstream
  ports:
  - name: http
    port: 80
    targetPort: $MTLS_PORT
---
apiVersion: v1
kind: Pod
metadata:
  name: upstream-0
  namespace: $NS
  labels:
    app: upstream
    security.istio.io/tlsMode: istio
spec:
  serviceAccountName: server
  containers:
  - name: app
    image: bench
    command: ["nginx"]
    ports:
    - containerPort: $MTLS_PORT
  - name: istio-proxy
    image: meshwork proxy
    command: ["meshwork", "proxy"]
status:
  phase: Running
  podIP: 127.0.0.1
  containerStatuses:
  - name: app
    ready: true
  - name: istio-proxy
    ready: true
---
apiVersion: v1
kind: Pod
metadata:
  name: client-0
  namespace: $NS
  labels:
    app: client
    security.istio.io/tlsMode: istio
spec:
  serviceAccountName: client
  containers:
  - name: app
    image: bench
    command: ["wrk"]
  - name: istio-proxy
    image: meshwork proxy
    command: ["meshwork", "proxy"]
status:
  phase: Running
  podIP: 127.0.0.1
  containerStatuses:
  - name: app
    ready: true
  - name: istio-proxy
    ready: true
EOF
}
extra_yaml() {  # extra_yaml FROM TO: services (each with one ready endpoint) that every snapshot carries, for the scaling table
  local i
  for (( i = $1; i < $2; i++ )); do
    cat <<EOF
---
apiVersion: v1
kind: Service
metadata:
  name: svc-$i
  namespace: $NS
spec:
  selector:
    app: svc-$i
  ports:
  - name: http
    port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Pod
metadata:
  name: svc-$i-0
  namespace: $NS
  labels:
    app: svc-$i
    security.istio.io/tlsMode: istio
spec:
  serviceAccountName: svc-$i
  containers:
  - name: app
    image: bench
    command: ["sleep"]
    ports:
    - containerPort: 8080
status:
  phase: Running
  podIP: 127.0.$(( (i / 250) % 250 + 2 )).$(( i % 250 + 2 ))
  containerStatuses:
  - name: app
    ready: true
EOF
  done
}
mesh_yaml > "$STATE/mesh.yaml"
"$MESHWORK" apply --state-dir "$STATE" -f "$STATE/mesh.yaml" >&2
# Large meshes go in batches of 500 services: one apply is one request to the config API.
for (( b = 0; b < EXTRA; b += 500 )); do
  extra_yaml "$b" $(( b + 500 < EXTRA ? b + 500 : EXTRA )) | tail -n +2 > "$STATE/extra.yaml"
  "$MESHWORK" apply --state-dir "$STATE" -f "$STATE/extra.yaml" > /dev/null
done
(( EXTRA == 0 )) || log "applied $EXTRA extra services"

bootstrap_token() {  # bootstrap_token SERVICE_ACCOUNT FILE
  curl -sSf --cacert "$ROOT" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"namespace\":\"$NS\",\"serviceAccount\":\"$1\"}" "$URL/meshwork/v1/bootstrap-tokens" \
    | sed -n 's/.*"token" *: *"\([^"]*\)".*/\1/p' > "$2"
  [[ -s $2 ]] || { log "no bootstrap token for $1"; exit 1; }
  chmod 600 "$2"
}

# ---------------------------------------------------------------- sidecars
# start_sidecar NAME SA APP LABELS_JSON ADMIN_PORT OUTBOUND_PORT [VAR=VALUE...]
start_sidecar() {
  local name=$1 sa=$2 app=$3 labels=$4 admin=$5 outbound=$6; shift 6
  local dir="$STATE/pods/$name"
  mkdir -p "$dir/etc/certs" "$dir/logs"
  bootstrap_token "$sa" "$dir/bootstrap-token"
  env "${SIDECAR_ENV[@]}" MESHWORK_PROXY_ROLE=sidecar \
      MESHWORK_CONTROL_PLANE="$URL" \
      MESHWORK_CONTROL_PLANE_ROOT="$ROOT" \
      MESHWORK_BOOTSTRAP_TOKEN_FILE="$dir/bootstrap-token" \
      MESHWORK_CERT_DIR="$dir/etc/certs" \
      MESHWORK_OUTBOUND_ADDRESS="127.0.0.1:$outbound" \
      MESHWORK_ADMIN_ADDRESS="127.0.0.1:$admin" \
      MESHWORK_POD_LABELS="$labels" \
      POD_NAME="$name" POD_NAMESPACE="$NS" POD_IP=127.0.0.1 SERVICE_ACCOUNT="$sa" MESHWORK_WORKLOAD="$app" \
      "$@" "${PROXY_CMD[@]}" > "$dir/logs/istio-proxy.log" 2>&1 < /dev/null &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
ready() { curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$1/ready"; }

S_ADMIN=$(free_port); S_OUT=$(free_port); C_ADMIN=$(free_port); C_OUT=$(free_port)
ABSOLUTE_URL="http://upstream.$NS/"
if [[ $ENTRY == http-proxy ]]; then
  # Recorded before the sidecars start: the harness may send load as soon as LISTEN_PORT answers.
  printf 'http://127.0.0.1:%s/ 127.0.0.1:%s %s\n' "$LISTEN_PORT" "$C_OUT" "$ABSOLUTE_URL" > "$MESHWORK_HTTP_PROXY_ENTRIES/.$LISTEN_PORT"
  mv "$MESHWORK_HTTP_PROXY_ENTRIES/.$LISTEN_PORT" "$MESHWORK_HTTP_PROXY_ENTRIES/$LISTEN_PORT"
fi
t0=$(ms)
start_sidecar upstream-0 server upstream '{"app":"upstream","security.istio.io/tlsMode":"istio"}' "$S_ADMIN" "$S_OUT" \
  MESHWORK_INBOUND_PORTS="$MTLS_PORT=127.0.0.1:$UPSTREAM_PORT"
S_PID=$LAST_PID
t1=$(ms)
start_sidecar client-0 client client '{"app":"client","security.istio.io/tlsMode":"istio"}' "$C_ADMIN" "$C_OUT" \
  MESHWORK_OUTBOUND_FIXED="127.0.0.1:$LISTEN_PORT=upstream.$NS:80" "${CLIENT_ENV[@]}"
C_PID=$LAST_PID
wait_for 120 ready "$S_ADMIN" || { tail -20 "$STATE"/pods/*/logs/*.log >&2; log "server sidecar not ready"; exit 1; }
s_ready=$(( $(ms) - t0 ))
wait_for 120 ready "$C_ADMIN" || { tail -20 "$STATE"/pods/*/logs/*.log >&2; log "client sidecar not ready"; exit 1; }
c_ready=$(( $(ms) - t1 ))
log "sidecars ready: server ${s_ready} ms, client ${c_ready} ms (start to /ready, both starting at once); sidecar to sidecar: $UPSTREAM_PROTOCOL"
if [[ $ENTRY == http-proxy ]]; then
  # The harness checks the body on LISTEN_PORT only; the load of this target enters through http_proxy, so check that too.
  got=$(curl -sS --max-time 10 --noproxy '' --proxy "http://127.0.0.1:$C_OUT" -w '\n%{http_code}' "$ABSOLUTE_URL") || got=""
  code=${got##*$'\n'}
  [[ $code == 200 && ( -z ${BODY:-} || ${got%$'\n'*} == "$BODY" ) ]] \
    || { tail -20 "$STATE"/pods/*/logs/*.log >&2; log "GET $ABSOLUTE_URL through http_proxy 127.0.0.1:$C_OUT: HTTP ${code:-none}, not the upstream's body"; exit 1; }
  log "entry: http_proxy 127.0.0.1:$C_OUT, absolute-form GET $ABSOLUTE_URL -> 200"
fi

{
  echo "sidecar_command ${PROXY_CMD[*]}"
  echo "sidecar_to_sidecar $UPSTREAM_PROTOCOL"
  if [[ $ENTRY == http-proxy ]]; then echo "entry http_proxy listener 127.0.0.1:$C_OUT, absolute-form GET $ABSOLUTE_URL"
  else echo "entry fixed outbound listener 127.0.0.1:$LISTEN_PORT, origin-form GET /"; fi
  echo "start_to_ready_ms server=$s_ready client=$c_ready"
  echo "admin server=127.0.0.1:$S_ADMIN client=127.0.0.1:$C_ADMIN"
  echo "pids server=$S_PID client=$C_PID controlplane=$CP_PID"
} >> "$INFO"

# Per-sidecar RSS: the harness sums a process group, so record each sidecar on its own. Idle: VmRSS once, 2 s
# after both are ready. Peak: the kernel's own high-water mark (VmHWM), reset to the current size right after that
# (proc(5): "5" written to clear_refs), and read when the pair is stopped (cleanup): every peak is seen, not only
# those a sampler happened to catch, and nothing in the pair's process group, whose CPU the harness counts as the
# pair's, wakes up while the load runs (a sampler reading /proc twice a second cost 2.4 ms of CPU a second: 3 % of
# the pair's CPU in a paced round).
status_kib() {  # status_kib PID KEY VAR: a /proc/PID/status field in KiB (0 once the process is gone) into VAR
  local key value _
  printf -v "$3" 0
  { while read -r key value _; do [[ $key == "$2:" ]] && { printf -v "$3" %s "$value"; break; }; done < "/proc/$1/status"; } 2>/dev/null || true
}
sleep 2
status_kib "$S_PID" VmRSS idle_s; status_kib "$C_PID" VmRSS idle_c
echo "rss_idle_kib server=$idle_s client=$idle_c" >> "$INFO"
for p in "$S_PID" "$C_PID"; do echo 5 > "/proc/$p/clear_refs"; done
PEAK_FROM_NOW=1

wait "$S_PID" "$C_PID" || true
log "a sidecar exited"; tail -20 "$STATE"/pods/*/logs/*.log >&2
exit 1
