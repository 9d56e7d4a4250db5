#!/usr/bin/env bash
# counts.sh - what a request costs each sidecar in counts that do not depend on how busy the host is:
# syscalls per request (by name, from `strace -c -f` attached to each sidecar for the run), recvfrom calls
# that found nothing to read (EAGAIN) per request, sends per request (on an mTLS hop, one send is one TLS
# record for a small message), bytes allocated per request (meshwork_gc_allocated_bytes_total before and
# after), per request from `perf stat` attached to each sidecar for a second run of N requests without strace:
# instructions in user space and in the kernel where the host has hardware counters (a VM often has none),
# context switches and page faults, and CPU time (the one figure here that a busy host skews), context
# switches per request by thread (which threads a request wakes: every hop off the socket thread shows), and the
# sidecars' RSS idle and after the run. Times are not reported: on a shared host they are
# noise; run bench/run.sh for those.
#
#   sudo bench/counts.sh [--entry fixed|http-proxy] [--requests N] [--conns C] [--perf]
#
# One Meshwork pair (bench/start-pair.sh) in front of an nginx upstream with the peers harness's ~100-byte
# body; the load is wrk over C keep-alive connections (1 by default: one request at a time, so that no two
# requests share a read or a wakeup) until the client sidecar has counted N requests. With --perf, a further
# 10 s of the same load under `perf record` prints where each sidecar's CPU went (needs meshwork-proxy.dbg beside
# the executable for names: publish with symbols).
# Settings: MESHWORK_BIN / MESHWORK_PROXY_BIN as for bench/run.sh (built through the launcher when unset).
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
log() { printf '[counts %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
[[ $EUID -eq 0 ]] || { log "run as root (strace attaches to the sidecars)"; exit 1; }

ENTRY=fixed; REQUESTS=20000; CONNS=1; PERF=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --entry) ENTRY=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --conns) CONNS=$2; shift 2 ;;
    --perf) PERF=1; shift ;;
    *) log "unknown argument: $1"; exit 2 ;;
  esac
done
[[ $ENTRY == fixed || $ENTRY == http-proxy ]] || { log "--entry is fixed or http-proxy"; exit 2; }
[[ $REQUESTS =~ ^[0-9]+$ && $CONNS =~ ^[0-9]+$ && $CONNS -ge 1 ]] || { log "--requests and --conns take whole numbers"; exit 2; }

. "$HERE/common.sh"
install_tools nginx wrk curl strace
build_meshwork

WORK=$(mktemp -d /tmp/meshwork-counts.XXXXXX)
PAIR_PGID=""; NGINX_PID=""; STRACE_PIDS=()
cleanup() {
  local p
  for p in "${STRACE_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  [[ -n $PAIR_PGID ]] && kill -TERM -- "-$PAIR_PGID" 2>/dev/null || true
  [[ -n $NGINX_PID ]] && kill -TERM "$NGINX_PID" 2>/dev/null || true
  sleep 1
  [[ -n $PAIR_PGID ]] && kill -KILL -- "-$PAIR_PGID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

free_port() { local p; while true; do p=$(( 20000 + RANDOM % 20000 )); timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null || { echo "$p"; return; }; done; }
UPSTREAM_PORT=$(free_port); LISTEN_PORT=$(free_port); MTLS_PORT=$(free_port)
BODY=$(printf 'peers-bench upstream body %0200d' 0 | head -c 100)

# ---------------------------------------------------------------- upstream
mkdir -p "$WORK/tmp"
cat > "$WORK/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $WORK/tmp;
    proxy_temp_path $WORK/tmp;
    fastcgi_temp_path $WORK/tmp;
    uwsgi_temp_path $WORK/tmp;
    scgi_temp_path $WORK/tmp;
    server { listen 127.0.0.1:$UPSTREAM_PORT; location / { return 200 "$BODY"; } }
}
EOF
nginx -c "$WORK/nginx.conf" -p "$WORK" > /dev/null 2>&1 &
NGINX_PID=$!

