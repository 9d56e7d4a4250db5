#!/usr/bin/env bash
# run.sh - one command: Meshwork's sidecar pair against direct, an nginx pair and a HAProxy pair, all
# doing mTLS on this machine, in one interleaved run of the shared peers harness. Meshwork runs as two
# targets, each its own pair from bench/start-pair.sh, differing only in where the load enters the client sidecar:
#   meshwork             the fixed outbound listener (MESHWORK_OUTBOUND_FIXED), origin-form "GET / HTTP/1.1";
#   meshwork-http-proxy  the http_proxy listener (MESHWORK_OUTBOUND_ADDRESS, :15001 in a pod), absolute-form
#                        "GET http://upstream.bench/ HTTP/1.1": the path every app with http_proxy takes.
#
#   sudo bench/run.sh [--out report.md] [any run-peers.sh argument]
#
# 1. installs nginx, haproxy and wrk with apt-get when missing (apt-get update once first);
# 2. builds Meshwork (Release): through the ./meshwork launcher, or with `dotnet build` into the
#    build slot's own tree when MESHWORK_BUILD_SLOT is set;
# 3. runs the peers harness (../shared/bench/run-peers.sh beside the repo, or $PEERS) with
#    --custom meshwork='exec bench/start-pair.sh' and
#    --custom meshwork-http-proxy='MESHWORK_PAIR_ENTRY=http-proxy exec bench/start-pair.sh' (each a control
#    plane + two sidecars, mTLS, secure naming, metrics on), with bench/http-proxy-entry/wrk first on PATH (the
#    harness has no per-target request shape: that wrk sends the second target's load in absolute form to its
#    http_proxy listener and runs wrk unchanged for every other target), then prints every Meshwork target's
#    figures next to direct, nginx and HAProxy as ratios, and per pair the entry, start-to-ready time and RSS.
#    A further --custom NAME=CMD is passed on, with its own MESHWORK_PAIR_INFO file; a NAME starting with
#    "meshwork" gets ratios too.
#
# Settings: the harness's (DURATION, ROUNDS, MODES, TARGETS, ...; see its README), plus
#   PEERS                         path of run-peers.sh
#   MESHWORK_BIN                  an already built meshwork executable (skips the build)
#   MESHWORK_PROXY_BIN            the sidecar executable (default: meshwork-proxy beside MESHWORK_BIN, else `meshwork proxy`)
#   MESHWORK_PAIR_EXTRA_SERVICES  extra services in every sidecar's snapshot (scaling runs)
# Quick run while iterating: DURATION=5 ROUNDS=1 TARGETS="direct nginx-2hop haproxy-2hop" bench/run.sh
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
log() { printf '[run %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

[[ $EUID -eq 0 ]] || { log "run as root (the harness installs packages and reads /proc)"; exit 1; }

# ---------------------------------------------------------------- 1. tools, 2. build
. "$HERE/common.sh"
install_tools nginx haproxy wrk curl openssl
build_meshwork

# ---------------------------------------------------------------- 3. run the harness
PEERS=${PEERS:-}
if [[ -z $PEERS ]]; then
  for p in "$REPO/../shared/bench/run-peers.sh" "$REPO/shared/bench/run-peers.sh"; do
    [[ -f $p ]] && { PEERS=$p; break; }
  done
fi
[[ -n $PEERS && -f $PEERS ]] || { log "run-peers.sh not found: put shared/ beside the repo or set PEERS"; exit 1; }

# Every pair writes its start-up figures to a file of its own (INFO/NAME): the pairs run at once.
INFO=$(mktemp -d /tmp/meshwork-run.XXXXXX)
OUT=$(mktemp /tmp/meshwork-report.XXXXXX)
MESHWORK_HTTP_PROXY_ENTRIES=$(mktemp -d /tmp/meshwork-http-proxy-entries.XXXXXX)
trap 'rm -rf "$INFO" "$OUT" "$MESHWORK_HTTP_PROXY_ENTRIES"' EXIT
pair_info() { printf 'export MESHWORK_PAIR_INFO=%q; ' "$INFO/$1"; }
# --out FILE is ours: the harness writes its report to a temporary file that this script extends.
USER_OUT=""; ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) USER_OUT=$2; shift 2 ;;
    --custom) [[ $# -ge 2 && $2 == *=* ]] || { log "--custom needs NAME=CMD"; exit 2; }
              ARGS+=(--custom "${2%%=*}=$(pair_info "${2%%=*}")${2#*=}"); shift 2 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
# The shared harness sends every target's load to http://127.0.0.1:LISTEN_PORT/: the http-proxy target's
# load takes its entry through the wrk of bench/http-proxy-entry (see there), found first on PATH.
MESHWORK_REAL_WRK=$(type -P wrk)
[[ $MESHWORK_REAL_WRK != "$HERE/http-proxy-entry/wrk" ]] || { log "wrk on PATH is bench/http-proxy-entry/wrk: put the real wrk first"; exit 1; }
export MESHWORK_REAL_WRK MESHWORK_HTTP_PROXY_ENTRIES PATH="$HERE/http-proxy-entry:$PATH"
export CRYPTO=${CRYPTO:-0}
log "harness: $PEERS"
bash "$PEERS" --custom meshwork="$(pair_info meshwork)exec $HERE/start-pair.sh" \
  --custom meshwork-http-proxy="$(pair_info meshwork-http-proxy)MESHWORK_PAIR_ENTRY=http-proxy exec $HERE/start-pair.sh" \
  --out "$OUT" "${ARGS[@]}" > /dev/null

# ---------------------------------------------------------------- 4. Meshwork next to the peers, as ratios
report() {
echo
cat "$OUT"
echo
echo "**Meshwork vs peers (ratios from the same run)**"
echo
awk -F'|' '
  function trim(s) { gsub(/^ +| +$/, "", s); return s }
  /^\*\*Saturation/ { mode = "max" } /^\*\*Paced/ { mode = "rate" }
  /^\| / && mode != "" {
    t = trim($2)
    if (t == "target" || t ~ /^-+$/) next
    if (t ~ /^meshwork/ && !(t in seen)) { seen[t] = 1; mesh[++n] = t }
    if (mode == "max") { rps[t] = trim($3); cpu[t] = trim($8); p99m[t] = trim($6) }
    else { split(trim($7), a, "/"); added99[t] = trim(a[3]); split(trim($8), v, "/"); vcpu[t] = (v[1] == "-" ? "-" : v[1] + (v[2] == "-" ? 0 : v[2])) }
  }
  END {
    if (n == 0) exit
    split("direct nginx-2hop haproxy-2hop", peer, " ")
    printf "| measure |"; for (i = 1; i <= 3; i++) printf " %s |", peer[i]; for (i = 1; i <= n; i++) printf " %s |", mesh[i]
    for (i = 1; i <= n; i++) printf " %s / nginx | %s / haproxy |", mesh[i], mesh[i]
    printf "\n|---|"; for (i = 1; i <= 3 + 3 * n; i++) printf "---:|"; printf "\n"
    row("closed-loop req/s (higher is better)", rps)
    row("proxy CPU us/request, both sidecars (lower is better)", cpu)
    row("closed-loop p99 ms", p99m)
    row("paced added p99 ms vs direct (lower is better)", added99)
    row("paced vCPU per 1000 req/s, both sidecars", vcpu)
  }
  function row(name, m,   i) {
    if (!(mesh[1] in m)) return
    printf "| %s |", name
    for (i = 1; i <= 3; i++) printf " %s |", cell(m, peer[i])
    for (i = 1; i <= n; i++) printf " %s |", cell(m, mesh[i])
    for (i = 1; i <= n; i++) printf " %s | %s |", ratio(cell(m, mesh[i]), cell(m, "nginx-2hop")), ratio(cell(m, mesh[i]), cell(m, "haproxy-2hop"))
    printf "\n"
  }
  function cell(m, t) { return (t in m && m[t] != "") ? m[t] : "-" }
  function ratio(a, b) { return (b + 0 != 0 && a != "-" && b != "-") ? sprintf("%.2f", a / b) : "-" }
' "$OUT"
local f
for f in "$INFO"/*; do
  [[ -f $f && $f != *.max ]] || continue
  echo
  echo "Meshwork pair \`$(basename "$f")\` (control plane excluded from the harness columns; it runs in its own session):"
  sed 's/^/  /' "$f"
  [[ -f $f.max ]] && sed 's/^/  /' "$f.max"
  awk '/^rss_idle_kib/ { for (i = 2; i <= NF; i++) { split($i, p, "="); printf "  idle RSS %s: %.1f MiB\n", p[1], p[2] / 1024 } }
       /^rss_max_kib/  { for (i = 2; i <= NF; i++) { split($i, p, "="); printf "  peak RSS from 2 s after ready to the end (VmHWM) %s: %.1f MiB\n", p[1], p[2] / 1024 } }' "$f" "$f.max" 2>/dev/null || true
done
}
if [[ -n $USER_OUT ]]; then report | tee "$USER_OUT"; else report; fi
