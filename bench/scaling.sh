#!/usr/bin/env bash
# scaling.sh - the scaling table: one Meshwork sidecar pair as the number of services in its snapshot
# grows, then control-plane push latency to N simulated proxies.
#
#   bench/scaling.sh [--out report.md]
#
# 1. installs nginx, wrk, curl with apt-get when missing (as bench/run.sh does);
# 2. builds Meshwork (Release) and the native sidecar unless MESHWORK_BIN names a built executable
#    (MESHWORK_BUILD_SLOT is honoured; bench/common.sh);
# 3. starts one nginx upstream answering 100 bytes, then for each size N starts the production pair with
#    bench/start-pair.sh and MESHWORK_PAIR_EXTRA_SERVICES=N (N services, each with a ready endpoint, in
#    every snapshot), runs wrk closed-loop through it and stops it;
# 4. runs bench/Meshwork.PushBench for each proxy count: a mesh-wide PeerAuthentication flips each round
#    and every simulated proxy's change-to-ACK time is recorded.
#
# Settings: SIZES ("10 1000 10000"), DURATION (wrk seconds per size, 5), CONNECTIONS (wrk -c, 32),
#   PROXIES ("100 1000"; empty skips PushBench), ROUNDS (PushBench rounds, 10), NAMESPACES (PushBench namespaces, 10).
# The machine's load average is printed with the results: absolute figures depend on it.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SIZES=${SIZES-"10 1000 10000"}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-32}
PROXIES=${PROXIES-"100 1000"}
ROUNDS=${ROUNDS:-10}
NAMESPACES=${NAMESPACES:-10}
OUT=""
[[ ${1:-} == --out ]] && OUT=$2
log() { printf '[scaling %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
ms() { date +%s%3N; }

# ---------------------------------------------------------------- 1. tools, 2. build
. "$HERE/common.sh"
install_tools nginx wrk curl
build_meshwork

# ---------------------------------------------------------------- 3. the pair, per size
WORK=$(mktemp -d /tmp/meshwork-scaling.XXXXXX)
PAIR_PID=""; NGINX_PID=""
cleanup() {
  trap - EXIT INT TERM
  stop_pair
  [[ -n $NGINX_PID ]] && kill -TERM "$NGINX_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
stop_pair() {
  [[ -n $PAIR_PID ]] || return 0
  kill -TERM "$PAIR_PID" 2>/dev/null || true   # start-pair.sh stops its control plane and sidecars
  for _ in $(seq 1 100); do kill -0 "$PAIR_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$PAIR_PID" 2>/dev/null || true
  PAIR_PID=""
}
trap cleanup EXIT
trap 'exit 143' INT TERM

port_busy() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
free_port() { local p; while true; do p=$(( 20000 + RANDOM % 20000 )); port_busy "$p" || { echo "$p"; return; }; done; }
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
field() { sed -n "s/^$1 .*$2=\([^ ]*\).*/\1/p" "$3" | tail -1; }   # field LINE-PREFIX KEY FILE

UPSTREAM_PORT=$(free_port)
mkdir -p "$WORK/nginx/tmp"
BODY=$(printf '%0100d' 0)
cat > "$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    default_type text/plain;
    keepalive_requests 1000000;
    client_body_temp_path $WORK/nginx/tmp;
    proxy_temp_path $WORK/nginx/tmp;
    fastcgi_temp_path $WORK/nginx/tmp;
    uwsgi_temp_path $WORK/nginx/tmp;
    scgi_temp_path $WORK/nginx/tmp;
    server {
        listen 127.0.0.1:$UPSTREAM_PORT;
        location / { return 200 "$BODY"; }
    }
}
EOF
setsid nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" > "$WORK/nginx/out.log" 2>&1 < /dev/null &
NGINX_PID=$!
for _ in $(seq 1 50); do curl -sf -o /dev/null "http://127.0.0.1:$UPSTREAM_PORT/" && break; sleep 0.1; done
curl -sf -o /dev/null "http://127.0.0.1:$UPSTREAM_PORT/" || { cat "$WORK/nginx/error.log" >&2; log "nginx upstream did not start"; exit 1; }
log "upstream nginx on 127.0.0.1:$UPSTREAM_PORT (100-byte 200)"

ROWS=()
for n in $SIZES; do
  info="$WORK/info.$n"; : > "$info"
  LISTEN_PORT=$(free_port); MTLS_PORT=$(free_port)
  log "services=$n: starting the pair"
  started=$(ms)
  LISTEN_PORT=$LISTEN_PORT MTLS_PORT=$MTLS_PORT UPSTREAM_PORT=$UPSTREAM_PORT MESHWORK_PAIR_INFO=$info \
    MESHWORK_PAIR_EXTRA_SERVICES=$n setsid bash "$HERE/start-pair.sh" > "$WORK/pair.$n.log" 2>&1 < /dev/null &
  PAIR_PID=$!
  # Ready once start-pair.sh has recorded both sidecars and their idle RSS (2 s after ready).
  until grep -q '^rss_idle_kib' "$info" 2>/dev/null; do
    kill -0 "$PAIR_PID" 2>/dev/null || { cat "$WORK/pair.$n.log" >&2; log "services=$n: the pair did not start"; exit 1; }
    sleep 0.2
  done
  setup_s=$(( ($(ms) - started) / 1000 ))
  ready=$(field start_to_ready_ms client "$info"); ready_s=$(field start_to_ready_ms server "$info")
  (( ready_s > ready )) && ready=$ready_s
  s_pid=$(field pids server "$info"); c_pid=$(field pids client "$info")
  idle_s=$(field rss_idle_kib server "$info"); idle_c=$(field rss_idle_kib client "$info")
  # Snapshot size and apply time, as each sidecar logged them ("…; N bytes, applied in M ms").
  state=$(sed -n 's/.*--state-dir \([^ ]*\).*/\1/p' "$WORK/pair.$n.log" | head -1)
  applied=$(grep -h 'applied snapshot' "$state"/pods/client-0/logs/istio-proxy.log 2>/dev/null | tail -1)
  bytes=$(sed -n 's/.*; \([0-9]*\) bytes.*/\1/p' <<< "$applied"); apply_ms=$(sed -n 's/.*applied in \([0-9]*\) ms.*/\1/p' <<< "$applied")

  # Closed loop through the client sidecar, sampling both sidecars' RSS meanwhile.
  curl -sf -o /dev/null "http://127.0.0.1:$LISTEN_PORT/" || log "services=$n: a first request through the pair failed"
  ( max_s=0; max_c=0
    while true; do
      s=$(rss_kib "$s_pid"); c=$(rss_kib "$c_pid")
      (( s > max_s )) && max_s=$s; (( c > max_c )) && max_c=$c
      echo "$max_s $max_c" > "$WORK/rss.$n"; sleep 0.2
    done ) &
  sampler=$!
  rps=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$LISTEN_PORT/" 2>&1 | awk '/^Requests\/sec/ {print $2}')
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  read -r max_s max_c < "$WORK/rss.$n"
  admin_c=$(sed -n 's/^admin .*client=\([^ ]*\).*/\1/p' "$info" | tail -1)
  heap=$(curl -sf "http://$admin_c/stats/prometheus" | awk '/^meshwork_gc_heap_bytes/ { printf "%.1f", $2 / 1048576 }')

  # A PeerAuthentication change (STRICT -> PERMISSIVE) changes the server sidecar's snapshot: the time
  # from the apply to its log saying applied (or rejected: an update needs the old and the new config in the heap).
  server_log="$state/pods/upstream-0/logs/istio-proxy.log"
  before=$(grep -c 'snapshot' "$server_log" || true)
  printf '%s\n' 'apiVersion: security.istio.io/v1' 'kind: PeerAuthentication' 'metadata:' '  name: default' \
    '  namespace: bench' 'spec:' '  mtls:' '    mode: PERMISSIVE' > "$WORK/pa.yaml"   # start-pair.sh's namespace and policy
  pa_start=$(ms)
  "$MESHWORK_BIN" apply --state-dir "$state" -f "$WORK/pa.yaml" > /dev/null
  update="timeout"
  for _ in $(seq 1 300); do
    line=$(grep 'snapshot' "$server_log" | tail -n +$(( before + 1 )) | grep -E 'applied snapshot|rejected snapshot' | head -1 || true)
    if [[ $line == *"applied snapshot"* ]]; then update=$(( $(ms) - pa_start )); break; fi
    if [[ $line == *"rejected snapshot"* ]]; then update="NACK ($(sed 's/.*keeping the last good one: //; s/ (.*//' <<< "$line"))"; break; fi
    sleep 0.1
  done
  load=$(cut -d' ' -f1 /proc/loadavg)
  stop_pair
  mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
  ROWS+=("| $n | ${ready} | ${rps:-failed} | $(mib "$idle_s") / $(mib "$idle_c") | $(mib "$max_s") / $(mib "$max_c") | ${bytes:-?} | ${apply_ms:-?} | ${heap:-?} | ${update} | ${setup_s} | ${load} |")
  log "services=$n: ready in ${ready} ms, ${rps:-?} req/s, snapshot ${bytes:-?} bytes applied in ${apply_ms:-?} ms"
done

# ---------------------------------------------------------------- 4. push latency
PUSH_ROWS=()
for p in $PROXIES; do
  log "push latency: $p simulated proxies, $ROUNDS rounds"
  dotnet run -c Release --project "$REPO/bench/Meshwork.PushBench" -- "$p" "$ROUNDS" "$NAMESPACES" > "$WORK/push.$p.log" 2>&1 \
    || { cat "$WORK/push.$p.log" >&2; log "PushBench $p failed"; exit 1; }
  load=$(cut -d' ' -f1 /proc/loadavg)
  per=$(grep '^apply -> ACK per proxy' "$WORK/push.$p.log")
  median=$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' <<< "$per"); p99=$(sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p' <<< "$per")
  all=$(sed -n "s/^apply -> all $p ACKed: median \([0-9.]*\) ms.*/\1/p" "$WORK/push.$p.log")
  connect=$(sed -n 's/^.* proxies connected and ACKed their first snapshot in \([0-9]*\) ms.*/\1/p' "$WORK/push.$p.log")
  PUSH_ROWS+=("| $p | $median | $p99 | $all | $connect | $load |")
