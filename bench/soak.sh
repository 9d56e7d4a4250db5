#!/usr/bin/env bash
# soak.sh - a sidecar pair under a steady load for a long time, watching that nothing grows: RSS, open file
# descriptors and GC heap of both sidecars sampled every SOAK_SAMPLE seconds, errors counted. Not part of CI.
#
#   wrk (paced to SOAK_RATE req/s) -> client sidecar =mTLS=> server sidecar -> nginx
#   (the pair is bench/start-pair.sh's: a real control plane, STRICT mTLS, secure naming, metrics on)
#
#   sudo bench/soak.sh                       # 30 min at 1,000 req/s
#   SOAK_SECONDS=180 sudo bench/soak.sh      # a short run
#
# Settings: SOAK_SECONDS (1800), SOAK_RATE (1000 req/s), SOAK_SAMPLE (10 s), SOAK_CONNECTIONS (50),
#   SOAK_WARMUP (60 s: samples before it are not compared; the heap and the pools settle first),
#   MESHWORK_BIN / MESHWORK_PROXY_BIN / MESHWORK_BUILD_SLOT as for bench/run.sh.
# Prints one line per sample (with the machine's load average: the box may be shared), then for each sidecar whether RSS, descriptors and heap stayed flat (the last
# sample against the first after the warm-up: RSS and heap within 20 % or 16 MiB, descriptors within 16), the
# requests sent and every error. Exits 1 when something grew or a request failed.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
log() { printf '[soak %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

SECONDS_TOTAL=${SOAK_SECONDS:-1800}
RATE=${SOAK_RATE:-1000}
SAMPLE=${SOAK_SAMPLE:-10}
CONNECTIONS=${SOAK_CONNECTIONS:-50}
WARMUP=${SOAK_WARMUP:-60}
(( WARMUP < SECONDS_TOTAL )) || WARMUP=$(( SECONDS_TOTAL / 3 ))

. "$HERE/common.sh"
install_tools nginx wrk curl
build_meshwork

WORK=$(mktemp -d /tmp/meshwork-soak.XXXXXX)
PAIR_PID=""; NGINX_PID=""; WRK_PID=""
cleanup() {
  trap - EXIT INT TERM
  for p in $WRK_PID $PAIR_PID $NGINX_PID; do kill -TERM "$p" 2>/dev/null || true; done
  for p in $WRK_PID $PAIR_PID $NGINX_PID; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

port_busy() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
free_port() { local p; while true; do p=$(( 20000 + RANDOM % 20000 )); port_busy "$p" || { echo "$p"; return; }; done; }
export LISTEN_PORT=$(free_port) MTLS_PORT=$(free_port) UPSTREAM_PORT=$(free_port)

# ---------------------------------------------------------------- the app: nginx answering 200 "ok"
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
error_log $WORK/nginx/error.log;
pid $WORK/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  server { listen 127.0.0.1:$UPSTREAM_PORT; keepalive_requests 1000000; location / { return 200 "ok\n"; } }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
NGINX_PID=$!

# ---------------------------------------------------------------- the pair
export MESHWORK_PAIR_INFO="$WORK/pair.info"
: > "$MESHWORK_PAIR_INFO"
setsid "$HERE/start-pair.sh" 2> "$WORK/pair.log" &
PAIR_PID=$!
for _ in $(seq 1 600); do
  grep -q '^pids ' "$MESHWORK_PAIR_INFO" && break
  kill -0 "$PAIR_PID" 2>/dev/null || { cat "$WORK/pair.log" >&2; log "the pair did not start"; exit 1; }
  sleep 0.5
done
read -r _ S_PID_KV C_PID_KV _ < <(grep '^pids ' "$MESHWORK_PAIR_INFO")
read -r _ S_ADMIN_KV C_ADMIN_KV < <(grep '^admin ' "$MESHWORK_PAIR_INFO")
S_PID=${S_PID_KV#server=}; C_PID=${C_PID_KV#client=}
S_ADMIN=${S_ADMIN_KV#server=}; C_ADMIN=${C_ADMIN_KV#client=}
curl -sf -o /dev/null --max-time 10 "http://127.0.0.1:$LISTEN_PORT/" || { cat "$WORK/pair.log" >&2; log "no 200 through the pair"; exit 1; }
log "pair up: client sidecar pid $C_PID (admin $C_ADMIN), server sidecar pid $S_PID (admin $S_ADMIN); entry 127.0.0.1:$LISTEN_PORT"

# ---------------------------------------------------------------- the load: wrk paced to RATE req/s
# Each connection waits about CONNECTIONS/RATE s before each request (wrk's delay()). A fixed pause would
# offer less than RATE (each request's latency adds to it), so every wrk thread keeps to its share of RATE
# over the seconds since it started: ahead of that schedule a connection waits the whole pause, behind it
# half. The achieved rate is printed. Non-2xx answers and socket errors are counted as errors.
THREADS=2
cat > "$WORK/pace.lua" <<LUA
local pause = $CONNECTIONS * 1000 / $RATE
local share = $RATE / $THREADS
local started, sent = nil, 0
function delay()
  local now = os.time()
  started = started or now
  sent = sent + 1
  if sent > (now - started + 1) * share then return pause end
  return pause / 2
end
LUA
log "load: $RATE req/s over $CONNECTIONS connections for $SECONDS_TOTAL s; sampling every $SAMPLE s"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_TOTAL}s" --timeout 10s --latency -s "$WORK/pace.lua" "http://127.0.0.1:$LISTEN_PORT/" > "$WORK/wrk.out" 2>&1 &
WRK_PID=$!

# ---------------------------------------------------------------- sampling
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
heap_kib() { curl -sf --max-time 5 "http://$1/stats/prometheus" | awk '$1=="meshwork_gc_heap_bytes"{printf "%d", $2/1024}' || echo 0; }
requests() { curl -sf --max-time 5 "http://$1/stats/prometheus" | awk '/^istio_requests_total\{/{n+=$NF} END{printf "%d", n}' || echo 0; }
printf '%6s  %10s %6s %10s  %10s %6s %10s  %10s %6s\n' t client_rss fds heap server_rss fds heap requests load1
declare -a SAMPLES=()
start=$(date +%s)
while kill -0 "$WRK_PID" 2>/dev/null; do
  sleep "$SAMPLE"
  kill -0 "$WRK_PID" 2>/dev/null || break
  t=$(( $(date +%s) - start ))
  line="$t $(rss_kib "$C_PID") $(fds "$C_PID") $(heap_kib "$C_ADMIN") $(rss_kib "$S_PID") $(fds "$S_PID") $(heap_kib "$S_ADMIN") $(requests "$S_ADMIN") $(cut -d' ' -f1 /proc/loadavg)"
  SAMPLES+=("$line")
  read -r a b c d e f g h l <<< "$line"
  printf '%5ss  %8s K %6s %8s K  %8s K %6s %8s K  %10s %6s\n' "$a" "$b" "$c" "$d" "$e" "$f" "$g" "$h" "$l"
done
wait "$WRK_PID" || true
WRK_PID=""

# ---------------------------------------------------------------- verdict
cat "$WORK/wrk.out"
status=0
first=""; last=""
for s in "${SAMPLES[@]}"; do
  read -r t _ <<< "$s"
  (( t >= WARMUP )) && [[ -z $first ]] && first=$s
  last=$s
done
if [[ -z $first || $first == "$last" ]]; then
  log "too few samples after the warm-up ($WARMUP s) to judge growth"; status=1
else
  read -r t0 crss0 cfd0 cheap0 srss0 sfd0 sheap0 req0 load0 <<< "$first"
  read -r t1 crss1 cfd1 cheap1 srss1 sfd1 sheap1 req1 load1 <<< "$last"
  flat_kib() {  # flat_kib NAME BEFORE AFTER: within 20 % or 16 MiB
    local growth=$(( $3 - $2 )) allowed=$(( $2 / 5 > 16384 ? $2 / 5 : 16384 ))
    if (( growth <= allowed )); then echo "$1 flat: $2 K -> $3 K"; else echo "$1 GREW: $2 K -> $3 K (+$growth K)"; status=1; fi
  }
  flat_count() {
    local growth=$(( $3 - $2 ))
    if (( growth <= 16 )); then echo "$1 flat: $2 -> $3"; else echo "$1 GREW: $2 -> $3 (+$growth)"; status=1; fi
  }
  echo "from ${t0}s to ${t1}s (after a ${WARMUP}s warm-up; the machine's 1-minute load average ${load0} then, ${load1} at the end, on $(nproc) cores):"
  flat_kib "  client sidecar RSS " "$crss0" "$crss1"; flat_count "  client sidecar fds " "$cfd0" "$cfd1"; flat_kib "  client sidecar heap" "$cheap0" "$cheap1"
  flat_kib "  server sidecar RSS " "$srss0" "$srss1"; flat_count "  server sidecar fds " "$sfd0" "$sfd1"; flat_kib "  server sidecar heap" "$sheap0" "$sheap1"
  echo "  requests through the server sidecar: $(( req1 - req0 )) in $(( t1 - t0 )) s ($(( (req1 - req0) / (t1 - t0 > 0 ? t1 - t0 : 1) )) req/s)"
fi
errors=$(awk '/Non-2xx or 3xx responses:/{n+=$NF} /Socket errors:/{gsub(",",""); n+=$4+$6+$8+$10} END{print n+0}' "$WORK/wrk.out")
if (( errors > 0 )); then echo "errors: $errors (see wrk's output above)"; status=1; else echo "errors: none"; fi
kill -0 "$S_PID" 2>/dev/null && kill -0 "$C_PID" 2>/dev/null || { echo "a sidecar exited during the run"; tail -20 "$WORK/pair.log"; status=1; }
exit $status