# ---------------------------------------------------------------- pair
mkdir -p "$WORK/entries"
export LISTEN_PORT MTLS_PORT UPSTREAM_PORT BODY MESHWORK_PAIR_INFO="$WORK/info" MESHWORK_PAIR_ENTRY=$ENTRY MESHWORK_HTTP_PROXY_ENTRIES="$WORK/entries"
setsid "$HERE/start-pair.sh" > "$WORK/pair.log" 2>&1 < /dev/null &
PAIR_PGID=$!
for _ in $(seq 1 1200); do grep -q '^pids ' "$WORK/info" 2>/dev/null && break; kill -0 "$PAIR_PGID" 2>/dev/null || break; sleep 0.1; done
grep -q '^pids ' "$WORK/info" 2>/dev/null || { cat "$WORK/pair.log" >&2; log "the pair did not start"; exit 1; }
read -r S_PID C_PID < <(sed -n 's/^pids server=\([0-9]*\) client=\([0-9]*\).*/\1 \2/p' "$WORK/info")
read -r S_ADMIN C_ADMIN < <(sed -n 's/^admin server=\([0-9.:]*\) client=\([0-9.:]*\).*/\1 \2/p' "$WORK/info")
URL="http://127.0.0.1:$LISTEN_PORT/"; WRK=(wrk)
if [[ $ENTRY == http-proxy ]]; then
  read -r _ PROXY ABSOLUTE < "$WORK/entries/$LISTEN_PORT"
  export MESHWORK_WRK_ABSOLUTE_URL=$ABSOLUTE MESHWORK_WRK_REPORT_SCRIPT=""
  URL="http://$PROXY/"; WRK=(wrk -s "$HERE/http-proxy-entry/absolute-form.lua")
fi
got=$(curl -s --max-time 10 "http://127.0.0.1:$LISTEN_PORT/") || true
[[ $got == "$BODY" ]] || { log "the pair does not answer with the upstream's body"; exit 1; }

metric() {  # metric ADMIN NAME_REGEX: the sum of a metric's series
  curl -s --max-time 10 "http://$1/stats/prometheus" | awk -v re="^($2)[{ ]" '$0 ~ re { s += $NF } END { printf "%.0f\n", s }'
}
rss() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }
hwm() { awk '/^VmHWM:/{print $2}' "/proc/$1/status"; }  # the peak RSS since start
load_requests() {  # load_requests FROM: wrk counts time, not requests: rounds until the client sidecar has counted REQUESTS since FROM
  local before=$1 now
  while (( before - $1 < REQUESTS )); do
    "${WRK[@]}" -t1 -c"$CONNS" -d5s "$URL" > "$WORK/wrk.out" 2>&1
    now=$(metric "$C_ADMIN" istio_requests_total)
    (( now > before )) || { cat "$WORK/wrk.out" >&2; log "a round of load added no request"; exit 1; }
    before=$now
  done
}

# Warm-up: the connections open and the hot paths run before anything is counted.
"${WRK[@]}" -t1 -c"$CONNS" -d3s "$URL" > /dev/null
sleep 2
idle_s=$(rss "$S_PID"); idle_c=$(rss "$C_PID")
# Where the idle client sidecar's resident memory is: per mapping (anonymous ones summed), largest first.
idle_map=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6 ? $6 : "[anonymous]"); sub(/.*\//, "", name) }
     /^Rss:/ { rss[name] += $2 } END { for (n in rss) if (rss[n] >= 512) printf "%s=%.1fMiB ", n, rss[n] / 1024 }' "/proc/$C_PID/smaps")
req0=$(metric "$C_ADMIN" istio_requests_total)
alloc_s0=$(metric "$S_ADMIN" meshwork_gc_allocated_bytes_total); alloc_c0=$(metric "$C_ADMIN" meshwork_gc_allocated_bytes_total)
strace -c -f -q -o "$WORK/strace.server" -p "$S_PID" & STRACE_PIDS+=($!)
strace -c -f -q -o "$WORK/strace.client" -p "$C_PID" & STRACE_PIDS+=($!)
sleep 2
load_requests "$req0"
for p in "${STRACE_PIDS[@]}"; do kill -INT "$p"; wait "$p" 2>/dev/null || true; done
STRACE_PIDS=()
req=$(( $(metric "$C_ADMIN" istio_requests_total) - req0 ))
alloc_s=$(( $(metric "$S_ADMIN" meshwork_gc_allocated_bytes_total) - alloc_s0 ))
alloc_c=$(( $(metric "$C_ADMIN" meshwork_gc_allocated_bytes_total) - alloc_c0 ))
rss_after_s=$(rss "$S_PID"); rss_after_c=$(rss "$C_PID")

# perf stat per request: a second run of the same load with `perf stat` attached (no strace, whose stops
# add kernel work of their own). The counts include the sidecars' idle work over the run (timers, the
# control plane's stream): small beside N requests.
# The same run also counts each thread's context switches (/proc/PID/task/*/status): which threads wake per
# request, and so which hops off the socket thread the request path makes.
threads() {  # threads PID: "tid name voluntary nonvoluntary" per thread
  local t
  for t in /proc/"$1"/task/*; do
    # A thread may end between the listing and the reads: it is left out.
    awk -v tid="${t##*/}" -v name="$(tr ' ' '_' 2>/dev/null < "$t/comm" || true)" '/^voluntary_ctxt_switches/ { v = $2 } /^nonvoluntary_ctxt_switches/ { n = $2 }
        END { if (v != "") print tid, name, v, n }' "$t/status" 2>/dev/null || true
  done
}
STAT_PIDS=()
if command -v perf > /dev/null; then
  for side in client server; do
    pid=$C_PID; [[ $side == server ]] && pid=$S_PID
    perf stat -x, -e instructions:u,instructions:k,context-switches,page-faults,task-clock -o "$WORK/stat.$side" -p "$pid" > /dev/null 2>&1 &
    STAT_PIDS+=($!)
  done
  sleep 1