done

report() {
  echo "Meshwork scaling, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores; $(uptime | sed 's/.*load average/load average/')"
  echo
  echo "**One sidecar pair as the services in every snapshot grow** (wrk -t1 -c$CONNECTIONS, ${DURATION} s, 100-byte responses; RSS server / client sidecar)"
  echo
  echo "| services | start-to-ready ms | closed-loop req/s | idle RSS MiB | max RSS under load MiB | snapshot bytes | proxy apply ms | client GC heap MiB | PeerAuthentication change -> applied ms | pair setup s | load avg |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "**Push of a PeerAuthentication change to N simulated proxies** (apply -> ACK, $ROUNDS rounds, $NAMESPACES namespaces)"
  echo
  echo "| proxies | median ms | p99 ms | all ACKed, median ms | first connect of all, ms | load avg |"
  echo "|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${PUSH_ROWS[@]}"
  echo
  echo "start-to-ready: the slower sidecar, from its launch to /ready. pair setup: control plane start, applying the"
  echo "services (batches of 500) and both sidecars ready. proxy apply: the client sidecar reading, checking and"
  echo "indexing its first snapshot. client GC heap: after the load, of the sidecar's $(( 0x$(sed -n 's/^DOTNET_GCHeapHardLimit=//p' "$HERE/sidecar-runtime.env") / 1048576 )) MiB cap (bench/sidecar-runtime.env)."
  echo "PeerAuthentication change: meshwork apply of STRICT -> PERMISSIVE until the server sidecar logs the new snapshot applied."
}
if [[ -n $OUT ]]; then report | tee "$OUT"; else report; fi