fi
threads "$C_PID" > "$WORK/threads0.client"; threads "$S_PID" > "$WORK/threads0.server"
ireq0=$(metric "$C_ADMIN" istio_requests_total)
load_requests "$ireq0"
threads "$C_PID" > "$WORK/threads1.client"; threads "$S_PID" > "$WORK/threads1.server"
for p in "${STAT_PIDS[@]}"; do kill -INT "$p"; wait "$p" 2>/dev/null || true; done
ireq=$(( $(metric "$C_ADMIN" istio_requests_total) - ireq0 ))

# ---------------------------------------------------------------- report
per_request() {  # per_request FILE: "syscall calls/request errors/request" for the busiest syscalls
  awk -v n="$req" '$1 ~ /^[0-9.]+$/ && NF >= 5 { name = $NF; calls = $4; errs = (NF == 6 ? $5 : 0);
      if (name != "total") printf "  %-16s %8.2f /req  %8.2f errors/req\n", name, calls / n, errs / n }' "$1" | sort -k2 -nr | head -12
  awk -v n="$req" '$NF == "total" { printf "  %-16s %8.2f /req\n", "all syscalls", $(NF - 2) / n }' "$1"
}
echo "entry=$ENTRY conns=$CONNS requests=$req (counted by the client sidecar)"
echo "client sidecar idle RSS by mapping: $idle_map"
for side in client server; do
  alloc=$alloc_c; idle=$idle_c; after=$rss_after_c
  [[ $side == server ]] && { alloc=$alloc_s; idle=$idle_s; after=$rss_after_s; }
  admin=$C_ADMIN; [[ $side == server ]] && admin=$S_ADMIN
  pid=$C_PID; [[ $side == server ]] && pid=$S_PID
  echo "$side sidecar: allocated $(( alloc / req )) B/req; RSS idle $(( idle / 1024 )) MiB, after the run $(( after / 1024 )) MiB, peak $(( $(hwm "$pid") / 1024 )) MiB;" \
    "GC heap $(( $(metric "$admin" meshwork_gc_heap_bytes) / 1048576 )) MiB, committed $(( $(metric "$admin" meshwork_gc_committed_bytes) / 1048576 )) MiB"
  [[ -s $WORK/stat.$side ]] && awk -F, -v n="$ireq" '$1 ~ /^[0-9.]+$/ { v = $1 / n; if ($3 == "task-clock") { $3 = "CPU us"; v *= 1000 }
      printf "  %-16s %10.2f /req (perf stat, %d requests)\n", $3, v, n }' "$WORK/stat.$side"
  echo "  context switches per request by thread (voluntary/involuntary; threads of one name summed, $ireq requests):"
  awk -v n="$ireq" 'NR == FNR { v0[$1] = $3; n0[$1] = $4; next }
      { name[$2] = 1; count[$2]++; v[$2] += $3 - v0[$1]; nv[$2] += $4 - n0[$1] }
      END { for (t in name) if (v[t] + nv[t] > 0) printf "    %-24s x%-3d %8.3f / %8.3f\n", t, count[t], v[t] / n, nv[t] / n }' \
      "$WORK/threads0.$side" "$WORK/threads1.$side" | sort -k3 -nr
  per_request "$WORK/strace.$side"
done
if [[ $PERF == 1 ]]; then
  PERF_PIDS=()
  for side in client server; do
    pid=$C_PID; [[ $side == server ]] && pid=$S_PID
    perf record -q -F 499 -g -o "$WORK/perf.$side" -p "$pid" -- sleep 10 > /dev/null 2>&1 &
    PERF_PIDS+=($!)
  done
  "${WRK[@]}" -t1 -c"$CONNS" -d10s "$URL" > /dev/null
  wait "${PERF_PIDS[@]}"
  for side in client server; do
    echo "$side sidecar: CPU by function (perf, self time, top 25)"
    perf report -q -i "$WORK/perf.$side" --no-children --sort sym -g none --percent-limit 0.7 2>/dev/null | grep -v '^$' | grep '%' | head -25
  done
fi
